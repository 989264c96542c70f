/** The RFC 4271 session FSM: pure transitions, a timer-driving wrapper, OPEN negotiation, collisions. */
export { ManualClock, systemClock } from '@metallb-ts/clock';
export type { Clock, TimerHandle } from '@metallb-ts/clock';
export { checkFsmConfig, FSM_DEFAULTS, parseDottedQuad } from './config.js';
export type { FsmConfig, GracefulRestartConfig, IdleHoldConfig, OpenConfig, PeerAsnConfig } from './config.js';
export { acceptsIncomingConnection, FSM_TIMERS, initialFsmState, SESSION_STATE_NAMES } from './states.js';
export type { FsmState, FsmTimer, SessionStateName } from './states.js';
export { notificationEvent, TIMER_EXPIRY_EVENT, timerOfExpiry } from './events.js';
export type { FsmEvent, FsmEventType } from './events.js';
export { FSM_REASONS, isTimerAction } from './actions.js';
export type { FsmAction, FsmReason, OwnerAction, TimerAction } from './actions.js';
export { buildOpen, validateOpen } from './negotiate.js';
export type { GracefulRestartCapability, Negotiated, OpenCheck } from './negotiate.js';
export {
  ceaseNotification,
  holdTimerExpiredNotification,
  unexpectedEventNotification,
  unexpectedMessageNotification,
} from './notifications.js';
export { jitter, transition } from './fsm.js';
export type { RandomSource, TransitionResult } from './fsm.js';
export { SessionFsm } from './session-fsm.js';
export type { SessionFsmOptions } from './session-fsm.js';
export { decideCollision, hasGracefulRestart, resolveCollision } from './collision.js';
export type { CollisionDecision, CollisionInput, CollisionWinner, OtherConnection } from './collision.js';

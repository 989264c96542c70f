/**
 * What a transition asks for. Timer actions are carried out by SessionFsm; every other action goes
 * to the owner (the session layer), in order: a `send` of a NOTIFICATION always comes before the
 * `drop-connection` that follows it, so the owner flushes it before closing (socket.end()).
 */
import type { KeepaliveMessage, NotificationMessage, OpenMessage } from '../wire/types.js';
import type { Negotiated } from './negotiate.js';
import type { FsmTimer, SessionStateName } from './states.js';

/** Why the FSM moved: one word for logs and metrics (after GoBGP's fsmStateReason). */
export type FsmReason =
  | 'manual-start'
  | 'automatic-start'
  | 'idle-hold-expired'
  | 'manual-stop'
  | 'automatic-stop'
  | 'connect-retry-expired'
  | 'tcp-connected'
  | 'tcp-accepted'
  | 'tcp-failed'
  | 'open-received'
  /** The peer's OPEN failed our checks (negotiate.ts); we sent the NOTIFICATION. */
  | 'open-rejected'
  | 'keepalive-received'
  | 'hold-timer-expired'
  /** RFC 9687: nothing we sent could leave for SendHoldTime (the peer stopped reading). */
  | 'send-hold-timer-expired'
  | 'notification-received'
  | 'notification-version-error'
  | 'header-error'
  | 'open-message-error'
  | 'update-message-error'
  /** RFC 6608: a message that is not allowed in this state. */
  | 'unexpected-message'
  /** An event this state cannot take (RFC 4271 "other events"): FSM Error, subcode 0. */
  | 'unexpected-event'
  | 'collision-dump';

export const FSM_REASONS: readonly FsmReason[] = [
  'manual-start',
  'automatic-start',
  'idle-hold-expired',
  'manual-stop',
  'automatic-stop',
  'connect-retry-expired',
  'tcp-connected',
  'tcp-accepted',
  'tcp-failed',
  'open-received',
  'open-rejected',
  'keepalive-received',
  'hold-timer-expired',
  'send-hold-timer-expired',
  'notification-received',
  'notification-version-error',
  'header-error',
  'open-message-error',
  'update-message-error',
  'unexpected-message',
  'unexpected-event',
  'collision-dump',
];

export type TimerAction =
  /** Arm (or re-arm, restarting the countdown) a timer. */
  | { readonly type: 'start-timer'; readonly timer: FsmTimer; readonly delayMs: number }
  | { readonly type: 'stop-timer'; readonly timer: FsmTimer };

export type OwnerAction =
  /** Start an outgoing TCP connection to the peer. */
  | { readonly type: 'connect' }
  /** Close the FSM's connection, or abandon the pending outgoing attempt (there may be neither). */
  | { readonly type: 'drop-connection' }
  /** Write a message on the FSM's connection (our OPEN, a KEEPALIVE or a NOTIFICATION). */
  | { readonly type: 'send'; readonly message: OpenMessage | KeepaliveMessage | NotificationMessage }
  /** OpenConfirm -> Established: switch the codec to `negotiated.codecOptions` and start routing. */
  | { readonly type: 'session-established'; readonly negotiated: Negotiated }
  /** Established -> Idle: the routes learned from this peer are gone (or stale, with graceful restart). */
  | {
      readonly type: 'session-down';
      readonly reason: FsmReason;
      readonly notificationSent?: NotificationMessage;
      readonly notificationReceived?: NotificationMessage;
    }
  /** Every change of state, for logs and metrics. */
  | { readonly type: 'state-changed'; readonly from: SessionStateName; readonly to: SessionStateName; readonly reason: FsmReason };

export type FsmAction = TimerAction | OwnerAction;

export function isTimerAction(action: FsmAction): action is TimerAction {
  return action.type === 'start-timer' || action.type === 'stop-timer';
}

/**
 * The FSM's state as plain data (RFC 4271 section 8): the state name shown to operators, the
 * timers that should be running, the counters, and what the OPEN exchange negotiated.
 */
import { idleHoldMs } from './config.js';
import type { FsmConfig } from './config.js';
import type { Negotiated } from './negotiate.js';

/** RFC 4271 section 8.2.2, spelled as the RFC does: operators see these names. */
export type SessionStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export const SESSION_STATE_NAMES: readonly SessionStateName[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/**
 * The RFC 4271 timers (ConnectRetry, Hold, Keepalive, and the optional IdleHold of section 8.1.1),
 * plus IdleHoldResetTimer: ours, armed on entering Established; when it fires the session has been
 * stable long enough for the idle hold time to go back to its initial value.
 */
export type FsmTimer = 'ConnectRetryTimer' | 'HoldTimer' | 'KeepaliveTimer' | 'IdleHoldTimer' | 'IdleHoldResetTimer' | 'SendHoldTimer';

export const FSM_TIMERS: readonly FsmTimer[] = ['ConnectRetryTimer', 'HoldTimer', 'KeepaliveTimer', 'IdleHoldTimer', 'IdleHoldResetTimer', 'SendHoldTimer'];

export interface FsmState {
  readonly name: SessionStateName;
  /** RFC 4271 section 8: failed attempts since the last start; reset by every start and ManualStop. */
  readonly connectRetryCounter: number;
  /** The timers that should be running now, each with the delay (ms) it was last armed with. */
  readonly timers: Readonly<Partial<Record<FsmTimer, number>>>;
  /** What the next failure will wait before the automatic restart (grows, see IdleHoldConfig). */
  readonly idleHoldTimeMs: number;
  /** Restart automatically after a failure; set by ManualStart, cleared by ManualStop. */
  readonly automaticRestart: boolean;
  /** PassiveTcpEstablishment (RFC 4271 section 8.1.1), chosen by the last start event. */
  readonly passive: boolean;
  /** From the peer's valid OPEN: present in OpenConfirm and Established. */
  readonly negotiated?: Negotiated;
}

/** A session that was never started: Idle, nothing running, waiting for ManualStart. */
export function initialFsmState(config: FsmConfig): FsmState {
  return {
    name: 'Idle',
    connectRetryCounter: 0,
    timers: {},
    idleHoldTimeMs: idleHoldMs(config).initialMs,
    automaticRestart: false,
    passive: false,
  };
}

/**
 * Whether an incoming TCP connection can be handed to this FSM as TcpConnectionConfirmed. In any
 * other state the session layer keeps it apart (a collision candidate, see collision.ts) or closes it.
 */
export function acceptsIncomingConnection(state: FsmState): boolean {
  return state.name === 'Connect' || state.name === 'Active';
}

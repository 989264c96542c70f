/**
 * FSM input events, named as in RFC 4271 section 8.1 (the ones we use). The session layer reports
 * what happened on the FSM's one connection; SessionFsm feeds the timer expiries itself.
 *
 * Not modelled: DelayOpen (events 12, 20), TcpConnection_Valid / Tcp_CR_Invalid (14, 15: the
 * listener decides which addresses it accepts) and the _with_DampPeerOscillations start variants
 * (6, 7): damping is always on, through the IdleHoldTimer.
 */
import { ErrorCode, OpenSubcode } from '../wire/constants.js';
import type { BgpWireError } from '../wire/errors.js';
import type { NotificationMessage, OpenMessage, RouteRefreshMessage, UpdateMessage } from '../wire/types.js';
import type { FsmTimer } from './states.js';

export type FsmEvent =
  // ----- Administrative (RFC 4271 section 8.1.2) -----
  /**
   * Start connecting now (events 1 and 4), overriding any idle hold wait. The passive variant never
   * connects: it waits in Active for the peer. `automaticRestart: false` makes a one-shot FSM
   * (for a collision candidate, see collision.ts) that stays Idle after a failure.
   */
  | { readonly type: 'ManualStart'; readonly automaticRestart?: boolean }
  | { readonly type: 'ManualStart_with_PassiveTcpEstablishment'; readonly automaticRestart?: boolean }
  /**
   * Stop (event 2): Cease with `subcode` (default Administrative Shutdown), an RFC 9003 message for
   * subcodes 2 and 4, or a prepared `notification`; then Idle with no automatic restart.
   */
  | {
      readonly type: 'ManualStop';
      readonly subcode?: number;
      readonly message?: string;
      readonly notification?: NotificationMessage;
    }
  /**
   * Events 3 and 5: started by the system. Ignored unless automatic restart is on (a ManualStop
   * wins over automation) and while the IdleHoldTimer runs (damping wins too).
   */
  | { readonly type: 'AutomaticStart' }
  | { readonly type: 'AutomaticStart_with_PassiveTcpEstablishment' }
  /**
   * Event 8: the system ends the session (maximum prefixes reached, configuration change) with
   * Cease/`subcode`; counted as a failure, so the automatic restart follows the idle hold time.
   */
  | { readonly type: 'AutomaticStop'; readonly subcode: number; readonly data?: Uint8Array }
  // ----- Timers (section 8.1.3), fed by SessionFsm -----
  | { readonly type: 'ConnectRetryTimer_Expires' }
  | { readonly type: 'HoldTimer_Expires' }
  | { readonly type: 'KeepaliveTimer_Expires' }
  | { readonly type: 'IdleHoldTimer_Expires' }
  /** Ours: the session stayed Established for idleHold.resetAfterSeconds. */
  | { readonly type: 'IdleHoldResetTimer_Expires' }
  /** RFC 9687 Event 29: nothing we sent left for SendHoldTime (SessionFsm.noteTransmitted restarts it). */
  | { readonly type: 'SendHoldTimer_Expires' }
  // ----- TCP connection (section 8.1.4) -----
  /** Event 16: our outgoing connection (started by a `connect` action) came up. */
  | { readonly type: 'Tcp_CR_Acked' }
  /**
   * Event 17: an incoming connection was accepted for this FSM. Only in Connect and Active (see
   * acceptsIncomingConnection); in Connect the session layer abandons its own pending attempt.
   */
  | { readonly type: 'TcpConnectionConfirmed' }
  /** Event 18: the FSM's connection (or the pending outgoing attempt) failed or was closed. */
  | { readonly type: 'TcpConnectionFails' }
  // ----- BGP messages (section 8.1.5) -----
  /** Event 19: an OPEN decoded without error; the FSM checks it (negotiate.ts). */
  | { readonly type: 'BGPOpen'; readonly open: OpenMessage }
  /**
   * Event 21: a message that could not be framed or decoded; the error's NOTIFICATION is sent.
   * Any session-ending decode error that is not about an OPEN or an UPDATE (a ROUTE-REFRESH of the
   * wrong length, RFC 7313 section 5) is reported as this event too.
   */
  | { readonly type: 'BGPHeaderErr'; readonly error: BgpWireError }
  /** Event 22: an OPEN that could not be decoded. */
  | { readonly type: 'BGPOpenMsgErr'; readonly error: BgpWireError }
  /** Event 23: the session layer's collision resolution chose to close this connection (Cease/7). */
  | { readonly type: 'OpenCollisionDump' }
  /** Event 24: a NOTIFICATION with OPEN Message Error/Unsupported Version Number. */
  | { readonly type: 'NotifMsgVerErr'; readonly notification: NotificationMessage }
  /** Event 25: any other NOTIFICATION. */
  | { readonly type: 'NotifMsg'; readonly notification: NotificationMessage }
  | { readonly type: 'KeepAliveMsg' }
  /** Event 27; the UPDATE itself is the RIB's business, the FSM only restarts the hold timer. */
  | { readonly type: 'UpdateMsg'; readonly update?: UpdateMessage }
  /**
   * Event 28: an UPDATE error whose RFC 7606 action is session-reset. Treat-as-withdraw and
   * attribute-discard are not FSM events: they arrive as UpdateMsg with `problems`.
   */
  | { readonly type: 'UpdateMsgErr'; readonly error: BgpWireError }
  /** RFC 2918: not an RFC 4271 event; handled like a KEEPALIVE in Established, unexpected before. */
  | { readonly type: 'RouteRefreshMsg'; readonly routeRefresh?: RouteRefreshMessage };

export type FsmEventType = FsmEvent['type'];

/** The event each timer's expiry is fed back as. */
export const TIMER_EXPIRY_EVENT = {
  ConnectRetryTimer: 'ConnectRetryTimer_Expires',
  HoldTimer: 'HoldTimer_Expires',
  KeepaliveTimer: 'KeepaliveTimer_Expires',
  IdleHoldTimer: 'IdleHoldTimer_Expires',
  IdleHoldResetTimer: 'IdleHoldResetTimer_Expires',
  SendHoldTimer: 'SendHoldTimer_Expires',
} as const satisfies Record<FsmTimer, FsmEventType>;

const EXPIRY_TIMER = new Map<FsmEventType, FsmTimer>(
  Object.entries(TIMER_EXPIRY_EVENT).map(([timer, event]) => [event, timer as FsmTimer]),
);

/** The timer whose expiry this event reports, if it is a timer event. */
export function timerOfExpiry(event: FsmEvent): FsmTimer | undefined {
  return EXPIRY_TIMER.get(event.type);
}

/**
 * The event for a decoded NOTIFICATION: RFC 4271 section 8.1.5 keeps Unsupported Version Number
 * apart (event 24) because it is not counted as a failure.
 */
export function notificationEvent(notification: NotificationMessage): FsmEvent {
  return notification.code === ErrorCode.OPEN_MESSAGE && notification.subcode === OpenSubcode.UNSUPPORTED_VERSION_NUMBER
    ? { type: 'NotifMsgVerErr', notification }
    : { type: 'NotifMsg', notification };
}

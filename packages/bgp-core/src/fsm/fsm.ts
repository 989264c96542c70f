/**
 * The BGP finite state machine of RFC 4271 section 8.2.2 as one pure function:
 * (state, event, config, random) -> (state, actions). No I/O, no clock: timers are actions that
 * SessionFsm carries out, and their expiries come back as events.
 *
 * One function per state, each a switch over every event with a `never` check, so a new event
 * does not compile until every state has decided what to do with it.
 *
 * Where we differ from the RFC text, on purpose:
 * - Connect + TcpConnectionFails goes to Active and retries when the ConnectRetryTimer fires (what
 *   the RFC does with DelayOpen, and what BIRD and GoBGP do), instead of Idle: an unreachable peer
 *   is retried every ConnectRetryTime, and connect failures do not feed the damping.
 * - Passive (the _with_PassiveTcpEstablishment starts) never connects: no ConnectRetryTimer, the
 *   FSM waits in Active for the peer (the RFC would connect after ConnectRetryTime).
 * - A NOTIFICATION received in OpenSent is not answered with an FSM Error NOTIFICATION (RFC 4271
 *   lists event 25 among OpenSent's "other events"): the peer is closing anyway, and RFC 6608 is
 *   about unexpected messages, which a NOTIFICATION never is.
 * - A ROUTE-REFRESH restarts the hold timer in Established like a KEEPALIVE (any message proves the
 *   peer alive) and is an unexpected message before Established (RFC 6608).
 * - Damping (section 8.1.1, DampPeerOscillations) is always on: every failure leaves Idle with the
 *   IdleHoldTimer running, whose expiry restarts the session; see IdleHoldConfig for the numbers.
 */
import type { BgpWireError } from '../wire/errors.js';
import type { NotificationMessage } from '../wire/types.js';
import { CeaseSubcode } from '../wire/constants.js';
import type { FsmAction, FsmReason } from './actions.js';
import { connectRetryMs, FSM_DEFAULTS, idleHoldMs, sendHoldMs } from './config.js';
import type { FsmConfig } from './config.js';
import { timerOfExpiry } from './events.js';
import type { FsmEvent } from './events.js';
import { buildOpen, validateOpen } from './negotiate.js';
import type { Negotiated } from './negotiate.js';
import {
  ceaseNotification,
  holdTimerExpiredNotification,
  unexpectedEventNotification,
  unexpectedMessageNotification,
  sendHoldTimerExpiredNotification,
} from './notifications.js';
import type { FsmState, FsmTimer, SessionStateName } from './states.js';

/** Returns a number in [0, 1), like Math.random; inject a seeded one for reproducible jitter. */
export type RandomSource = () => number;

export interface TransitionResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** RFC 4271 section 10: ConnectRetry jitter multiplies by a random factor in 0.75..1.0. */
export function jitter(delayMs: number, random: RandomSource): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(delayMs * (0.75 + 0.25 * r));
}

/** A draft of the next state plus the actions so far; discarded after one transition. */
class Step {
  name: SessionStateName;
  connectRetryCounter: number;
  timers: Partial<Record<FsmTimer, number>>;
  idleHoldTimeMs: number;
  automaticRestart: boolean;
  passive: boolean;
  negotiated: Negotiated | undefined;
  readonly actions: FsmAction[] = [];

  constructor(
    state: FsmState,
    readonly config: FsmConfig,
    private readonly random: RandomSource,
  ) {
    this.name = state.name;
    this.connectRetryCounter = state.connectRetryCounter;
    this.timers = { ...state.timers };
    this.idleHoldTimeMs = state.idleHoldTimeMs;
    this.automaticRestart = state.automaticRestart;
    this.passive = state.passive;
    this.negotiated = state.negotiated;
  }

  result(): TransitionResult {
    const state: FsmState = {
      name: this.name,
      connectRetryCounter: this.connectRetryCounter,
      timers: this.timers,
      idleHoldTimeMs: this.idleHoldTimeMs,
      automaticRestart: this.automaticRestart,
      passive: this.passive,
      ...(this.negotiated === undefined ? {} : { negotiated: this.negotiated }),
    };
    return { state, actions: this.actions };
  }

  // ----- building blocks -----

  startTimer(timer: FsmTimer, delayMs: number): void {
    this.timers[timer] = delayMs;
    this.actions.push({ type: 'start-timer', timer, delayMs });
  }

  stopTimer(timer: FsmTimer): void {
    if (this.timers[timer] === undefined) return;
    delete this.timers[timer];
    this.actions.push({ type: 'stop-timer', timer });
  }

  startConnectRetryTimer(): void {
    this.startTimer('ConnectRetryTimer', jitter(connectRetryMs(this.config), this.random));
  }

  send(message: NotificationMessage | { readonly type: 'keepalive' }): void {
    this.actions.push({ type: 'send', message });
  }

  sendKeepalive(): void {
    this.send({ type: 'keepalive' });
  }

  moveTo(to: SessionStateName, reason: FsmReason): void {
    const from = this.name;
    if (from === to) return;
    this.name = to;
    this.actions.push({ type: 'state-changed', from, to, reason });
  }

  /** The negotiated hold time runs only when it is not 0 (RFC 4271 section 4.2). */
  restartHoldTimer(): void {
    const holdTime = this.negotiated?.holdTimeSeconds ?? 0;
    if (holdTime > 0) this.startTimer('HoldTimer', holdTime * 1000);
  }

  /**
   * RFC 4271 section 10: jitter SHOULD be applied to the KeepaliveTimer (0.75 to 1.0 of the
   * value), so that the sessions of one speaker, and the speakers of one cluster started together,
   * do not send their KEEPALIVEs in lockstep. Always below the value: never late for the hold time.
   */
  /** RFC 9687: armed on entering Established; SessionFsm.noteTransmitted restarts it. */
  startSendHoldTimer(): void {
    const delayMs = sendHoldMs(this.config, this.negotiated?.holdTimeSeconds ?? 0);
    if (delayMs !== undefined) this.startTimer('SendHoldTimer', delayMs);
  }

  restartKeepaliveTimer(): void {
    const keepalive = this.negotiated?.keepaliveSeconds ?? 0;
    if (keepalive > 0) this.startTimer('KeepaliveTimer', jitter(keepalive * 1000, this.random));
  }

  // ----- procedures the RFC repeats in many states -----

  /** Idle -> Connect, or Active when passive (RFC 4271 section 8.2.2, Idle state, events 1-5). */
  start(passive: boolean, reason: FsmReason): void {
    this.connectRetryCounter = 0;
    this.passive = passive;
    this.stopTimer('IdleHoldTimer');
    if (passive) {
      this.moveTo('Active', reason);
      return;
    }
    this.startConnectRetryTimer();
    this.actions.push({ type: 'connect' });
    this.moveTo('Connect', reason);
  }

  /** A TCP connection is up (events 16, 17 in Connect/Active): send our OPEN and wait for theirs. */
  openConnection(reason: FsmReason): void {
    this.stopTimer('ConnectRetryTimer');
    this.actions.push({ type: 'send', message: buildOpen(this.config) });
    this.startTimer('HoldTimer', FSM_DEFAULTS.openHoldTimeSeconds * 1000);
    this.moveTo('OpenSent', reason);
  }

  /**
   * The RFC's common failure path: (send the NOTIFICATION,) drop the connection, stop the
   * timers, count the failure, and go Idle with the IdleHoldTimer armed for the automatic restart
   * (DampPeerOscillations, section 8.1.1); the idle hold time then doubles up to its maximum.
   */
  fail(
    reason: FsmReason,
    options: { sent?: NotificationMessage; received?: NotificationMessage; countsAsFailure?: boolean } = {},
  ): void {
    if (options.sent !== undefined) this.send(options.sent);
    this.actions.push({ type: 'drop-connection' });
    this.stopTimer('ConnectRetryTimer');
    this.stopTimer('HoldTimer');
    this.stopTimer('KeepaliveTimer');
    this.stopTimer('IdleHoldResetTimer');
    this.stopTimer('SendHoldTimer');
    this.sessionDownIfEstablished(reason, options.sent, options.received);
    this.negotiated = undefined;
    if (options.countsAsFailure ?? true) this.connectRetryCounter++;
    this.moveTo('Idle', reason);
    if (this.automaticRestart) {
      this.startTimer('IdleHoldTimer', this.idleHoldTimeMs);
      this.idleHoldTimeMs = Math.min(this.idleHoldTimeMs * 2, idleHoldMs(this.config).maxMs);
    }
  }

  /** ManualStop: Cease when a BGP connection exists, then Idle with no automatic restart. */
  manualStop(event: Extract<FsmEvent, { type: 'ManualStop' }>): void {
    const hasBgpConnection = this.name === 'OpenSent' || this.name === 'OpenConfirm' || this.name === 'Established';
    let sent: NotificationMessage | undefined;
    if (hasBgpConnection) {
      sent = event.notification ?? ceaseNotification(event.subcode ?? CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, event.message);
      this.send(sent);
    }
    if (this.name !== 'Idle') this.actions.push({ type: 'drop-connection' });
    for (const timer of ['ConnectRetryTimer', 'HoldTimer', 'KeepaliveTimer', 'IdleHoldTimer', 'IdleHoldResetTimer', 'SendHoldTimer'] as const) {
      this.stopTimer(timer);
    }
    this.sessionDownIfEstablished('manual-stop', sent, undefined);
    this.negotiated = undefined;
    this.connectRetryCounter = 0;
    this.automaticRestart = false;
    this.idleHoldTimeMs = idleHoldMs(this.config).initialMs;
    this.moveTo('Idle', 'manual-stop');
  }

  private sessionDownIfEstablished(
    reason: FsmReason,
    sent: NotificationMessage | undefined,
    received: NotificationMessage | undefined,
  ): void {
    if (this.name !== 'Established') return;
    this.actions.push({
      type: 'session-down',
      reason,
      ...(sent === undefined ? {} : { notificationSent: sent }),
      ...(received === undefined ? {} : { notificationReceived: received }),
    });
  }

  /** AutomaticStop (event 8): a Cease when a BGP connection exists, counted as a failure. */
  automaticStop(event: Extract<FsmEvent, { type: 'AutomaticStop' }>): void {
    const hasBgpConnection = this.name === 'OpenSent' || this.name === 'OpenConfirm' || this.name === 'Established';
    const sent = hasBgpConnection ? ceaseNotification(event.subcode) : undefined;
    const withData = sent !== undefined && event.data !== undefined ? { ...sent, data: event.data } : sent;
    this.fail('automatic-stop', withData === undefined ? {} : { sent: withData });
  }
}

function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------

/** RFC 4271 section 8.2.2, Idle: only starts (and our damping timer) do anything. */
function inIdle(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'ManualStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
      step.automaticRestart = event.automaticRestart ?? true;
      step.start(event.type === 'ManualStart_with_PassiveTcpEstablishment', 'manual-start');
      return;
    case 'AutomaticStart':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      if (!step.automaticRestart || step.timers.IdleHoldTimer !== undefined) return;
      step.start(event.type === 'AutomaticStart_with_PassiveTcpEstablishment', 'automatic-start');
      return;
    case 'IdleHoldTimer_Expires':
      if (step.automaticRestart) step.start(step.passive, 'idle-hold-expired');
      return;
    case 'ManualStop':
      // Nothing to close, but a pending automatic restart is cancelled: the operator said stop.
      step.stopTimer('IdleHoldTimer');
      step.automaticRestart = false;
      step.idleHoldTimeMs = idleHoldMs(step.config).initialMs;
      return;
    case 'AutomaticStop':
    case 'ConnectRetryTimer_Expires':
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'IdleHoldResetTimer_Expires':
    case 'SendHoldTimer_Expires':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'TcpConnectionFails':
    case 'BGPOpen':
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'OpenCollisionDump':
    case 'NotifMsgVerErr':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // "Any other event ... received in the Idle state does not cause change in the state."
      return;
    default:
      assertNever(event, 'event');
  }
}

/**
 * The events Connect and Active answer alike: no BGP connection exists yet, so anything
 * BGP-level is an error that sends nothing and goes Idle (RFC 4271 "other events" of both states).
 */
function beforeOpen(step: Step, event: Exclude<FsmEvent, { type: 'ConnectRetryTimer_Expires' | 'TcpConnectionFails' }>): void {
  switch (event.type) {
    case 'ManualStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
    case 'IdleHoldResetTimer_Expires':
    case 'SendHoldTimer_Expires':
      return;
    case 'ManualStop':
      step.manualStop(event);
      return;
    case 'AutomaticStop':
      step.automaticStop(event);
      return;
    case 'Tcp_CR_Acked':
      step.openConnection('tcp-connected');
      return;
    case 'TcpConnectionConfirmed':
      step.openConnection('tcp-accepted');
      return;
    case 'NotifMsgVerErr':
      step.fail('notification-version-error', { received: event.notification, countsAsFailure: false });
      return;
    case 'NotifMsg':
      step.fail('notification-received', { received: event.notification });
      return;
    case 'BGPHeaderErr':
      step.fail('header-error');
      return;
    case 'BGPOpenMsgErr':
      step.fail('open-message-error');
      return;
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'IdleHoldTimer_Expires':
    case 'BGPOpen':
    case 'OpenCollisionDump':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      step.fail('unexpected-event');
      return;
    default:
      assertNever(event, 'event');
  }
}

/** RFC 4271 section 8.2.2, Connect: our outgoing connection attempt is in progress. */
function inConnect(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'ConnectRetryTimer_Expires':
      // Abandon the attempt that did not complete and try again.
      step.actions.push({ type: 'drop-connection' });
      step.startConnectRetryTimer();
      step.actions.push({ type: 'connect' });
      return;
    case 'TcpConnectionFails':
      step.startConnectRetryTimer();
      step.moveTo('Active', 'tcp-failed');
      return;
    default:
      beforeOpen(step, event);
  }
}

/** RFC 4271 section 8.2.2, Active: listening; retrying later unless passive. */
function inActive(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'ConnectRetryTimer_Expires':
      if (step.passive) return;
      step.startConnectRetryTimer();
      step.actions.push({ type: 'connect' });
      step.moveTo('Connect', 'connect-retry-expired');
      return;
    case 'TcpConnectionFails':
      step.fail('tcp-failed');
      return;
    default:
      beforeOpen(step, event);
  }
}

/**
 * The events OpenSent, OpenConfirm and Established answer alike: a BGP connection exists, so
 * errors are answered with a NOTIFICATION before the connection is dropped.
 */
type StateSpecificWithConnection =
  | 'KeepaliveTimer_Expires'
  | 'TcpConnectionFails'
  | 'BGPOpen'
  | 'KeepAliveMsg'
  | 'UpdateMsg'
  | 'UpdateMsgErr'
  | 'RouteRefreshMsg';

function withConnection(step: Step, event: Exclude<FsmEvent, { type: StateSpecificWithConnection }>): void {
  switch (event.type) {
    case 'ManualStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
    // A second connection is the session layer's (collision.ts); the FSM keeps its own.
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return;
    case 'ManualStop':
      step.manualStop(event);
      return;
    case 'AutomaticStop':
      step.automaticStop(event);
      return;
    case 'HoldTimer_Expires':
      step.fail('hold-timer-expired', { sent: holdTimerExpiredNotification() });
      return;
    case 'BGPHeaderErr':
      step.fail('header-error', { sent: notificationOf(event.error) });
      return;
    case 'BGPOpenMsgErr':
      step.fail('open-message-error', { sent: notificationOf(event.error) });
      return;
    case 'OpenCollisionDump':
      step.fail('collision-dump', { sent: ceaseNotification(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION) });
      return;
    case 'NotifMsgVerErr':
      // RFC 4271: a version error is not counted in the ConnectRetryCounter.
      step.fail('notification-version-error', { received: event.notification, countsAsFailure: false });
      return;
    case 'NotifMsg':
      step.fail('notification-received', { received: event.notification });
      return;
    case 'ConnectRetryTimer_Expires':
    case 'IdleHoldTimer_Expires':
      step.fail('unexpected-event', { sent: unexpectedEventNotification() });
      return;
    case 'IdleHoldResetTimer_Expires':
    case 'SendHoldTimer_Expires':
      // Stale: these timers only run in Established, which handles them itself.
      return;
    default:
      assertNever(event, 'event');
  }
}

function notificationOf(error: BgpWireError): NotificationMessage {
  const { code, subcode, data } = error.notification;
  return { type: 'notification', code, subcode, data };
}

function unexpectedMessage(step: Step): void {
  step.fail('unexpected-message', { sent: unexpectedMessageNotification(step.name) });
}

/** RFC 4271 section 8.2.2, OpenSent: our OPEN is out, the hold timer is at 4 minutes. */
function inOpenSent(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'BGPOpen': {
      const check = validateOpen(event.open, step.config);
      if (!check.ok) {
        step.fail('open-rejected', { sent: notificationOf(check.error) });
        return;
      }
      step.negotiated = check.negotiated;
      step.stopTimer('ConnectRetryTimer');
      step.sendKeepalive();
      // The negotiated hold time replaces the 4 minutes; 0 means no hold and no keepalive timer.
      if (check.negotiated.holdTimeSeconds > 0) step.restartHoldTimer();
      else step.stopTimer('HoldTimer');
      step.restartKeepaliveTimer();
      step.moveTo('OpenConfirm', 'open-received');
      return;
    }
    case 'TcpConnectionFails':
      // Close, and go back to waiting (and retrying, unless passive) in Active; not a failure.
      step.actions.push({ type: 'drop-connection' });
      step.stopTimer('HoldTimer');
      if (!step.passive) step.startConnectRetryTimer();
      step.moveTo('Active', 'tcp-failed');
      return;
    case 'KeepaliveTimer_Expires':
      step.fail('unexpected-event', { sent: unexpectedEventNotification() });
      return;
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      unexpectedMessage(step);
      return;
    default:
      withConnection(step, event);
  }
}

/** RFC 4271 section 8.2.2, OpenConfirm: OPENs exchanged, waiting for the peer's KEEPALIVE. */
function inOpenConfirm(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'KeepAliveMsg': {
      step.restartHoldTimer();
      step.startTimer('IdleHoldResetTimer', idleHoldMs(step.config).resetAfterMs);
      step.startSendHoldTimer();
      step.moveTo('Established', 'keepalive-received');
      if (step.negotiated !== undefined) step.actions.push({ type: 'session-established', negotiated: step.negotiated });
      return;
    }
    case 'KeepaliveTimer_Expires':
      step.sendKeepalive();
      step.restartKeepaliveTimer();
      return;
    case 'TcpConnectionFails':
      step.fail('tcp-failed');
      return;
    case 'BGPOpen':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      unexpectedMessage(step);
      return;
    default:
      withConnection(step, event);
  }
}

/** RFC 4271 section 8.2.2, Established. */
function inEstablished(step: Step, event: FsmEvent): void {
  switch (event.type) {
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'RouteRefreshMsg':
      step.restartHoldTimer();
      return;
    case 'KeepaliveTimer_Expires':
      step.sendKeepalive();
      step.restartKeepaliveTimer();
      return;
    case 'UpdateMsgErr':
      step.fail('update-message-error', { sent: notificationOf(event.error) });
      return;
    case 'TcpConnectionFails':
      step.fail('tcp-failed');
      return;
    case 'IdleHoldResetTimer_Expires':
      // Stable long enough: the last failures were not a flapping pattern.
      step.idleHoldTimeMs = idleHoldMs(step.config).initialMs;
      return;
    case 'SendHoldTimer_Expires':
      // RFC 9687 section 3: the peer has taken nothing we sent for SendHoldTime. The NOTIFICATION
      // is queued behind what it did not take; the connection is dropped either way.
      step.fail('send-hold-timer-expired', { sent: sendHoldTimerExpiredNotification() });
      return;
    case 'BGPOpen':
      unexpectedMessage(step);
      return;
    default:
      withConnection(step, event);
  }
}

/**
 * One step of the FSM. `random` only jitters the ConnectRetryTimer; pass a fixed or seeded source
 * and the result is fully determined by the arguments.
 */
export function transition(state: FsmState, event: FsmEvent, config: FsmConfig, random: RandomSource = Math.random): TransitionResult {
  const step = new Step(state, config, random);
  // An expiry means that timer is no longer running, whatever the state does next.
  const expired = timerOfExpiry(event);
  if (expired !== undefined) delete step.timers[expired];
  switch (state.name) {
    case 'Idle':
      inIdle(step, event);
      break;
    case 'Connect':
      inConnect(step, event);
      break;
    case 'Active':
      inActive(step, event);
      break;
    case 'OpenSent':
      inOpenSent(step, event);
      break;
    case 'OpenConfirm':
      inOpenConfirm(step, event);
      break;
    case 'Established':
      inEstablished(step, event);
      break;
    default:
      assertNever(state.name, 'state');
  }
  return step.result();
}

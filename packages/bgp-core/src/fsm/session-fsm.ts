/**
 * The driver around the pure `transition`: keeps the state, arms and cancels the timers the
 * transitions ask for on an injected Clock, feeds their expiries back as events, and hands every
 * other action to the owner's `onAction` callback.
 *
 * Events are queued: an owner that reacts to an action by calling `handle` again (a connect that
 * fails at once, say) gets its event processed after the current transition's actions, never in
 * the middle of them.
 */
import type { OwnerAction, TimerAction } from './actions.js';
import { isTimerAction } from './actions.js';
import { systemClock } from '@metallb-ts/clock';
import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { checkFsmConfig } from './config.js';
import type { FsmConfig } from './config.js';
import { TIMER_EXPIRY_EVENT } from './events.js';
import type { FsmEvent } from './events.js';
import { transition } from './fsm.js';
import type { RandomSource } from './fsm.js';
import { initialFsmState } from './states.js';
import type { FsmState, FsmTimer, SessionStateName } from './states.js';

export interface SessionFsmOptions {
  /** Checked with checkFsmConfig: a bad value throws a RangeError here, not later on the wire. */
  readonly config: FsmConfig;
  /** Every action that is not a timer, in order. */
  readonly onAction: (action: OwnerAction, fsm: SessionFsm) => void;
  /** Default: systemClock (setTimeout, unref'd). */
  readonly clock?: Clock;
  /** Jitter source for the ConnectRetryTimer; default Math.random. */
  readonly random?: RandomSource;
  /** Default: initialFsmState(config), Idle and never started. */
  readonly initialState?: FsmState;
}

interface ArmedTimer {
  readonly delayMs: number;
  handle: TimerHandle;
}

export class SessionFsm {
  private current: FsmState;
  private config: FsmConfig;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly onAction: (action: OwnerAction, fsm: SessionFsm) => void;
  private readonly armed = new Map<FsmTimer, ArmedTimer>();
  private readonly queue: FsmEvent[] = [];
  private running = false;
  private disposed = false;

  constructor(options: SessionFsmOptions) {
    checkFsmConfig(options.config);
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onAction = options.onAction;
    this.current = options.initialState ?? initialFsmState(options.config);
    for (const [timer, delayMs] of Object.entries(this.current.timers) as [FsmTimer, number][]) this.arm(timer, delayMs);
  }

  get state(): FsmState {
    return this.current;
  }

  get stateName(): SessionStateName {
    return this.current.name;
  }

  /** Feeds one event; its actions (and those of any event queued meanwhile) run before this returns. */
  handle(event: FsmEvent): void {
    if (this.disposed) return;
    this.queue.push(event);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined && !this.disposed; next = this.queue.shift()) this.step(next);
    } finally {
      this.running = false;
    }
  }

  /**
   * Call after writing an UPDATE (or any message) in Established: RFC 4271 section 8.2.2 restarts
   * the KeepaliveTimer whenever a KEEPALIVE or UPDATE is sent, so a busy session sends no
   * KEEPALIVEs at all.
   */
  noteMessageSent(): void {
    if (this.disposed || this.current.name !== 'Established') return;
    const delayMs = this.current.timers.KeepaliveTimer;
    if (delayMs !== undefined) this.apply({ type: 'start-timer', timer: 'KeepaliveTimer', delayMs });
  }

  /**
   * Call when the socket took what was written without pushing back, or drained (RFC 9687): it
   * restarts the SendHoldTimer, which expires only when nothing could leave for SendHoldTime (a
   * peer that stopped reading while we have data for it).
   */
  noteTransmitted(): void {
    if (this.disposed || this.current.name !== 'Established') return;
    const delayMs = this.current.timers.SendHoldTimer;
    if (delayMs !== undefined) this.apply({ type: 'start-timer', timer: 'SendHoldTimer', delayMs });
  }

  /**
   * Replaces the configuration for what comes next (the next OPEN we build, the next timers);
   * the running session is not touched. Checked like the constructor's.
   */
  reconfigure(config: FsmConfig): void {
    checkFsmConfig(config);
    this.config = config;
  }

  /**
   * The Established fast path for a received UPDATE, KEEPALIVE or ROUTE-REFRESH: RFC 4271 section
   * 8.2.2 only restarts the HoldTimer for them, which this does without a whole transition (a full
   * table is 250,000 UPDATEs). Returns false outside Established: feed the event then instead.
   */
  noteMessageReceivedWhileEstablished(): boolean {
    if (this.disposed || this.current.name !== 'Established') return false;
    const delayMs = this.current.timers.HoldTimer;
    if (delayMs !== undefined) this.apply({ type: 'start-timer', timer: 'HoldTimer', delayMs });
    return true;
  }

  /**
   * For a collision candidate that won (see collision.ts): take over the restart policy of the FSM
   * it replaces (automatic restart, passive or not, the current idle hold time), so the winner
   * restarts after a failure the way the peer is configured to.
   */
  adoptRestartPolicy(from: FsmState): void {
    this.current = {
      ...this.current,
      automaticRestart: from.automaticRestart,
      passive: from.passive,
      idleHoldTimeMs: from.idleHoldTimeMs,
    };
  }

  /** Cancels every timer and ignores all further events. Sends nothing: stop first if needed. */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    for (const timer of this.armed.values()) timer.handle.cancel();
    this.armed.clear();
  }

  private step(event: FsmEvent): void {
    const { state, actions } = transition(this.current, event, this.config, this.random);
    this.current = state;
    for (const action of actions) {
      if (this.disposed) return;
      if (isTimerAction(action)) this.apply(action);
      else this.onAction(action, this);
    }
  }

  private apply(action: TimerAction): void {
    if (action.type === 'stop-timer') {
      this.armed.get(action.timer)?.handle.cancel();
      this.armed.delete(action.timer);
      return;
    }
    this.arm(action.timer, action.delayMs);
  }

  /** Re-arming with the same delay refreshes the existing timer (the hold timer, on every message). */
  private arm(timer: FsmTimer, delayMs: number): void {
    const existing = this.armed.get(timer);
    if (existing !== undefined && existing.delayMs === delayMs && existing.handle.refresh !== undefined) {
      existing.handle.refresh();
      return;
    }
    existing?.handle.cancel();
    const entry: ArmedTimer = { delayMs, handle: { cancel: () => {} } };
    entry.handle = this.clock.setTimer(delayMs, () => this.expired(timer, entry));
    this.armed.set(timer, entry);
  }

  private expired(timer: FsmTimer, entry: ArmedTimer): void {
    // A timer replaced or stopped since it was armed is stale.
    if (this.armed.get(timer) !== entry) return;
    this.armed.delete(timer);
    this.handle({ type: TIMER_EXPIRY_EVENT[timer] });
  }
}

/**
 * Time for the liveness membership comes through this interface: real timers in the speaker, a
 * ManualClock in the tests. Same shape as bgp-core's fsm/clock.ts on purpose (one systemClock
 * object can serve both), declared here because the L2 package must not depend on the BGP ones.
 */

export interface TimerHandle {
  /** Stops the timer; `fire` will not be called afterwards. Safe to call twice. */
  cancel(): void;
  /** Restarts the countdown with the original delay. */
  refresh?(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale; only differences mean something. */
  now(): number;
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

/** Node's timers, unref()'d: the UDP socket keeps the process alive, not a heartbeat timer. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timeout = setTimeout(fire, Math.max(0, delayMs));
    timeout.unref();
    return {
      cancel: () => clearTimeout(timeout),
      refresh: () => {
        timeout.refresh();
      },
    };
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  readonly delayMs: number;
  readonly fire: () => void;
}

/** A bound on timers firing inside one advance(): a timer re-arming itself at delay 0 fails loudly. */
const MAX_FIRES_PER_ADVANCE = 100_000;

/** A clock for tests: time moves only when `advance` is called; timers fire in due order. */
export class ManualClock implements Clock {
  private current: number;
  private nextSeq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const delay = Math.max(0, delayMs);
    const timer: ManualTimer = { due: this.current + delay, seq: this.nextSeq++, delayMs: delay, fire };
    this.timers.add(timer);
    return {
      cancel: () => {
        this.timers.delete(timer);
      },
      refresh: () => {
        timer.due = this.current + timer.delayMs;
        timer.seq = this.nextSeq++;
        this.timers.add(timer);
      },
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    const target = this.current + ms;
    for (let fired = 0; ; fired++) {
      if (fired >= MAX_FIRES_PER_ADVANCE) throw new Error('ManualClock: timers keep re-arming without time passing');
      let next: ManualTimer | undefined;
      for (const timer of this.timers) {
        if (timer.due > target) continue;
        if (next === undefined || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq)) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = next.due;
      next.fire();
    }
    this.current = target;
  }
}

/**
 * Time comes through this interface, so a state machine runs on real timers and its tests
 * run on a ManualClock that they advance by hand: no sleeping, no flaky timing.
 */

export interface TimerHandle {
  /** Stops the timer; `fire` will not be called afterwards. Safe to call twice. */
  cancel(): void;
  /** Restarts the countdown with the original delay, without allocating a new timer (undici style). */
  refresh?(): void;
}

export interface Clock {
  /** Milliseconds on a monotonic scale; only differences mean something. */
  now(): number;
  setTimer(delayMs: number, fire: () => void): TimerHandle;
}

/**
 * Node's timers. Every timer is unref()'d: a BGP session waiting for its hold timer, or a
 * heartbeat waiting for its next round, must not keep the process alive on its own (the sockets
 * do that).
 */
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
  /** Order of arming: timers due at the same instant fire in the order they were (re)armed. */
  seq: number;
  readonly delayMs: number;
  readonly fire: () => void;
}

/** A guard against a timer that re-arms itself with delay 0 forever inside one advance(). */
const MAX_FIRES_PER_ADVANCE = 1_000_000;

/** A clock for tests: time moves only when `advance` is called. */
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

  /** Milliseconds until the next timer fires, or undefined when none is armed. */
  get nextDueInMs(): number | undefined {
    const next = this.earliest(Number.POSITIVE_INFINITY);
    return next === undefined ? undefined : next.due - this.current;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in due order; a timer
   * armed by a firing timer fires too when it falls due within the window. `now()` inside a timer
   * reads that timer's due time.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    const target = this.current + ms;
    for (let fired = 0; ; fired++) {
      if (fired >= MAX_FIRES_PER_ADVANCE) throw new Error('ManualClock: timers keep re-arming without time passing');
      const next = this.earliest(target);
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = next.due;
      next.fire();
    }
    this.current = target;
  }

  private earliest(notAfter: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due > notAfter) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}

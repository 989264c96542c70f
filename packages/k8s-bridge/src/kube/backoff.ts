/**
 * Exponential backoff for restarting a failed informer: initial, doubled after each failure,
 * capped, and reset after a success. Jitter (up to +50%) spreads restarts of many informers
 * that failed together, as after an API server restart.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Returns a number in [0, 1); injectable for tests. Default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {
    if (options.initialMs <= 0 || options.maxMs < options.initialMs) throw new RangeError('backoff needs 0 < initialMs <= maxMs');
  }

  /** The delay before the next attempt, and counts this failure. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const jitter = (this.options.random ?? Math.random)() * 0.5;
    return Math.min(this.options.maxMs, Math.round(base * (1 + jitter)));
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}

/**
 * What the churn benchmark concludes from its samples and from the peers' tables: memory growth
 * (first 10 s after warm-up against the last 10 s, and the least-squares slope), and whether every
 * peer holds exactly the prefixes we advertise.
 */

export interface MemorySample {
  /** Seconds since the churn started. */
  readonly t: number;
  readonly rss: number;
  /** After a forced full collection when the driver runs with --expose-gc: the live heap. */
  readonly heapUsed: number;
  /** heapUsed just before that collection. */
  readonly heapBeforeGc: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly ops: number;
  readonly announced: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface Growth {
  /** Mean over the first window after warm-up, bytes. */
  readonly first: number;
  /** Mean over the last window, bytes. */
  readonly last: number;
  /** last / first. */
  readonly ratio: number;
  /** Least-squares slope over every sample after warm-up, bytes per minute. */
  readonly slopePerMinute: number;
  readonly samples: number;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Growth of one measure: the window [warmup, warmup + window) against the last `window` seconds
 * of the churn (samples up to `end`).
 */
export function growth(samples: readonly MemorySample[], pick: (s: MemorySample) => number, warmup: number, window: number, end: number): Growth {
  const after = samples.filter((s) => s.t >= warmup && s.t <= end);
  const first = after.filter((s) => s.t < warmup + window).map(pick);
  const last = after.filter((s) => s.t > end - window).map(pick);
  const f = mean(first);
  const l = mean(last);
  return {
    first: f,
    last: l,
    ratio: f === 0 ? 0 : l / f,
    slopePerMinute: slope(after.map((s) => [s.t, pick(s)] as const)) * 60,
    samples: after.length,
  };
}

export interface SetComparison {
  readonly missing: string[];
  readonly extra: string[];
}

/** What `held` lacks of `wanted`, and what it has besides. */
export function compareSets(wanted: readonly string[], held: readonly string[]): SetComparison {
  const want = new Set(wanted);
  const have = new Set(held);
  return { missing: wanted.filter((p) => !have.has(p)), extra: held.filter((p) => !want.has(p)) };
}

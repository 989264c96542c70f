/**
 * Asks the same question every `intervalMs` in the background, keeping every answer with its time,
 * until stopped (or `maxMs` has passed: every loop here is bounded). For "the route was there in
 * every sample while the speaker restarted" kinds of checks.
 */
import { sleep } from '../lab/proc.js';

export interface Sample<T> {
  /** Milliseconds since the sampler started. */
  readonly at: number;
  readonly value?: T;
  /** The probe threw (e.g. vtysh failed); such a sample proves nothing either way. */
  readonly error?: string;
}

export class Sampler<T> {
  readonly samples: Sample<T>[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly startedAt = Date.now();

  constructor(probe: () => Promise<T>, intervalMs: number, maxMs: number) {
    this.done = this.loop(probe, intervalMs, maxMs);
  }

  private async loop(probe: () => Promise<T>, intervalMs: number, maxMs: number): Promise<void> {
    for (let next = this.startedAt; !this.stopped && Date.now() - this.startedAt < maxMs; ) {
      const at = Date.now() - this.startedAt;
      try {
        this.samples.push({ at, value: await probe() });
      } catch (error) {
        this.samples.push({ at, error: (error as Error).message.split('\n')[0] ?? 'error' });
      }
      next += intervalMs;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now(); // the probe took longer than the interval: no catching up in a burst
    }
  }

  /** Milliseconds since the sampler started (to mark events on the same scale). */
  now(): number {
    return Date.now() - this.startedAt;
  }

  async stop(): Promise<Sample<T>[]> {
    this.stopped = true;
    await this.done;
    return this.samples;
  }
}

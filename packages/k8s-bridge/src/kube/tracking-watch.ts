/**
 * The client's Watch, unchanged in behaviour, with three things the informer needs around it.
 *
 * @kubernetes/client-node 1.4.0 (dist/watch.js, dist/cache.js), read for this:
 * - ListWatch assigns `this.request = await this.watch.watch(...)`. If the stream ends before
 *   that await returns, ListWatch has already started the next watch, and then overwrites its
 *   handle with the old, finished one: `stop()` can no longer abort the live stream. So every
 *   open stream is tracked here and `abortAll()` ends them all.
 * - Watch computes `AbortSignal.timeout(30000)` and then overwrites the signal with its own
 *   controller's: a watch has no timeout, and a half-open connection would hang it for ever.
 *   We ask the server for `timeoutSeconds` (it then ends the stream cleanly and ListWatch
 *   resumes), and abort on our side if the stream outlives that by a grace period.
 * - ListWatch never asks for bookmarks. We add `allowWatchBookmarks=true`; ListWatch already
 *   moves its resourceVersion forward on a BOOKMARK, so a resumed watch starts from a recent
 *   resourceVersion and is less likely to meet 410 Gone.
 */
import { type KubeConfig, Watch } from '@kubernetes/client-node';

/** How long past the requested timeout a stream may live before we abort it ourselves. */
const WATCHDOG_GRACE_SECONDS = 30;

export interface WatchHooks {
  /** Asked before each watch request; false refuses it (the informer is stopping). */
  mayWatch(): boolean;
  /** The server answered 200 and events may flow. */
  connected(): void;
}

type WatchCallback = (phase: string, apiObj: any, watchObj?: any) => void;

export class TrackingWatch extends Watch {
  private readonly open = new Set<AbortController>();

  constructor(
    config: KubeConfig,
    private readonly timeoutSeconds: number,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: (err: any) => void,
  ): Promise<AbortController> {
    if (!this.hooks.mayWatch()) {
      // Never opened: `done` is not called, so ListWatch does not loop.
      return new AbortController();
    }
    let finished = false;
    let controller: AbortController | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    const trackedDone = (err: unknown): void => {
      finished = true;
      if (watchdog !== undefined) clearTimeout(watchdog);
      if (controller !== undefined) this.open.delete(controller);
      done(err);
    };
    // Spread the server-side timeouts of many watches over [t, 2t).
    const timeout = Math.floor(this.timeoutSeconds * (1 + Math.random()));
    const params = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: timeout };
    const opened = await super.watch(path, params, callback, trackedDone);
    controller = opened;
    if (!finished) {
      this.open.add(opened);
      watchdog = setTimeout(() => opened.abort(), (timeout + WATCHDOG_GRACE_SECONDS) * 1000);
      watchdog.unref();
      this.hooks.connected();
    }
    return opened;
  }

  /** Aborts every stream still open. */
  abortAll(): void {
    const all = [...this.open];
    this.open.clear();
    for (const c of all) c.abort();
  }

  get openStreams(): number {
    return this.open.size;
  }
}

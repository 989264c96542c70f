/**
 * An informer: a local copy of one kind of Kubernetes object kept current by list + watch, with
 * change events. Built on the client's ListWatch (unchanged), with our own store on top so that
 * what we promise does not depend on the client version:
 *
 * - after a broken watch, a 410 Gone, or a restart, the store converges to the server's objects;
 * - every change is emitted once: an object gone during an outage gets one synthetic `deleted`,
 *   an object listed again with the resourceVersion we hold emits nothing, and an object deleted
 *   and re-created under the same name (new uid) emits `deleted` then `added`.
 *
 * What ListWatch in @kubernetes/client-node 1.4.0 does (dist/cache.js), and what we add:
 * - A clean end of the stream (server timeout) -> it re-watches from its last resourceVersion.
 * - An ERROR event with code 410 -> it clears its resourceVersion; when the server then ends the
 *   stream it re-lists, emits `delete` for cached objects missing from the list, `add` for new
 *   ones and `update` only for a changed resourceVersion. An HTTP 410 answer does the same.
 * - Any other failure (connection cut, HTTP 5xx, a failed list) -> it emits `error` and STOPS
 *   for good. We restart it after a backoff with `start()`, which keeps its cache and resumes
 *   from its last resourceVersion (or re-lists if it had none).
 * - A cut connection surfaces from node-fetch as `Premature close` (ERR_STREAM_PREMATURE_CLOSE),
 *   so it takes the `error` path above. Errors after our `stop()` (the abort) are ignored.
 * - Listed objects are model instances (dates as Date); watched objects are plain JSON. We turn
 *   watched objects into the same model classes, so the store holds one shape.
 */
import { ListWatch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { Backoff } from './backoff.js';
import { TrackingWatch } from './tracking-watch.js';

export interface Selectors {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** Where an informer's objects come from. */
export interface InformerSource<T extends KubernetesObject> {
  /** The collection path that is watched, e.g. `/api/v1/services`. */
  readonly path: string;
  /** The client's model type (e.g. `V1Service`) for watched objects; undefined for custom resources. */
  readonly modelType: string | undefined;
  /** Lists the collection through the generated API client. */
  list(selectors: Selectors): Promise<KubernetesListObject<T>>;
}

export type InformerEvent<T> =
  | { readonly type: 'added'; readonly object: T }
  | { readonly type: 'updated'; readonly object: T; readonly previous: T }
  | { readonly type: 'deleted'; readonly object: T };

export interface InformerOptions extends Selectors {
  /** First restart delay after a failure (doubles up to maxBackoffMs). Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
  /** The watch timeout asked from the server (spread to [t, 2t)). Default 300 s. */
  readonly watchTimeoutSeconds?: number;
}

export interface InformerStats {
  /** List requests made (the first one and every re-list). */
  readonly lists: number;
  /** Watch streams established. */
  readonly watches: number;
  /** Failures reported by the client (each is followed by a restart). */
  readonly errors: number;
  /** Restarts after a failure. */
  readonly restarts: number;
}

type State = 'new' | 'running' | 'stopped';

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns === undefined || ns === '' ? name : `${ns}/${name}`;
}

export class ResourceInformer<T extends KubernetesObject> {
  private state: State = 'new';
  private readonly objects = new Map<string, T>();
  private readonly changeListeners = new Set<(event: InformerEvent<T>) => void>();
  private readonly errorListeners = new Set<(err: unknown) => void>();
  private readonly backoff: Backoff;
  private readonly watch: TrackingWatch;
  private readonly listWatch: ListWatch<T>;
  private restartTimer: NodeJS.Timeout | undefined;
  /** A list the client has fetched and is applying; reconciled when it starts the watch. */
  private pendingList: readonly T[] | undefined;
  private hasSynced = false;
  private readonly syncWaiters = new Set<() => void>();
  private counters = { lists: 0, watches: 0, errors: 0, restarts: 0 };

  constructor(
    kubeConfig: KubeConfig,
    private readonly source: InformerSource<T>,
    options: InformerOptions = {},
  ) {
    this.backoff = new Backoff({ initialMs: options.initialBackoffMs ?? 250, maxMs: options.maxBackoffMs ?? 30_000 });
    this.watch = new TrackingWatch(kubeConfig, options.watchTimeoutSeconds ?? 300, {
      mayWatch: () => this.beforeWatch(),
      connected: () => this.onWatchConnected(),
    });
    const selectors: Selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const listFn = async (): Promise<KubernetesListObject<T>> => {
      this.counters.lists++;
      const list = await source.list(selectors);
      this.pendingList = list.items;
      return list;
    };
    this.listWatch = new ListWatch<T>(source.path, this.watch, listFn, false, options.labelSelector, options.fieldSelector);
    this.listWatch.on('add', (obj) => this.upsert(obj));
    this.listWatch.on('update', (obj) => this.upsert(obj));
    this.listWatch.on('delete', (obj) => this.remove(obj));
    this.listWatch.on('error', (err) => this.onClientError(err));
  }

  /** Starts listing and watching. Idempotent; an informer cannot be started again once stopped. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.run(false);
  }

  /** Stops watching; no event is emitted after this returns. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.listWatch.stop();
    this.watch.abortAll();
    for (const wake of this.syncWaiters) wake();
    this.syncWaiters.clear();
  }

  /** Resolves once the first list is in the store; rejects after `timeoutMs` or if stopped first. */
  whenSynced(timeoutMs = 30_000): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.syncWaiters.delete(wake);
        reject(new Error(`informer for ${this.source.path} not synced after ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        if (this.hasSynced) resolve();
        else reject(new Error(`informer for ${this.source.path} stopped before it synced`));
      };
      this.syncWaiters.add(wake);
    });
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`);
  }

  /** All objects, or those of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Subscribes to changes; returns the unsubscribe function. Listeners run synchronously; a throw is reported as an error. */
  onChange(listener: (event: InformerEvent<T>) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Failures the informer recovers from by itself (it restarts after a backoff); for logs and metrics. */
  onError(listener: (err: unknown) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------ client callbacks

  private run(isRestart: boolean): void {
    if (isRestart) this.counters.restarts++;
    this.listWatch.start().catch((err: unknown) => this.onClientError(err));
  }

  /** ListWatch is about to watch: any list it fetched has been applied through its callbacks. */
  private beforeWatch(): boolean {
    if (this.state !== 'running') return false;
    const listed = this.pendingList;
    this.pendingList = undefined;
    if (listed !== undefined) this.reconcile(listed);
    if (!this.hasSynced && listed !== undefined) {
      this.hasSynced = true;
      for (const wake of this.syncWaiters) wake();
      this.syncWaiters.clear();
    }
    return true;
  }

  private onWatchConnected(): void {
    this.counters.watches++;
    this.backoff.reset();
  }

  private onClientError(err: unknown): void {
    if (this.state !== 'running') return; // the abort of stop() reports itself as an error
    this.counters.errors++;
    for (const l of this.errorListeners) l(err);
    if (this.restartTimer !== undefined) return;
    const delay = this.backoff.next();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === 'running') this.run(true);
    }, delay);
  }

  /**
   * Makes the store equal a full list. ListWatch has normally done this already through its
   * callbacks; this guarantees it whatever the client version does.
   */
  private reconcile(items: readonly T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      this.upsert(item);
    }
    for (const [key, obj] of [...this.objects]) if (!seen.has(key)) this.remove(obj);
  }

  private normalise(obj: T): T {
    // Watched objects arrive as plain JSON; listed ones as model instances. Give both one shape.
    if (this.source.modelType === undefined || obj.constructor !== Object) return obj;
    return ObjectSerializer.deserialize(obj, this.source.modelType) as T;
  }

  private upsert(raw: T): void {
    if (this.state !== 'running') return;
    const obj = this.normalise(raw);
    const key = objectKey(obj);
    const previous = this.objects.get(key);
    if (previous === undefined) {
      this.objects.set(key, obj);
      this.emit({ type: 'added', object: obj });
      return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv === previous.metadata?.resourceVersion) return; // already known
    const uid = obj.metadata?.uid;
    const previousUid = previous.metadata?.uid;
    if (uid !== undefined && previousUid !== undefined && uid !== previousUid) {
      // Deleted and re-created under the same name while we were not watching.
      this.objects.delete(key);
      this.emit({ type: 'deleted', object: previous });
      this.objects.set(key, obj);
      this.emit({ type: 'added', object: obj });
      return;
    }
    this.objects.set(key, obj);
    this.emit({ type: 'updated', object: obj, previous });
  }

  private remove(raw: T): void {
    if (this.state !== 'running') return;
    const key = objectKey(raw);
    const previous = this.objects.get(key);
    if (previous === undefined) return;
    this.objects.delete(key);
    this.emit({ type: 'deleted', object: this.normalise(raw) });
  }

  private emit(event: InformerEvent<T>): void {
    for (const l of this.changeListeners) {
      try {
        l(event);
      } catch (err) {
        for (const e of this.errorListeners) e(err);
      }
    }
  }
}

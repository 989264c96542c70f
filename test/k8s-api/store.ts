/**
 * The server's storage, shaped like etcd behind the watch cache: one global revision that every
 * write increases, objects keyed by resource type and namespace/name, and a history of change
 * events that watches replay from a resourceVersion until it is compacted away.
 *
 * The store does no validation and applies no strategy: the HTTP layer (server.ts) and the
 * test-control API decide what is written. Objects go in and come out as copies.
 */
import { randomUUID } from 'node:crypto';
import { expired } from './api-status.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  /** The revision this change was written at (for DELETED: the deletion's revision). */
  readonly revision: number;
  readonly resource: string;
  readonly type: ChangeType;
  /** The new state; for DELETED, the last state stamped with the deletion revision. */
  readonly object: StoredObject;
  /** The state before a MODIFIED or DELETED, used by selector-filtered watches. */
  readonly previous: StoredObject | undefined;
}

export type StoreListener = (event: StoreEvent) => void;

/** Metadata time at second precision, as metav1.Time serialises. */
export function timestampNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function copy(obj: StoredObject): StoredObject {
  return structuredClone(obj);
}

function withRevision(obj: StoredObject, revision: number): StoredObject {
  const out = copy(obj);
  out.metadata.resourceVersion = String(revision);
  return out;
}

/** Upper bound on kept history, so a long test cannot grow the store without limit. */
const MAX_HISTORY = 100_000;

export class ObjectStore {
  private revision = 0;
  /** resourceVersions below this answer 410 Expired. */
  private oldestValid = 0;
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  get currentRevision(): number {
    return this.revision;
  }

  get compactedBefore(): number {
    return this.oldestValid;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(resource: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const found = this.objects.get(resource)?.get(objectKey(namespace, name));
    return found === undefined ? undefined : copy(found);
  }

  /** Objects of one type, in one namespace or all, sorted by namespace then name like etcd keys. */
  list(resource: string, namespace?: string): StoredObject[] {
    const all = [...(this.objects.get(resource)?.entries() ?? [])];
    all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([, o]) => o).filter((o) => namespace === undefined || o.metadata.namespace === namespace).map(copy);
  }

  /** Writes a new object: stamps uid, creationTimestamp and the next revision. The caller has checked the name is free. */
  create(resource: string, obj: StoredObject): StoredObject {
    const name = obj.metadata.name;
    if (name === undefined || name === '') throw new Error('store.create needs metadata.name');
    const revision = ++this.revision;
    const stored = withRevision(obj, revision);
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= timestampNow();
    this.bucket(resource).set(objectKey(obj.metadata.namespace, name), stored);
    this.record({ revision, resource, type: 'ADDED', object: copy(stored), previous: undefined });
    return copy(stored);
  }

  /**
   * Replaces an existing object. A replacement equal to the stored object is a no-op that keeps
   * the revision and emits no event, as the etcd3 store skips writing unchanged bytes.
   */
  replace(resource: string, obj: StoredObject): StoredObject {
    const name = obj.metadata.name ?? '';
    const key = objectKey(obj.metadata.namespace, name);
    const bucket = this.bucket(resource);
    const old = bucket.get(key);
    if (old === undefined) throw new Error(`store.replace: ${resource} ${key} does not exist`);
    const candidate = withRevision(obj, Number(old.metadata.resourceVersion));
    if (JSON.stringify(candidate) === JSON.stringify(old)) return copy(old);
    const revision = ++this.revision;
    const stored = withRevision(obj, revision);
    bucket.set(key, stored);
    this.record({ revision, resource, type: 'MODIFIED', object: copy(stored), previous: copy(old) });
    return copy(stored);
  }

  delete(resource: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const key = objectKey(namespace, name);
    const bucket = this.bucket(resource);
    const old = bucket.get(key);
    if (old === undefined) return undefined;
    bucket.delete(key);
    const revision = ++this.revision;
    const last = withRevision(old, revision);
    this.record({ revision, resource, type: 'DELETED', object: copy(last), previous: copy(old) });
    return last;
  }

  /**
   * The changes after `revision`, oldest first. Throws 410 Expired when `revision` is older than
   * the compacted history, since the changes right after it are no longer known.
   */
  eventsAfter(revision: number): StoreEvent[] {
    if (revision < this.oldestValid) throw expired(revision, this.oldestValid);
    // History is ordered by revision: find the first event past `revision` by binary search.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.history[mid] as StoreEvent).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /**
   * Forgets history so that resourceVersions below `revision` answer 410 Expired. The current
   * revision always stays valid (a list's resourceVersion must be watchable), so the target is
   * capped at it.
   */
  compactBefore(revision: number): void {
    const target = Math.min(revision, this.revision);
    if (target <= this.oldestValid) return;
    this.oldestValid = target;
    let drop = 0;
    while (drop < this.history.length && (this.history[drop] as StoreEvent).revision < target) drop++;
    this.history.splice(0, drop);
  }

  private bucket(resource: string): Map<string, StoredObject> {
    let bucket = this.objects.get(resource);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > MAX_HISTORY) {
      const first = this.history[this.history.length - MAX_HISTORY] as StoreEvent;
      this.compactBefore(first.revision);
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}


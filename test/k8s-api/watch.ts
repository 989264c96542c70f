/**
 * One open watch: a chunked HTTP response carrying newline-delimited JSON events
 * `{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}`, filtered by namespace and
 * selectors the way the watch cache filters them (k8s.io/apiserver storage/cacher):
 *
 * - an object that starts to match a selector arrives as ADDED, one that stops matching as
 *   DELETED (carrying its previous state stamped with the new revision);
 * - BOOKMARK events (only if the client asked with allowWatchBookmarks=true) carry an object of the
 *   watched kind with only metadata.resourceVersion set, promising that every change up to it has
 *   been sent;
 * - timeoutSeconds ends the response cleanly; `destroy()` cuts the connection as a crashed server
 *   or a broken network would.
 */
import type { ServerResponse } from 'node:http';
import type { Status } from './api-status.js';
import type { ResourceType } from './resources.js';
import { apiVersionOf } from './resources.js';
import { matchesFields, matchesLabels, type Selector } from './selectors.js';
import type { StoreEvent, StoredObject } from './store.js';

export interface WatchFilter {
  readonly type: ResourceType;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: Selector;
}

export type WireEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export function matchesFilter(filter: WatchFilter, obj: StoredObject): boolean {
  if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
  return matchesLabels(filter.labels, obj) && matchesFields(filter.fields, obj);
}

/** The object as served at the requested version (storage is shared between versions). */
export function asServed(filter: Pick<WatchFilter, 'type' | 'version'>, obj: StoredObject): StoredObject {
  return { ...obj, apiVersion: apiVersionOf(filter.type, filter.version), kind: filter.type.kind };
}

/**
 * What a watcher with this filter sees of one store change, or undefined if nothing
 * (cacheWatcher.convertToWatchEvent in the real server).
 */
export function visibleEvent(filter: WatchFilter, event: StoreEvent): { type: WireEventType; object: StoredObject } | undefined {
  const nowMatches = event.type !== 'DELETED' && matchesFilter(filter, event.object);
  const before = event.previous;
  const matchedBefore = before !== undefined && matchesFilter(filter, before);
  switch (event.type) {
    case 'ADDED':
      return nowMatches ? { type: 'ADDED', object: event.object } : undefined;
    case 'MODIFIED':
      if (nowMatches && matchedBefore) return { type: 'MODIFIED', object: event.object };
      if (nowMatches) return { type: 'ADDED', object: event.object };
      if (matchedBefore && before !== undefined) {
        const gone = structuredClone(before);
        gone.metadata.resourceVersion = String(event.revision);
        return { type: 'DELETED', object: gone };
      }
      return undefined;
    case 'DELETED':
      return matchedBefore ? { type: 'DELETED', object: event.object } : undefined;
    default: {
      const never: never = event.type;
      throw new Error(`unknown change ${String(never)}`);
    }
  }
}

export class WatchStream {
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly closeListeners: Array<() => void> = [];
  /** Events written, for tests that count what a client was sent. */
  eventsSent = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly filter: WatchFilter,
    readonly allowBookmarks: boolean,
    timeoutSeconds: number | undefined,
  ) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    // Send the headers now: a client waits for them before it reads events.
    res.flushHeaders();
    res.on('close', () => this.markClosed());
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      this.timer = setTimeout(() => this.end(), timeoutSeconds * 1000);
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Sends one store change if this watcher can see it. */
  deliver(event: StoreEvent): void {
    const visible = visibleEvent(this.filter, event);
    if (visible !== undefined) this.write(visible.type, asServed(this.filter, visible.object));
  }

  /** Sends the current state as ADDED events, as a watch without a resourceVersion starts. */
  sendInitial(objects: readonly StoredObject[]): void {
    for (const obj of objects) if (matchesFilter(this.filter, obj)) this.write('ADDED', asServed(this.filter, obj));
  }

  bookmark(revision: number): boolean {
    if (!this.allowBookmarks || this.closed) return false;
    const apiVersion = apiVersionOf(this.filter.type, this.filter.version);
    this.write('BOOKMARK', { apiVersion, kind: this.filter.type.kind, metadata: { resourceVersion: String(revision) } });
    return true;
  }

  /** An ERROR event carrying a Status, then the end of the stream (how a too-old resourceVersion is answered). */
  fail(status: Status): void {
    this.write('ERROR', status);
    this.end();
  }

  /** Ends the response cleanly (terminating chunk sent). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    this.markClosed();
  }

  /** Cuts the connection without the terminating chunk. */
  destroy(): void {
    if (this.closed) return;
    this.res.socket?.destroy();
    this.res.destroy();
    this.markClosed();
  }

  private write(type: WireEventType, object: unknown): void {
    if (this.closed) return;
    this.eventsSent++;
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const l of this.closeListeners.splice(0)) l();
  }
}

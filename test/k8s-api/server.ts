/**
 * An in-memory Kubernetes API server for tests: plain node:http on 127.0.0.1, speaking the real
 * HTTP list/watch protocol so that an unchanged @kubernetes/client-node can be tested against it.
 *
 * Served (see resources.ts): core/v1 namespaces, nodes, services (+ /status), secrets, events,
 * configmaps; discovery.k8s.io/v1 endpointslices; coordination.k8s.io/v1 leases; metallb.io
 * v1beta1 (bgppeers also v1beta2) custom resources (+ /status).
 *
 * Semantics, after the Kubernetes API concepts (kubernetes.io/docs/reference/using-api/api-concepts):
 * - one global resourceVersion increased by every write, as etcd's revision;
 * - list: `metadata.resourceVersion` of the snapshot; labelSelector and fieldSelector; a
 *   resourceVersion newer than the store answers 504 "Too large resource version";
 * - watch (`?watch=true`): from `resourceVersion=N` the changes after N; without one (or "0") the
 *   current objects as ADDED first; `allowWatchBookmarks`, `timeoutSeconds`; a resourceVersion
 *   older than the compacted history answers, like the watch cache, HTTP 200 with one ERROR event
 *   carrying a Status 410 Expired and the end of the stream (or plain HTTP 410 if configured);
 * - writes: create (201, 409 AlreadyExists, 404 for a missing namespace), update with optimistic
 *   concurrency (409 Conflict on a stale metadata.resourceVersion), patch (merge, strategic as
 *   merge, JSON patch; a resourceVersion in the patch is a precondition), delete (with optional
 *   preconditions); a write that changes nothing is a no-op with no new resourceVersion;
 * - the /status subresource: see StatusSubresource in resources.ts.
 *
 * Test control: direct writes (create/update/patch/delete), breakWatches(), compactBefore(),
 * sendBookmarks(), failRequests(), request counts and log, close().
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, badRequest, conflict, notFound, unsupportedMediaType } from './api-status.js';
import { kubeconfigOptions, kubeconfigText, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { applyMergePatch, applyPatch, PatchError, patchTypeOf, type Json } from './patch.js';
import { asStored, isObject, Registry } from './registry.js';
import { apiVersionOf, resourceKey } from './resources.js';
import { parseRoute, verbOf, VERBS, type Route, type Verb } from './routes.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { ObjectStore, type StoreEvent, type StoredObject } from './store.js';
import { applyCreateDefaults } from './validation.js';
import { asServed, matchesFilter, WatchStream, type WatchFilter } from './watch.js';

export type { StoredObject } from './store.js';
export type { KubeconfigOptions } from './kubeconfig.js';

export type { Verb } from './routes.js';
export { VERBS } from './routes.js';

export interface RequestRecord {
  readonly verb: Verb;
  /** `group/plural` (or `plural` for core), as in the test-control API. */
  readonly resource: string;
  readonly subresource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly query: string;
  readonly status: number;
}

export interface TestApiServerOptions {
  /** How a watch from a compacted resourceVersion is refused. Default 'error-event', as the watch cache does. */
  readonly expiredWatch?: 'error-event' | 'http-410';
  /** Send BOOKMARK events this often to watches that allow them. Default: never (use sendBookmarks()). */
  readonly bookmarkIntervalMs?: number;
  /** Namespaces that exist from the start. */
  readonly namespaces?: readonly string[];
}

export interface FailureRule {
  readonly verb: Verb;
  /** `group/plural`; any resource if absent. */
  readonly resource?: string;
  readonly code: number;
  /** How many matching requests fail before the rule is spent. */
  readonly count: number;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'metallb-system'];
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_LOG = 10_000;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export class TestApiServer {
  readonly url: string;
  readonly port: number;
  /** How a compacted resourceVersion is refused on watch; may be changed between tests. */
  expiredWatch: 'error-event' | 'http-410';

  private readonly store = new ObjectStore();
  private readonly registry = new Registry(this.store);
  private readonly watches = new Set<WatchStream>();
  private readonly counts = new Map<Verb, number>();
  private readonly log: RequestRecord[] = [];
  private readonly failures: Array<{ rule: FailureRule; left: number }> = [];
  private readonly bookmarkTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    options: TestApiServerOptions,
  ) {
    const address = server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://127.0.0.1:${address.port}`;
    this.expiredWatch = options.expiredWatch ?? 'error-event';
    this.store.subscribe((event) => this.fanOut(event));
    for (const ns of options.namespaces ?? DEFAULT_NAMESPACES) this.registry.ensureNamespace(ns);
    const interval = options.bookmarkIntervalMs ?? 0;
    if (interval > 0) {
      this.bookmarkTimer = setInterval(() => this.sendBookmarks(), interval);
      this.bookmarkTimer.unref();
    }
  }

  /** Starts a server on 127.0.0.1 with a random port. */
  static async start(options: TestApiServerOptions = {}): Promise<TestApiServer> {
    let instance: TestApiServer | undefined;
    const server = createServer((req, res) => {
      if (instance === undefined) {
        sendJson(res, 503, new ApiError(503, 'ServiceUnavailable', 'starting').toStatus());
        return;
      }
      void instance.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    instance = new TestApiServer(server, options);
    return instance;
  }

  // ---------------------------------------------------------------- kubeconfig

  kubeconfigOptions(namespace = 'default'): KubeconfigOptions {
    return kubeconfigOptions(this.url, namespace);
  }

  kubeconfigText(namespace = 'default'): string {
    return kubeconfigText(this.url, namespace);
  }

  async writeKubeconfig(path: string, namespace = 'default'): Promise<void> {
    await writeKubeconfig(path, this.url, namespace);
  }

  // ---------------------------------------------------------------- test control

  /** The store's current resourceVersion (etcd revision). */
  get resourceVersion(): number {
    return this.store.currentRevision;
  }

  /**
   * Writes a new object as an administrator would: no create strategy (a status given is kept),
   * the namespace is created if missing. Returns the stored object.
   */
  create(resource: string, obj: unknown): StoredObject {
    const type = this.registry.typeOf(resource);
    const incoming = asStored(structuredClone(obj), 'object');
    delete incoming.metadata.resourceVersion;
    if (type.namespaced) {
      incoming.metadata.namespace ??= 'default';
      this.registry.ensureNamespace(incoming.metadata.namespace);
    } else delete incoming.metadata.namespace;
    return this.registry.create(type, incoming);
  }

  /** Replaces an object (status included); a metadata.resourceVersion given must be current. */
  update(resource: string, obj: unknown): StoredObject {
    const type = this.registry.typeOf(resource);
    const incoming = asStored(structuredClone(obj), 'object');
    const old = this.registry.mustGet(type, incoming.metadata.namespace, incoming.metadata.name ?? '');
    return this.registry.update(type, old, incoming, 'admin', false);
  }

  /** Applies a JSON merge patch to an object, status included. */
  patch(resource: string, name: string, namespace: string | undefined, mergePatch: unknown): StoredObject {
    const type = this.registry.typeOf(resource);
    const old = this.registry.mustGet(type, namespace, name);
    const patched = asStored(applyMergePatch(old as unknown as Json, mergePatch as Json), 'patched object');
    return this.registry.update(type, old, patched, 'admin', false);
  }

  delete(resource: string, name: string, namespace?: string): StoredObject | undefined {
    const type = this.registry.typeOf(resource);
    return this.registry.delete(type, type.namespaced ? namespace ?? 'default' : undefined, name);
  }

  get(resource: string, name: string, namespace?: string): StoredObject | undefined {
    const type = this.registry.typeOf(resource);
    return this.store.get(resourceKey(type.group, type.plural), type.namespaced ? namespace ?? 'default' : undefined, name);
  }

  list(resource: string, namespace?: string): StoredObject[] {
    const type = this.registry.typeOf(resource);
    return this.store.list(resourceKey(type.group, type.plural), namespace);
  }

  /** Cuts every open watch connection without a clean end, as a crash or network break would. Returns how many. */
  breakWatches(): number {
    const open = [...this.watches];
    for (const w of open) w.destroy();
    return open.length;
  }

  /** Ends every open watch cleanly, as the server's own watch timeout does. Returns how many. */
  endWatches(): number {
    const open = [...this.watches];
    for (const w of open) w.end();
    return open.length;
  }

  /**
   * Compacts history: resourceVersions below `revision` (default: the current one) answer 410
   * Expired from then on. The current resourceVersion always stays valid.
   */
  compactBefore(revision: number = this.store.currentRevision): void {
    this.store.compactBefore(revision);
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that allows them. Returns how many. */
  sendBookmarks(): number {
    let sent = 0;
    for (const w of this.watches) if (w.bookmark(this.store.currentRevision)) sent++;
    return sent;
  }

  /** Open watches, of one resource (`group/plural`) or all. */
  openWatches(resource?: string): number {
    let n = 0;
    for (const w of this.watches) {
      if (w.isOpen && (resource === undefined || resourceKey(w.filter.type.group, w.filter.type.plural) === resource)) n++;
    }
    return n;
  }

  /** Makes the next `count` matching requests fail with `code` (a Status body). */
  failRequests(rule: FailureRule): void {
    this.failures.push({ rule, left: rule.count });
  }

  /** Requests handled so far, by verb. */
  requestCounts(): Record<Verb, number> {
    const out = {} as Record<Verb, number>;
    for (const v of VERBS) out[v] = this.counts.get(v) ?? 0;
    return out;
  }

  /** The most recent requests (up to 10,000), oldest first. */
  requests(filter?: { verb?: Verb; resource?: string }): RequestRecord[] {
    return this.log.filter((r) => (filter?.verb === undefined || r.verb === filter.verb) && (filter?.resource === undefined || r.resource === filter.resource));
  }

  resetRequestLog(): void {
    this.counts.clear();
    this.log.length = 0;
  }

  /** Ends every watch, closes every connection and stops listening. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.bookmarkTimer !== undefined) clearInterval(this.bookmarkTimer);
      for (const w of [...this.watches]) w.destroy();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    let record: Omit<RequestRecord, 'status'> | undefined;
    try {
      if (req.method === 'GET' && (url.pathname === '/version' || url.pathname === '/healthz' || url.pathname === '/readyz')) {
        sendJson(res, 200, url.pathname === '/version' ? { major: '1', minor: '31', gitVersion: 'v1.31.0-k8s-api-test' } : 'ok');
        return;
      }
      const route = parseRoute(url.pathname);
      const verb = verbOf(req.method, route, url.searchParams);
      record = { verb, resource: route.key, subresource: route.subresource, namespace: route.namespace, name: route.name, query: url.search };
      this.counts.set(verb, (this.counts.get(verb) ?? 0) + 1);
      this.injectedFailure(verb, route.key);
      const done = await this.dispatch(verb, route, url.searchParams, req, res);
      this.remember(record, done);
    } catch (err) {
      const apiErr = this.toApiError(err);
      if (!res.headersSent) sendJson(res, apiErr.code, apiErr.toStatus());
      else res.destroy();
      if (record !== undefined) this.remember(record, apiErr.code);
    }
  }

  private toApiError(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (err instanceof SelectorError) return badRequest(err.message);
    if (err instanceof PatchError) return new ApiError(err.httpCode, err.httpCode === 422 ? 'Invalid' : 'BadRequest', err.message);
    return new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
  }

  private remember(record: Omit<RequestRecord, 'status'>, status: number): void {
    this.log.push({ ...record, status });
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  private injectedFailure(verb: Verb, key: string): void {
    const i = this.failures.findIndex((f) => f.rule.verb === verb && (f.rule.resource === undefined || f.rule.resource === key));
    if (i < 0) return;
    const failure = this.failures[i];
    if (failure === undefined) return;
    failure.left--;
    if (failure.left <= 0) this.failures.splice(i, 1);
    const code = failure.rule.code;
    const reason = code === 409 ? 'Conflict' : code === 429 ? 'TooManyRequests' : code === 503 ? 'ServiceUnavailable' : 'InternalError';
    throw new ApiError(code, reason, `injected failure (${verb} ${key})`);
  }

  /** Runs one request; returns the HTTP status it answered with. */
  private async dispatch(verb: Verb, route: Route, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<number> {
    switch (verb) {
      case 'list':
        return this.handleList(route, query, res);
      case 'watch':
        return this.handleWatch(route, query, res);
      case 'get': {
        const obj = this.registry.mustGet(route.type, route.namespace, route.name ?? '');
        sendJson(res, 200, asServed(route, obj));
        return 200;
      }
      case 'create':
        return this.handleCreate(route, await readBody(req), res);
      case 'update':
        return this.handleUpdate(route, await readBody(req), res);
      case 'patch':
        return this.handlePatch(route, req.headers['content-type'], await readBody(req), res);
      case 'delete':
        return this.handleDelete(route, await readBody(req), res);
      default: {
        const never: never = verb;
        throw new Error(`unknown verb ${String(never)}`);
      }
    }
  }

  private filterOf(route: Route, query: URLSearchParams): WatchFilter {
    return {
      type: route.type,
      version: route.version,
      namespace: route.namespace,
      labels: parseLabelSelector(query.get('labelSelector')),
      fields: parseFieldSelector(query.get('fieldSelector')),
    };
  }

  private parseResourceVersion(text: string): number {
    if (!/^\d+$/.test(text)) throw badRequest(`invalid resourceVersion "${text}"`);
    return Number(text);
  }

  private handleList(route: Route, query: URLSearchParams, res: ServerResponse): number {
    const filter = this.filterOf(route, query);
    const rv = query.get('resourceVersion') ?? '';
    const current = this.store.currentRevision;
    if (rv !== '' && rv !== '0') {
      if (query.get('resourceVersionMatch') === 'Exact') throw badRequest('resourceVersionMatch=Exact is not supported by the test API server');
      // Default match is NotOlderThan: any snapshot at least as new as `rv`; ours is the current one.
      const n = this.parseResourceVersion(rv);
      if (n > current) throw new ApiError(504, 'Timeout', `Too large resource version: ${n}, current: ${current}`);
    }
    const items = this.store
      .list(route.key, route.namespace)
      .filter((o) => matchesFilter(filter, o))
      .map((o) => {
        if (!route.type.builtin) return asServed(route, o);
        // Items of built-in lists are encoded without their type (the list carries it).
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    sendJson(res, 200, {
      kind: `${route.type.kind}List`,
      apiVersion: apiVersionOf(route.type, route.version),
      metadata: { resourceVersion: String(current) },
      items,
    });
    return 200;
  }

  private handleWatch(route: Route, query: URLSearchParams, res: ServerResponse): number {
    const filter = this.filterOf(route, query);
    const rv = query.get('resourceVersion') ?? '';
    const bookmarks = query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1';
    const timeoutText = query.get('timeoutSeconds');
    const timeout = timeoutText === null ? undefined : this.parseResourceVersion(timeoutText);
    let replay: StoreEvent[] | undefined;
    let expiredStatus: ApiError | undefined;
    if (rv !== '' && rv !== '0') {
      try {
        replay = this.store.eventsAfter(this.parseResourceVersion(rv));
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 410) throw err;
        if (this.expiredWatch === 'http-410') throw err;
        expiredStatus = err;
      }
    }
    const stream = new WatchStream(res, filter, bookmarks, timeout);
    if (expiredStatus !== undefined) {
      stream.fail(expiredStatus.toStatus());
      return 200;
    }
    // Replay and registration happen in one tick, so no change can fall between them.
    if (replay === undefined) stream.sendInitial(this.store.list(route.key, route.namespace));
    else for (const event of replay) if (event.resource === route.key) stream.deliver(event);
    this.watches.add(stream);
    stream.onClose(() => this.watches.delete(stream));
    return 200;
  }

  private handleCreate(route: Route, body: unknown, res: ServerResponse): number {
    const incoming = asStored(body, 'the request body');
    this.checkTypeMeta(route, incoming);
    if (route.type.namespaced) {
      const ns = incoming.metadata.namespace;
      if (ns !== undefined && ns !== '' && ns !== route.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      incoming.metadata.namespace = route.namespace;
      if (this.store.get('namespaces', undefined, route.namespace ?? '') === undefined) throw notFound('', 'namespaces', route.namespace ?? '');
    } else delete incoming.metadata.namespace;
    if (incoming.metadata.resourceVersion !== undefined && incoming.metadata.resourceVersion !== '') {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    applyCreateDefaults(route.type, incoming);
    const created = this.registry.create(route.type, incoming);
    sendJson(res, 201, asServed(route, created));
    return 201;
  }

  private handleUpdate(route: Route, body: unknown, res: ServerResponse): number {
    const incoming = asStored(body, 'the request body');
    this.checkTypeMeta(route, incoming);
    this.checkIdentity(route, incoming);
    const old = this.registry.mustGet(route.type, route.namespace, route.name ?? '');
    const updated = this.registry.update(route.type, old, incoming, route.subresource === 'status' ? 'status' : 'main', true);
    sendJson(res, 200, asServed(route, updated));
    return 200;
  }

  private handlePatch(route: Route, contentType: string | undefined, body: unknown, res: ServerResponse): number {
    const patchType = patchTypeOf(contentType);
    if (patchType === undefined) throw unsupportedMediaType(contentType ?? '');
    if (body === undefined) throw badRequest('the patch body is empty');
    const old = this.registry.mustGet(route.type, route.namespace, route.name ?? '');
    const patched = asStored(applyPatch(patchType, asServed(route, old) as unknown as Json, body as Json), 'the patched object');
    this.checkIdentity(route, patched);
    const updated = this.registry.update(route.type, old, patched, route.subresource === 'status' ? 'status' : 'main', false);
    sendJson(res, 200, asServed(route, updated));
    return 200;
  }

  private handleDelete(route: Route, body: unknown, res: ServerResponse): number {
    const old = this.registry.mustGet(route.type, route.namespace, route.name ?? '');
    const pre = isObject(body) && isObject(body['preconditions']) ? body['preconditions'] : undefined;
    if (pre !== undefined) {
      const rv = pre['resourceVersion'];
      const uid = pre['uid'];
      if ((typeof rv === 'string' && rv !== old.metadata.resourceVersion) || (typeof uid === 'string' && uid !== old.metadata.uid)) {
        throw conflict(route.type.group, route.type.plural, route.name ?? '');
      }
    }
    const last = this.registry.delete(route.type, route.namespace, route.name ?? '');
    sendJson(res, 200, asServed(route, last ?? old));
    return 200;
  }

  private checkTypeMeta(route: Route, obj: StoredObject): void {
    const expected = apiVersionOf(route.type, route.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
    }
    if (obj.kind !== undefined && obj.kind !== route.type.kind) {
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${route.type.kind})`);
    }
  }

  private checkIdentity(route: Route, obj: StoredObject): void {
    if (obj.metadata.name !== undefined && obj.metadata.name !== route.name) {
      throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${String(route.name)})`);
    }
    const ns = obj.metadata.namespace;
    if (route.type.namespaced && ns !== undefined && ns !== '' && ns !== route.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.name = route.name;
    if (route.type.namespaced) obj.metadata.namespace = route.namespace;
  }

  private fanOut(event: StoreEvent): void {
    for (const w of this.watches) {
      if (w.isOpen && resourceKey(w.filter.type.group, w.filter.type.plural) === event.resource) w.deliver(event);
    }
  }
}

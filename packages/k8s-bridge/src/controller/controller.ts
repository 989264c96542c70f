/**
 * `k8s-bridge controller`: MetalLB's controller. It watches Services (and MetalLB's CRDs, or takes
 * a config file), allocates addresses to LoadBalancer Services and publishes them on the Service:
 * status.loadBalancer.ingress, the metallb.io/ip-allocated-from-pool annotation, and an Event
 * (IPAllocated, or AllocationFailed saying why the Service stays pending).
 *
 * Restarts move no address (MetalLB issues #1774, #2443, #2479). Whenever this controller starts
 * allocating (it became the Lease holder, or the configuration changed) it reads every Service
 * with a fresh list, hands them all to Allocator.restore() so that every address already
 * published is held, and only then allocates the pending ones, in the allocator's batch order.
 * A fresh list rather than the informer's cache: after a change of leader the cache may not yet
 * show the previous leader's last writes.
 *
 * One writer. Only the holder of the Lease allocates and writes; the others keep their informers
 * current and wait. All work runs one task at a time on a queue, so the allocator's state and
 * the writes follow one order. A term number, increased whenever leadership starts or ends,
 * stops a task of an old term before it writes.
 *
 * Writes carry the resourceVersion they were decided on. A 409 Conflict means the Service changed
 * meanwhile: it is read again, decided again and written again, a bounded number of times.
 * Other failures are retried after a backoff while this controller leads.
 */
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace, V1Service } from '@kubernetes/client-node';
import { createLogger } from 'bgp-speaker';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/model.js';
import { Allocator } from '../ipam/allocator.js';
import { allocationEvent } from '../ipam/allocation-event.js';
import { allocatorOptions, poolSpecs } from '../ipam/from-config.js';
import type { NamespaceLabels } from '../ipam/pool-selection.js';
import { compareForBatch } from '../ipam/service-intent.js';
import { isAllocated } from '../ipam/types.js';
import type { Allocated, AllocationResult, ServiceSpec } from '../ipam/types.js';
import { Backoff } from '../kube/backoff.js';
import { describeError, isConflict, isNotFound } from '../kube/errors.js';
import { EventRecorder, serviceReference } from '../kube/events.js';
import { objectKey } from '../kube/informer.js';
import type { InformerOptions, ResourceInformer } from '../kube/informer.js';
import { serviceInformer } from '../kube/informers.js';
import { LeaderElector } from '../kube/lease.js';
import { writeServiceAssignment } from '../kube/status.js';
import { CrdConfigSource, StaticConfigSource } from '../sources/cluster-config.js';
import type { ConfigSource } from '../sources/cluster-config.js';
import { namespaceLabelsOf, namespacedKey, serviceSpecOf } from '../sources/kube-objects.js';
import { namespaceInformer } from './namespace-informer.js';
import { publicationFor } from './publication.js';

export const CONTROLLER_COMPONENT = 'metallb-ts-controller';
export const DEFAULT_LEASE_NAME = 'metallb-ts-controller';

export interface LeaderElectionTiming {
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export interface ControllerOptions {
  readonly kubeConfig: KubeConfig;
  /** MetalLB's namespace: its CRDs are read there (without `config`), and the Lease lives there. */
  readonly namespace: string;
  /** A validated configuration (--config FILE); absent: MetalLB's CRDs in `namespace`. */
  readonly config?: BridgeConfig;
  /** This candidate's identity in the Lease and in Events (the pod name). */
  readonly identity: string;
  readonly leaseName?: string;
  /** false: allocate without a Lease (a single controller); default: elect with these timings. */
  readonly leaderElection?: false | LeaderElectionTiming;
  readonly logger?: Logger;
  readonly informerOptions?: InformerOptions;
  /** How many times one Service is decided and written when it answers 409 Conflict. Default 5. */
  readonly writeAttempts?: number;
  /** First delay before retrying a Service whose write failed otherwise (doubles, capped at 30 s). Default 500 ms. */
  readonly retryBackoffMs?: number;
}

export interface ControllerStats {
  /** Writes that changed a Service (annotation or status). */
  readonly writes: number;
  /** 409 answers that made us read a Service again. */
  readonly conflicts: number;
  /** Events created (or attempted). */
  readonly events: number;
  /** Full passes: restore, then allocate everything pending. */
  readonly syncs: number;
}

type Term = number;

export class Controller {
  private readonly log: Logger;
  private readonly core: CoreV1Api;
  private readonly recorder: EventRecorder;
  private readonly services: ResourceInformer<V1Service>;
  private readonly namespaces: ResourceInformer<V1Namespace>;
  private readonly configSource: ConfigSource;
  private readonly elector: LeaderElector | undefined;
  private readonly writeAttempts: number;
  private readonly retryBackoffMs: number;

  private allocator: Allocator | undefined;
  private namespaceLabels: NamespaceLabels = {};
  private leading = false;
  private term: Term = 0;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Services whose reconcile is queued and not yet started (so a burst of events is one task). */
  private readonly dirty = new Set<string>();
  /** The last AllocationFailed message per Service, so a pending Service is not re-announced on every event. */
  private readonly lastFailure = new Map<string, string>();
  private readonly retries = new Map<string, { backoff: Backoff; timer: NodeJS.Timeout | undefined }>();
  private counters = { writes: 0, conflicts: 0, events: 0, syncs: 0 };
  private started = false;
  private stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.logger ?? createLogger();
    const kc = options.kubeConfig;
    this.core = kc.makeApiClient(CoreV1Api);
    this.writeAttempts = options.writeAttempts ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 500;
    this.recorder = new EventRecorder(this.core, { component: CONTROLLER_COMPONENT, instance: options.identity }, undefined, (err) =>
      this.log.warn({ err: describeError(err) }, 'an Event could not be created'),
    );
    this.services = serviceInformer(kc, options.informerOptions);
    this.namespaces = namespaceInformer(kc, options.informerOptions);
    this.configSource =
      options.config !== undefined
        ? new StaticConfigSource(options.config)
        : new CrdConfigSource(kc, options.namespace, {
            ...(options.informerOptions === undefined ? {} : { informerOptions: options.informerOptions }),
            onProblems: (problems) => this.log.error({ problems }, `the MetalLB objects in ${options.namespace} are not a valid configuration; the last valid one stays in force`),
          });
    if (options.leaderElection !== false) {
      const timing = options.leaderElection ?? {};
      this.elector = new LeaderElector(kc.makeApiClient(CoordinationV1Api), {
        namespace: options.namespace,
        name: options.leaseName ?? DEFAULT_LEASE_NAME,
        identity: options.identity,
        ...timing,
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => this.stopLeading(),
        onNewLeader: (identity) => this.log.info({ leader: identity }, 'leader observed'),
        onError: (err) => this.log.warn({ err: describeError(err) }, 'leader election: API call failed'),
      });
    }

    this.services.onChange((event) => {
      if (this.leading) this.markDirty(objectKey(event.object));
    });
    this.services.onError((err) => this.log.warn({ err: describeError(err) }, 'Service watch failed; restarting it'));
    this.namespaces.onChange((event) => {
      if (event.type === 'updated' && sameLabels(event.object.metadata?.labels, event.previous.metadata?.labels)) return;
      if (this.leading) this.enqueue('namespace labels', (term) => this.namespaceLabelsChanged(term));
    });
    this.configSource.onChange(() => {
      if (this.leading) this.enqueue('configuration changed', (term) => this.fullSync(term));
    });
  }

  /** Starts the informers and the election; resolves once the informers hold the cluster's objects. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.started) throw new Error('the controller is already started');
    this.started = true;
    this.services.start();
    this.namespaces.start();
    this.configSource.start();
    await Promise.all([this.services.whenSynced(timeoutMs), this.namespaces.whenSynced(timeoutMs), this.configSource.whenSynced(timeoutMs)]);
    if (this.stopped) return;
    if (this.elector === undefined) this.startLeading();
    else this.elector.start();
  }

  /** Stops allocating, releases the Lease (a successor takes over at once), stops the informers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.leading = false;
    this.term++;
    for (const retry of this.retries.values()) if (retry.timer !== undefined) clearTimeout(retry.timer);
    this.retries.clear();
    await this.queue;
    await this.elector?.stop();
    await Promise.all([this.services.stop(), this.namespaces.stop(), this.configSource.stop()]);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The configuration in force (undefined while there is no valid one). */
  get config(): BridgeConfig | undefined {
    return this.configSource.current;
  }

  /** What the allocator holds for a Service (only while leading). */
  assignmentOf(namespace: string, name: string): Allocated | undefined {
    return this.allocator?.assignmentOf(namespace, name);
  }

  /** Resolves once no work is queued (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.queued > 0) await this.queue;
  }

  stats(): ControllerStats {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------ leadership

  private startLeading(): void {
    if (this.stopped || this.leading) return;
    this.leading = true;
    this.term++;
    this.log.info({ identity: this.options.identity }, 'leading: allocating addresses');
    this.enqueue('started leading', (term) => this.fullSync(term));
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.term++;
    this.allocator = undefined;
    this.dirty.clear();
    for (const retry of this.retries.values()) if (retry.timer !== undefined) clearTimeout(retry.timer);
    this.retries.clear();
    this.log.warn({ identity: this.options.identity }, 'no longer leading: stopped allocating');
  }

  // ------------------------------------------------------------------ the work queue

  private enqueue(what: string, task: (term: Term) => Promise<void>): void {
    const term = this.term;
    this.queued++;
    this.queue = this.queue
      .then(() => (term === this.term ? task(term) : undefined))
      .catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.stack ?? err.message : String(err), task: what }, 'controller task failed'))
      .finally(() => {
        this.queued--;
      });
  }

  private markDirty(key: string): void {
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    this.enqueue(`reconcile ${key}`, async (term) => {
      this.dirty.delete(key);
      await this.reconcileKey(key, term);
    });
  }

  // ------------------------------------------------------------------ the passes

  /**
   * Restore every published address, then converge every Service in batch order. Runs when we
   * start leading and when the configuration changes.
   */
  private async fullSync(term: Term): Promise<void> {
    const config = this.configSource.current;
    if (config === undefined) {
      this.allocator = undefined;
      this.log.error('no valid configuration: nothing is allocated until there is one');
      return;
    }
    this.namespaceLabels = namespaceLabelsOf(this.namespaces.list());
    let allocator: Allocator;
    try {
      allocator = new Allocator(poolSpecs(config), { ...allocatorOptions(config), namespaceLabels: this.namespaceLabels });
    } catch (err) {
      this.allocator = undefined;
      this.log.error({ err: (err as Error).message }, 'the address pools are unusable: nothing is allocated');
      return;
    }
    const listed = await this.listServices();
    if (term !== this.term) return;
    const specs: { service: V1Service; spec: ServiceSpec }[] = [];
    for (const service of listed) {
      const spec = serviceSpecOf(service);
      if (spec !== undefined) specs.push({ service, spec });
    }
    const restored = allocator.restore(specs.map((s) => s.spec));
    this.allocator = allocator;
    this.counters.syncs++;
    for (const conflict of restored.conflicts) this.log.warn({ service: `${conflict.namespace}/${conflict.name}`, ips: conflict.ips, reason: conflict.reason }, conflict.message);
    for (const note of restored.notes) this.log.info({ service: `${note.namespace}/${note.name}` }, note.message);
    this.log.info(
      { kept: restored.kept.length, pending: restored.pending.length, conflicts: restored.conflicts.length, ignored: restored.ignored.length },
      'published addresses restored; allocating the pending Services',
    );
    specs.sort((a, b) => compareForBatch(a.spec, b.spec));
    for (const { service } of specs) {
      if (term !== this.term) return;
      await this.converge(service, term);
    }
  }

  /** One Service changed, appeared or disappeared (an informer event). */
  private async reconcileKey(key: string, term: Term): Promise<void> {
    const allocator = this.allocator;
    if (allocator === undefined) return;
    const [namespace = '', name = ''] = splitKey(key);
    const service = this.services.get(name, namespace);
    if (service === undefined) {
      const held = allocator.assignmentOf(namespace, name);
      allocator.release(namespace, name);
      this.lastFailure.delete(key);
      this.cancelRetry(key);
      if (held !== undefined) {
        this.log.info({ service: key, ips: held.ips, pool: held.pool }, 'Service deleted: its addresses are free');
        await this.retryPending(term);
      }
      return;
    }
    const freed = await this.converge(service, term);
    if (freed) await this.retryPending(term);
  }

  /** Pending Services try again after addresses were freed; those that get one are published. */
  private async retryPending(term: Term): Promise<void> {
    const allocator = this.allocator;
    if (allocator === undefined || term !== this.term) return;
    for (const outcome of allocator.retryPending()) {
      if (term !== this.term) return;
      const key = namespacedKey(outcome.namespace, outcome.name);
      const service = this.services.get(outcome.name, outcome.namespace);
      if (service === undefined) continue; // deleted meanwhile: its own event releases it
      await this.publish(service, outcome.result, key, term);
    }
  }

  private async namespaceLabelsChanged(term: Term): Promise<void> {
    const allocator = this.allocator;
    if (allocator === undefined) return;
    this.namespaceLabels = namespaceLabelsOf(this.namespaces.list());
    const changed = allocator.setNamespaceLabels(this.namespaceLabels);
    for (const released of changed.released) {
      this.log.warn({ service: `${released.namespace}/${released.name}`, ips: released.ips, reason: released.reason }, released.message);
      const service = this.services.get(released.name, released.namespace);
      if (service !== undefined) await this.converge(service, term);
    }
    await this.retryPending(term);
  }

  // ------------------------------------------------------------------ one Service

  /**
   * Decides the Service's addresses and publishes them. Returns true when addresses it held
   * were freed (so pending Services should try again).
   */
  private async converge(initial: V1Service, term: Term): Promise<boolean> {
    const allocator = this.allocator;
    if (allocator === undefined) return false;
    const spec = serviceSpecOf(initial);
    if (spec === undefined) return false;
    const key = namespacedKey(spec.namespace, spec.name);
    const before = allocator.assignmentOf(spec.namespace, spec.name);
    const result = allocator.allocate(spec);
    await this.publish(initial, result, key, term);
    const after = allocator.assignmentOf(spec.namespace, spec.name);
    return before !== undefined && (after === undefined || before.ips.some((ip) => !after.ips.includes(ip)));
  }

  /**
   * Writes the decision to the Service; on 409 reads it again and decides again (the spec may
   * have changed), at most writeAttempts times.
   */
  private async publish(initial: V1Service, firstResult: AllocationResult, key: string, term: Term): Promise<void> {
    let service = initial;
    let result = firstResult;
    for (let attempt = 1; ; attempt++) {
      if (term !== this.term) return;
      const assignment = publicationFor(service, result, this.allocator?.assignmentOf(service.metadata?.namespace ?? 'default', service.metadata?.name ?? ''));
      this.noteFailure(service, result, key);
      if (assignment === undefined) {
        this.cancelRetry(key);
        return;
      }
      try {
        const written = await writeServiceAssignment(this.core, service, assignment);
        if (written.annotationWritten || written.statusWritten) this.counters.writes++;
        this.cancelRetry(key);
        if (written.statusWritten && isAllocated(result)) {
          this.log.info({ service: key, ips: result.ips, pool: result.pool }, 'address assigned');
          this.event(written.service, result);
        } else if (written.statusWritten) {
          this.log.info({ service: key }, 'addresses removed from the Service');
        }
        return;
      } catch (err) {
        if (isNotFound(err)) return; // deleted: its informer event releases it
        if (!isConflict(err)) {
          this.log.warn({ service: key, err: describeError(err) }, 'writing the Service failed; retrying later');
          this.scheduleRetry(key);
          return;
        }
        this.counters.conflicts++;
        if (attempt >= this.writeAttempts) {
          this.log.warn({ service: key, attempts: attempt }, 'the Service kept changing under our writes; retrying later');
          this.scheduleRetry(key);
          return;
        }
        const fresh = await this.readService(service);
        if (fresh === undefined || term !== this.term || this.allocator === undefined) return;
        service = fresh;
        const spec = serviceSpecOf(service);
        if (spec === undefined) return;
        result = this.allocator.allocate(spec);
      }
    }
  }

  private noteFailure(service: V1Service, result: AllocationResult, key: string): void {
    if (isAllocated(result)) {
      this.lastFailure.delete(key);
      return;
    }
    const spec = { namespace: service.metadata?.namespace ?? 'default', name: service.metadata?.name ?? '' };
    const event = allocationEvent(spec, result);
    if (event === undefined) {
      this.lastFailure.delete(key);
      return;
    }
    if (this.lastFailure.get(key) === event.message) return;
    this.lastFailure.set(key, event.message);
    this.log.warn({ service: key, reason: result.error.reason }, result.error.message);
    this.counters.events++;
    this.recorder.emit(serviceReference(service), event.type, event.reason, event.message);
  }

  private event(service: V1Service, result: AllocationResult): void {
    const spec = { namespace: service.metadata?.namespace ?? 'default', name: service.metadata?.name ?? '' };
    const event = allocationEvent(spec, result);
    if (event === undefined) return;
    this.counters.events++;
    this.recorder.emit(serviceReference(service), event.type, event.reason, event.message);
  }

  private async readService(service: V1Service): Promise<V1Service | undefined> {
    try {
      return await this.core.readNamespacedService({ name: service.metadata?.name ?? '', namespace: service.metadata?.namespace ?? 'default' });
    } catch (err) {
      if (!isNotFound(err)) this.log.warn({ err: describeError(err) }, 'reading a Service again failed');
      return undefined;
    }
  }

  /** Every Service, fresh from the API server; the informer's copy if the list fails. */
  private async listServices(): Promise<V1Service[]> {
    try {
      return (await this.core.listServiceForAllNamespaces()).items;
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'listing Services failed; using the watched copy');
      return this.services.list();
    }
  }

  private scheduleRetry(key: string): void {
    if (!this.leading) return;
    let retry = this.retries.get(key);
    if (retry === undefined) {
      retry = { backoff: new Backoff({ initialMs: this.retryBackoffMs, maxMs: 30_000 }), timer: undefined };
      this.retries.set(key, retry);
    }
    if (retry.timer !== undefined) return;
    const entry = retry;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.leading) this.markDirty(key);
    }, entry.backoff.next());
  }

  private cancelRetry(key: string): void {
    const retry = this.retries.get(key);
    if (retry === undefined) return;
    if (retry.timer !== undefined) clearTimeout(retry.timer);
    this.retries.delete(key);
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = Object.entries(a ?? {}).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1));
  const y = Object.entries(b ?? {}).sort(([k1], [k2]) => (k1 < k2 ? -1 : 1));
  return JSON.stringify(x) === JSON.stringify(y);
}

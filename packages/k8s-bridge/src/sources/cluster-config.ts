/**
 * Where the in-cluster modes get their configuration: a file given with --config (read once), or
 * MetalLB's CRDs in MetalLB's namespace, watched and turned into the validated model with
 * resolveDocuments, the same entry point the files go through.
 *
 * A set of objects with any problem is not applied: the last valid configuration stays in force
 * (an operator's half-finished `kubectl apply` must not release every address), and the
 * problems are reported once per distinct set. Changes are coalesced: an apply of several
 * objects arrives as several watch events and is resolved once they stop coming.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConfigProblem } from 'bgp-speaker';
import { isProblems, resolveDocuments } from '../config/load.js';
import type { BridgeConfig } from '../config/model.js';
import { metallbInformer } from '../kube/informers.js';
import type { MetallbObject, MetallbResource } from '../kube/informers.js';
import type { InformerOptions, ResourceInformer } from '../kube/informer.js';

export interface ConfigSource {
  start(): void;
  stop(): Promise<void>;
  /** Resolves once the first configuration was resolved (valid or not); rejects after timeoutMs. */
  whenSynced(timeoutMs?: number): Promise<void>;
  /** The configuration in force; undefined while there is no valid one. */
  readonly current: BridgeConfig | undefined;
  /** Called with every new valid configuration (not with an equal one). Returns the unsubscribe function. */
  onChange(listener: (config: BridgeConfig) => void): () => void;
}

/** A configuration fixed at start (k8s-bridge controller|speaker --config FILE). */
export class StaticConfigSource implements ConfigSource {
  constructor(readonly current: BridgeConfig) {}
  start(): void {}
  async stop(): Promise<void> {}
  async whenSynced(): Promise<void> {}
  onChange(): () => void {
    return () => undefined;
  }
}

/** The kinds read from the cluster: those the config module accepts (crds.ts SUPPORTED). */
export const CONFIG_RESOURCES: readonly MetallbResource[] = ['ipaddresspools', 'bgppeers', 'bgpadvertisements', 'l2advertisements', 'communities'];

/** The longest delay setTimeout takes: an informer that never syncs is waited for until stop(). */
const MAX_TIMER_MS = 2_147_483_647;

export interface CrdConfigSourceOptions {
  readonly informerOptions?: InformerOptions;
  /** Quiet time after the last change before resolving. Default 50 ms. */
  readonly debounceMs?: number;
  /** The objects do not make a valid configuration (reported once per distinct list). */
  readonly onProblems?: (problems: readonly ConfigProblem[]) => void;
}

export class CrdConfigSource implements ConfigSource {
  private readonly informers: ResourceInformer<MetallbObject>[];
  private readonly listeners = new Set<(config: BridgeConfig) => void>();
  private config: BridgeConfig | undefined;
  private configText: string | undefined;
  private lastProblems: readonly ConfigProblem[] | undefined;
  private lastProblemsText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resolvedOnce = false;
  private readonly syncWaiters = new Set<() => void>();
  private stopped = false;
  private readonly debounceMs: number;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
    private readonly options: CrdConfigSourceOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 50;
    this.informers = CONFIG_RESOURCES.map((resource) => metallbInformer(kubeConfig, resource, namespace, options.informerOptions));
    for (const informer of this.informers) informer.onChange(() => this.schedule());
  }

  get current(): BridgeConfig | undefined {
    return this.config;
  }

  /** The problems of the objects as last resolved, when they were invalid. */
  get problems(): readonly ConfigProblem[] | undefined {
    return this.lastProblems;
  }

  start(): void {
    for (const informer of this.informers) informer.start();
    void Promise.all(this.informers.map((i) => i.whenSynced(MAX_TIMER_MS))).then(
      () => this.resolve(),
      () => undefined, // stopped before syncing
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.informers.map((i) => i.stop()));
    this.wakeWaiters();
  }

  whenSynced(timeoutMs = 30_000): Promise<void> {
    if (this.resolvedOnce) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.syncWaiters.delete(wake);
        reject(new Error(`MetalLB objects in ${this.namespace} not read after ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        if (this.resolvedOnce) resolve();
        else reject(new Error('the configuration source stopped before it synced'));
      };
      this.syncWaiters.add(wake);
    });
  }

  onChange(listener: (config: BridgeConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(): void {
    if (this.stopped || !this.informers.every((i) => i.synced)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.resolve();
    }, this.debounceMs);
  }

  private resolve(): void {
    if (this.stopped) return;
    // A stable order (kind, then name), so equal object sets give equal models and messages.
    const documents = this.informers.flatMap((informer) =>
      informer.list().sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0)),
    );
    const result = resolveDocuments(documents);
    if (isProblems(result)) {
      const text = JSON.stringify(result);
      this.lastProblems = result;
      if (text !== this.lastProblemsText) {
        this.lastProblemsText = text;
        this.options.onProblems?.(result);
      }
    } else {
      this.lastProblems = undefined;
      this.lastProblemsText = undefined;
      const text = JSON.stringify(result);
      if (text !== this.configText) {
        this.configText = text;
        this.config = result;
        for (const listener of this.listeners) listener(result);
      }
    }
    if (!this.resolvedOnce) {
      this.resolvedOnce = true;
      this.wakeWaiters();
    }
  }

  private wakeWaiters(): void {
    for (const wake of this.syncWaiters) wake();
    this.syncWaiters.clear();
  }
}

/**
 * `k8s-bridge speaker --node-name NAME`: MetalLB's speaker for one node. It watches
 * Services, EndpointSlices, Nodes, the Secrets of MetalLB's namespace and the configuration
 * (MetalLB's CRDs, or a file), reads the allocations the controller published on the Services
 * (it never allocates), and announces what MetalLB's rules say this node announces: over BGP
 * (bgpRoutesForNode, through a bgp-speaker Speaker) and in Layer 2 mode (layer2ClaimsForNode,
 * through a Layer2Node: heartbeats with the other nodes' speakers on their InternalIPs, ARP/NDP
 * answers for the addresses this node owns).
 *
 * Changes are coalesced (debounceMs of quiet, 50 ms by default): a rollout that touches many
 * EndpointSlices becomes one recomputation, and the routes go to the speaker as a difference
 * (RouteFeed), so unchanged routes are never re-sent. The peers follow the configuration, the
 * Node's labels and the password Secrets: a change is applied with Speaker.reconfigure, which
 * leaves untouched sessions up; only a new AS or router ID restarts the speaker.
 *
 * Passes run one at a time; a change arriving during a pass schedules one more.
 */
import { isIPv4 } from 'node:net';
import type { Server } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Node, V1Secret, V1Service } from '@kubernetes/client-node';
import { Speaker, createLogger, handleControlRequest, startControlServer, summarizeDiff } from 'bgp-speaker';
import type { RouteInput, SpeakerConfig } from 'bgp-speaker';
import type { Logger } from 'pino';
import { bgpRoutesForNode } from '../announce/bgp-routes.js';
import type { AnnouncedService, NodeState } from '../announce/bgp-routes.js';
import { layer2ClaimsForNode } from '../announce/layer2-claims.js';
import type { Layer2Claim } from '../announce/layer2-claims.js';
import { NodeSpeakerError, RouteFeed, speakerConfigForNode } from '../announce/node-speaker.js';
import { layer2PoolNames } from '../config/model.js';
import type { BridgeConfig } from '../config/model.js';
import type { InformerOptions, ResourceInformer } from '../kube/informer.js';
import { describeError } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { endpointSliceInformer, nodeInformer, secretInformer, serviceInformer } from '../kube/informers.js';
import { Layer2Node, heartbeatKeyFrom } from '../layer2/layer2-node.js';
import type { Layer2NodeOptions } from '../layer2/layer2-node.js';
import { ServiceL2Statuses } from './l2-statuses.js';
import type { OwnerPod } from './l2-statuses.js';
import { CrdConfigSource, StaticConfigSource } from '../sources/cluster-config.js';
import type { ConfigSource } from '../sources/cluster-config.js';
import { nodeStateOf, readyEndpointNodes, secretDataOf, splitNamespacedKey as splitKey } from '../sources/kube-objects.js';
import { announcedServicesOf } from './announced-services.js';

export interface SpeakerNodeOptions {
  readonly kubeConfig: KubeConfig;
  /** The node this speaker runs on (the Node object's name). */
  readonly nodeName: string;
  /** MetalLB's namespace: its CRDs (without `config`) and the password Secrets. */
  readonly namespace: string;
  /** A validated configuration (--config FILE); absent: MetalLB's CRDs in `namespace`. */
  readonly config?: BridgeConfig;
  /** BGP router ID; default the Node's IPv4 InternalIP (MetalLB's choice). */
  readonly routerId?: string;
  /** Serve the bgp-speaker control socket here (neighbors, routes, neighbor reset...). */
  readonly controlPath?: string;
  readonly logger?: Logger;
  readonly informerOptions?: InformerOptions;
  /** Quiet time after the last change before routes are recomputed. Default 50 ms. */
  readonly debounceMs?: number;
  /** Layer 2 mode: the heartbeat port (default 7946) and, for tests, fakes. */
  readonly layer2?: Partial<Omit<Layer2NodeOptions, 'nodeName' | 'logger' | 'onMembership'>>;
  /** This speaker's pod (POD_NAME, POD_UID): it owns the ServiceL2Status objects, which go with it. */
  readonly pod?: OwnerPod;
}

/** The outcome of one pass, for logs and tests. */
export interface SpeakerNodePass {
  /** The routes this node announces (empty when the speaker does not run). */
  readonly routes: readonly RouteInput[];
  readonly announced: readonly string[];
  readonly withdrawn: readonly string[];
  /** Addresses of the peers the speaker holds sessions with. */
  readonly peers: readonly string[];
  /** Why no speaker runs, when none does. */
  readonly idle?: string;
  /** The addresses this node answers ARP/NDP for (Layer 2 mode). */
  readonly layer2: readonly string[];
}

export class SpeakerNode {
  private readonly log: Logger;
  private readonly services: ResourceInformer<V1Service>;
  private readonly slices: ResourceInformer<V1EndpointSlice>;
  private readonly nodes: ResourceInformer<V1Node>;
  private readonly secrets: ResourceInformer<V1Secret>;
  private readonly configSource: ConfigSource;
  private readonly debounceMs: number;
  private readonly passListeners = new Set<(pass: SpeakerNodePass) => void>();

  private running: Speaker | undefined;
  private runningConfigText: string | undefined;
  private feed: RouteFeed | undefined;
  private control: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> = Promise.resolve();
  private passQueued = false;
  private lastPass: SpeakerNodePass = { routes: [], announced: [], withdrawn: [], peers: [], idle: 'not started', layer2: [] };
  readonly layer2: Layer2Node;
  private readonly recorder: EventRecorder;
  private readonly l2Statuses: ServiceL2Statuses;
  /** Warnings of the running pass and of the one before: each is logged when it first appears. */
  private notices = new Set<string>();
  private previousNotices = new Set<string>();
  private started = false;
  private stopped = false;

  constructor(private readonly options: SpeakerNodeOptions) {
    this.log = options.logger ?? createLogger().child({ node: options.nodeName });
    this.debounceMs = options.debounceMs ?? 50;
    const kc = options.kubeConfig;
    const informerOptions = options.informerOptions;
    this.services = serviceInformer(kc, informerOptions);
    this.slices = endpointSliceInformer(kc, informerOptions);
    // Every Node: Layer 2 mode elects among them (labels, InternalIPs for the heartbeats).
    this.nodes = nodeInformer(kc, informerOptions);
    this.secrets = secretInformer(kc, options.namespace, informerOptions);
    this.configSource =
      options.config !== undefined
        ? new StaticConfigSource(options.config)
        : new CrdConfigSource(kc, options.namespace, {
            ...(informerOptions === undefined ? {} : { informerOptions }),
            onProblems: (problems) => this.log.error({ problems }, `the MetalLB objects in ${options.namespace} are not a valid configuration; the last valid one stays in force`),
          });
    for (const informer of [this.services, this.slices, this.nodes, this.secrets]) {
      informer.onChange(() => this.schedule());
      informer.onError((err) => this.log.warn({ err: describeError(err) }, 'a watch failed; restarting it'));
    }
    this.configSource.onChange(() => this.schedule());
    this.l2Statuses = new ServiceL2Statuses(kc, options.namespace, options.nodeName, options.pod, informerOptions);
    // Someone else changed or deleted one of ours: put it back on the next pass.
    this.l2Statuses.informer.onChange(() => this.schedule());
    this.l2Statuses.informer.onError((err) => this.notice(`ServiceL2Status objects cannot be read (${describeError(err)}); is MetalLB's servicel2statuses CRD installed? Not publishing them meanwhile`));
    this.recorder = new EventRecorder(kc.makeApiClient(CoreV1Api), { component: SPEAKER_COMPONENT, instance: options.nodeName }, undefined, (err) =>
      this.log.warn({ err: describeError(err) }, 'recording an Event failed'),
    );
    // A speaker appearing or dying moves addresses: recompute at once, failover time counts.
    this.layer2 = new Layer2Node({ ...options.layer2, nodeName: options.nodeName, logger: this.log, onMembership: () => this.schedule(0) });
  }

  /** Starts watching; resolves after the first pass (the speaker runs if this node has peers). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.started) throw new Error('the speaker node is already started');
    this.started = true;
    if (this.options.controlPath !== undefined) {
      this.control = await startControlServer(this.options.controlPath, (request) => {
        const speaker = this.running;
        if (speaker === undefined) throw new Error(`no BGP speaker is running on this node: ${this.lastPass.idle ?? 'not started'}`);
        return handleControlRequest(speaker, request);
      });
    }
    const all = [this.services, this.slices, this.nodes, this.secrets];
    for (const informer of all) informer.start();
    // Not waited for: without the CRD (an older MetalLB install) the speaker runs all the same.
    this.l2Statuses.informer.start();
    this.configSource.start();
    await Promise.all([...all.map((i) => i.whenSynced(timeoutMs)), this.configSource.whenSynced(timeoutMs)]);
    this.schedule(0);
    await this.settled();
  }

  /**
   * Stops watching and ends the sessions. With gracefulRestart, peers that negotiated it keep our
   * routes while we restart (the pod's SIGTERM).
   */
  async stop(options: { gracefulRestart?: boolean; message?: string } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.passing;
    // This node's ServiceL2Status objects go first, best effort (the pod's owner reference removes
    // them too, once the pod is gone).
    if (this.l2Statuses.informer.synced) {
      await Promise.race([this.l2Statuses.sync(new Map()).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    await Promise.all([this.services.stop(), this.slices.stop(), this.nodes.stop(), this.secrets.stop(), this.configSource.stop(), this.l2Statuses.informer.stop()]);
    // Stopping on purpose (a rollout, SIGTERM): the other speakers take over at once.
    this.layer2.close({ leave: true });
    const speaker = this.running;
    this.running = undefined;
    this.feed = undefined;
    if (speaker !== undefined) await speaker.stop(options.message ?? 'k8s-bridge speaker stopped', { gracefulRestart: options.gracefulRestart ?? false });
    if (this.control !== undefined) await new Promise<void>((resolve) => this.control?.close(() => resolve()));
    this.control = undefined;
  }

  /** The running BGP speaker, if this node has peers. */
  get speaker(): Speaker | undefined {
    return this.running;
  }

  /** The outcome of the last pass. */
  get state(): SpeakerNodePass {
    return this.lastPass;
  }

  /** Called after every pass. Returns the unsubscribe function. */
  onPass(listener: (pass: SpeakerNodePass) => void): () => void {
    this.passListeners.add(listener);
    return () => this.passListeners.delete(listener);
  }

  /** Resolves once no pass is scheduled or running. */
  async settled(): Promise<void> {
    for (;;) {
      if (this.timer !== undefined) await new Promise((resolve) => setTimeout(resolve, this.debounceMs));
      await this.passing;
      if (this.timer === undefined && !this.passQueued) return;
    }
  }

  // ------------------------------------------------------------------ passes

  private schedule(delayMs = this.debounceMs): void {
    if (this.stopped || !this.started) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.passQueued) return;
      this.passQueued = true;
      this.passing = this.passing
        .then(() => {
          this.passQueued = false;
          return this.stopped ? undefined : this.pass();
        })
        .catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, 'speaker pass failed'));
    }, delayMs);
  }

  private async pass(): Promise<void> {
    this.previousNotices = this.notices;
    this.notices = new Set();
    const computed = this.compute();
    await this.syncSpeaker(computed.speakerConfig, computed.idle);
    const change = this.feed === undefined ? { announced: [], withdrawn: [] } : this.feed.apply(computed.routes);
    if (change.announced.length > 0 || change.withdrawn.length > 0) this.log.info(change, 'routes changed');
    await this.syncLayer2(computed.layer2);
    const idle = this.running === undefined ? computed.idle ?? 'the speaker is not running' : undefined;
    this.lastPass = {
      routes: this.running === undefined ? [] : computed.routes,
      announced: change.announced,
      withdrawn: change.withdrawn,
      peers: this.running?.config.peers.map((p) => p.address) ?? [],
      ...(idle === undefined ? {} : { idle }),
      layer2: this.layer2.addresses,
    };
    for (const listener of this.passListeners) listener(this.lastPass);
  }

  /** This node's speaker configuration and routes from the informers' current state. */
  private compute(): { speakerConfig: SpeakerConfig | undefined; routes: readonly RouteInput[]; idle?: string; layer2?: Layer2Inputs } {
    const config = this.configSource.current;
    if (config === undefined) return { speakerConfig: undefined, routes: [], idle: 'no valid configuration' };
    if (!config.speakerEnabled) return { speakerConfig: undefined, routes: [], idle: 'the configuration disables the speaker (metallb_speaker_enabled: false)' };
    const nodes = new Map(this.nodes.list().map((object) => [object.metadata?.name ?? '', nodeStateOf(object)]));
    const node = nodes.get(this.options.nodeName);
    const { services, skipped } = announcedServicesOf(config, this.services.list(), readyEndpointNodes(this.slices.list()));
    for (const skip of skipped) this.notice(`${skip.service}: ${skip.reason}; not announced`);
    const layer2: Layer2Inputs = { config, services, nodes };
    const routes = bgpRoutesForNode(config, this.options.nodeName, node, services);
    if (routes.ineligible !== undefined) this.notice(`this node announces nothing: ${routes.ineligible}`);
    if (routes.peers.length === 0 && layer2PoolNames(config).length > 0) {
      // Layer 2 only: no BGP speaker is wanted, and its absence is not worth a warning.
      return { speakerConfig: undefined, routes: [], layer2 };
    }
    const nodeIp = node?.internalIp;
    const routerId = this.options.routerId ?? (nodeIp !== undefined && isIPv4(nodeIp) ? nodeIp : undefined);
    if (routerId === undefined) {
      return { speakerConfig: undefined, routes: routes.routes, idle: `no router ID: the Node ${this.options.nodeName} has no IPv4 InternalIP; give --router-id`, layer2 };
    }
    try {
      const lookup = (namespace: string, name: string): Readonly<Record<string, string>> | undefined => {
        const secret = this.secrets.get(name, namespace);
        return secret === undefined ? undefined : secretDataOf(secret);
      };
      return { speakerConfig: speakerConfigForNode(routes.peers, routerId, lookup, config.namespace), routes: routes.routes, layer2 };
    } catch (err) {
      if (err instanceof NodeSpeakerError) return { speakerConfig: undefined, routes: routes.routes, idle: err.message, layer2 };
      throw err;
    }
  }

  /**
   * Layer 2 mode: starts the heartbeats from this Node's InternalIP once a pool needs them, then
   * answers for the addresses this node wins. Without inputs (no configuration, the speaker
   * disabled) or without Layer 2 pools, it answers for nothing.
   */
  private async syncLayer2(inputs: Layer2Inputs | undefined): Promise<void> {
    const config = inputs?.config;
    const self = inputs?.nodes.get(this.options.nodeName);
    const layer2Pools = config === undefined ? [] : layer2PoolNames(config);
    if (inputs === undefined || config === undefined || layer2Pools.length === 0) {
      if (config !== undefined) this.layer2.apply([], config, self?.labels ?? {});
      await this.publishL2Statuses([]);
      return;
    }
    const address = self?.internalIp;
    if (address === undefined) {
      this.notice(`the pools ${layer2Pools.join(', ')} are in Layer 2 mode, which needs this Node's InternalIP (the speakers heartbeat each other there); answering nothing`);
      this.layer2.apply([], config, self?.labels ?? {});
      await this.publishL2Statuses([]);
      return;
    }
    this.layer2.setNodes(inputs.nodes.values());
    const secretData = (name: string): Readonly<Record<string, string>> | undefined => {
      const secret = this.secrets.get(name, config.namespace);
      return secret === undefined ? undefined : secretDataOf(secret);
    };
    try {
      await this.layer2.start(address, heartbeatKeyFrom(secretData));
    } catch (err) {
      this.notice((err as Error).message);
      return;
    }
    const { claims } = layer2ClaimsForNode(config, this.options.nodeName, inputs.nodes, this.layer2.alive(), inputs.services);
    const { owned } = this.layer2.apply(claims, config, self?.labels ?? {});
    // MetalLB's Event on a Service this node starts announcing: `kubectl describe service` shows
    // which node answers for it (speaker/main.go, "nodeAssigned", same text).
    const taken = new Set(claims.filter((claim) => owned.includes(claim.ip)).map((claim) => claim.service));
    for (const key of taken) {
      const [namespace, name] = splitKey(key);
      const service = this.services.get(name, namespace);
      if (service === undefined) continue;
      this.recorder.emitForService(service, 'Normal', 'nodeAssigned', `announcing from node "${this.options.nodeName}" with protocol "layer2"`);
    }
    await this.publishL2Statuses(claims);
  }

  /** One ServiceL2Status per Service answered here (l2-statuses.ts); retried on the next pass when the API refuses. */
  private async publishL2Statuses(claims: readonly Layer2Claim[]): Promise<void> {
    if (!this.l2Statuses.informer.synced) return;
    const desired = new Map<string, readonly string[]>();
    const answered = new Set(this.layer2.addresses);
    for (const claim of claims) {
      // Only what is really answered: claims wait for the membership to settle.
      if (!answered.has(claim.ip) || desired.has(claim.service)) continue;
      desired.set(claim.service, [...(this.layer2.interfacesOf(claim.ip) ?? [])].sort());
    }
    try {
      const change = await this.l2Statuses.sync(desired);
      if (change.created + change.updated + change.deleted > 0) this.log.info(change, 'ServiceL2Status objects written');
    } catch (err) {
      this.notice(`writing ServiceL2Status objects failed (${describeError(err)}); retrying`);
      this.schedule(5000);
    }
  }

  /** Starts, reconfigures or stops the speaker to match `desired`. */
  private async syncSpeaker(desired: SpeakerConfig | undefined, idle: string | undefined): Promise<void> {
    if (desired === undefined) {
      if (idle !== undefined) this.notice(`no BGP speaker: ${idle}`);
      if (this.running !== undefined) await this.stopSpeaker(`k8s-bridge: ${idle ?? 'no peers'}`);
      return;
    }
    // The text holds passwords: it is compared, never printed.
    const text = JSON.stringify(desired);
    if (this.running !== undefined && text === this.runningConfigText) return;
    if (this.running !== undefined) {
      try {
        const diff = await this.running.reconfigure(desired);
        this.runningConfigText = text;
        this.log.info({ change: summarizeDiff(diff) }, 'BGP peers reconfigured');
        return;
      } catch (err) {
        this.log.info({ reason: (err as Error).message }, 'restarting the BGP speaker');
        await this.stopSpeaker('k8s-bridge: configuration change');
      }
    }
    const speaker = new Speaker(desired, { logger: this.log });
    speaker.on('error', (err) => this.log.warn({ err: err.message }, 'BGP peer error'));
    speaker.on('peerUp', (address) => this.log.info({ peer: address }, 'BGP session established'));
    speaker.on('peerDown', (address, reason) => this.log.info({ peer: address, reason }, 'BGP session down'));
    try {
      await speaker.start();
    } catch (err) {
      this.notice(`the BGP speaker cannot start: ${(err as Error).message}`);
      await speaker.stop('k8s-bridge: start failed').catch(() => undefined);
      return;
    }
    this.running = speaker;
    this.runningConfigText = text;
    this.feed = new RouteFeed(speaker);
    this.log.info({ routerId: desired.routerId, asn: desired.asn, peers: desired.peers.map((p) => p.address) }, 'BGP speaker running');
  }

  private async stopSpeaker(message: string): Promise<void> {
    const speaker = this.running;
    this.running = undefined;
    this.runningConfigText = undefined;
    this.feed = undefined;
    await speaker?.stop(message);
  }

  /** A warning logged when it first appears, not again while every pass finds it. */
  private notice(message: string): void {
    if (this.notices.has(message)) return;
    this.notices.add(message);
    if (!this.previousNotices.has(message)) this.log.warn(message);
  }
}

/** What Layer 2 mode decides on, from one pass's view of the cluster. */
interface Layer2Inputs {
  readonly config: BridgeConfig;
  readonly services: readonly AnnouncedService[];
  readonly nodes: ReadonlyMap<string, NodeState>;
}

/** The reporting component of the speakers' Events. */
export const SPEAKER_COMPONENT = 'metallb-ts-speaker';


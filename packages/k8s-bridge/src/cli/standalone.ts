/**
 * k8s-bridge standalone --config FILE --services FILE --node-name NAME [--router-id ADDRESS]
 *                       [--control PATH] [--layer2-port PORT] [--metrics ADDRESS:PORT]
 *
 * Allocation and announcement in one process, with no cluster: the configuration (kubespray
 * variables or MetalLB CRDs) and a file standing in for the cluster (Services, EndpointSlices,
 * Nodes, Secrets), re-read whenever it changes. Every node running it computes the same
 * allocations, and announces what MetalLB's rules say this node announces: over BGP for the
 * pools of BGPAdvertisements, by answering ARP/NDP for the pools of L2Advertisements (Layer 2
 * mode: the speakers of the Nodes listed heartbeat each other on InternalIP:--layer2-port and
 * each address is answered by one of them).
 */
import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONTROL_PATH, Speaker, createLogger, handleControlRequest, startControlServer } from 'bgp-speaker';
import { bgpRoutesForNode } from '../announce/bgp-routes.js';
import type { AnnouncedService } from '../announce/bgp-routes.js';
import { layer2ClaimsForNode } from '../announce/layer2-claims.js';
import { RouteFeed, speakerConfigForNode } from '../announce/node-speaker.js';
import { loadConfigFile } from '../config/index.js';
import { layer2PoolNames } from '../config/model.js';
import type { BridgeConfig } from '../config/model.js';
import { allocateAll } from '../ipam/dry-run.js';
import { allocatorOptions, poolSpecs } from '../ipam/from-config.js';
import type { ServiceSpec } from '../ipam/types.js';
import { Layer2Node, heartbeatKeyFrom } from '../layer2/layer2-node.js';
import { startBridgeMetrics } from '../metrics/bridge-metrics.js';
import type { ListenAddress } from '../metrics/bridge-metrics.js';
import { ANNOUNCE_OPTIONS, announceSettings } from './options.js';
import type { AnnounceValues } from './options.js';
import { parseClusterFile } from '../sources/cluster-file.js';
import type { ClusterState } from '../sources/cluster-file.js';

export const STANDALONE_USAGE =
  'usage: k8s-bridge standalone --config FILE --services FILE --node-name NAME [--router-id ADDRESS] [--control PATH] [--layer2-port PORT] [--metrics ADDRESS:PORT]';

/** Editors and ConfigMaps replace a file in several steps; act once they are done. */
const RELOAD_DEBOUNCE_MS = 200;
/** How long to wait for an interface to list its address when the router ID must come from one. */
const ROUTER_ID_WAIT_MS = 5000;

export async function standalone(args: readonly string[]): Promise<number> {
  let values: AnnounceValues & { config?: string; services?: string };
  try {
    values = parseArgs({
      args: [...args],
      options: { ...ANNOUNCE_OPTIONS, config: { type: 'string' }, services: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`k8s-bridge standalone: ${(error as Error).message}\n${STANDALONE_USAGE}\n`);
    return 2;
  }
  const { config: configPath, services: servicesPath } = values;
  const nodeName = values['node-name'];
  if (configPath === undefined || servicesPath === undefined || nodeName === undefined) {
    process.stderr.write(`k8s-bridge standalone: --config, --services and --node-name are required\n${STANDALONE_USAGE}\n`);
    return 2;
  }
  const log = createLogger().child({ node: nodeName });
  let config: BridgeConfig;
  let state: ClusterState;
  let layer2Port: number;
  let metricsListen: ListenAddress | undefined;
  try {
    ({ layer2Port, metrics: metricsListen } = announceSettings(values));
    config = loadConfigFile(configPath);
    state = parseClusterFile(readFileSync(servicesPath, 'utf8'), servicesPath);
  } catch (error) {
    process.stderr.write(`k8s-bridge standalone: ${(error as Error).message}\n`);
    return 1;
  }
  for (const warning of config.warnings) log.warn(warning);
  const layer2Pools = layer2PoolNames(config);

  const first = computeRoutes(config, nodeName, state, new Map(), log);
  let announced = first.announced;
  // With the speaker disabled (kubespray's metallb_speaker_enabled: false, e.g. Calico announces the
  // addresses), or no BGP peer and no Layer 2 pool for this node, this process allocates only, and says so.
  let speaker: Speaker | undefined;
  let routerId: string | undefined;
  if (!config.speakerEnabled) {
    log.warn('the speaker is disabled (metallb_speaker_enabled: false): allocating only, announcing nothing');
  } else if (first.peers.length === 0) {
    if (layer2Pools.length === 0) log.warn('no BGP peer applies to this node (check the peers\' node selectors) and no pool is in Layer 2 mode: allocating only, announcing nothing');
  } else {
    // MetalLB's router ID is the node's address: --router-id, else the Node's InternalIP, else an
    // IPv4 address of this host (which a just-created interface lists only about a second later).
    const nodeIp = state.nodes.get(nodeName)?.internalIp;
    routerId = values['router-id'] ?? (nodeIp !== undefined && isIPv4(nodeIp) ? nodeIp : await firstIpv4Address(ROUTER_ID_WAIT_MS));
    if (routerId === undefined) {
      process.stderr.write('k8s-bridge standalone: no IPv4 address to use as router id; give --router-id\n');
      return 1;
    }
    try {
      const speakerConfig = speakerConfigForNode(first.peers, routerId, (ns, name) => state.secrets.get(`${ns}/${name}`), config.namespace);
      speaker = new Speaker(speakerConfig, { logger: log });
    } catch (error) {
      process.stderr.write(`k8s-bridge standalone: ${(error as Error).message}\n`);
      return 1;
    }
  }

  // Layer 2 mode: the heartbeat from this Node's InternalIP; claims recomputed on every change of
  // the cluster file and of the membership.
  let layer2: Layer2Node | undefined;
  const heartbeatKey = (): Buffer | undefined => heartbeatKeyFrom((name) => state.secrets.get(`${config.namespace}/${name}`));
  const applyLayer2 = (): void => {
    if (layer2 === undefined) return;
    layer2.setNodes(state.nodes.values());
    const { claims } = layer2ClaimsForNode(config, nodeName, state.nodes, layer2.alive(), announced);
    layer2.apply(claims, config, state.nodes.get(nodeName)?.labels ?? {});
  };
  if (config.speakerEnabled && layer2Pools.length > 0) {
    const selfIp = state.nodes.get(nodeName)?.internalIp;
    if (selfIp === undefined) {
      process.stderr.write(`k8s-bridge standalone: the pools ${layer2Pools.join(', ')} are in Layer 2 mode, which needs the Node ${nodeName} with an InternalIP in ${servicesPath} (the speakers heartbeat each other there)\n`);
      return 1;
    }
    layer2 = new Layer2Node({ nodeName, port: layer2Port, logger: log, onMembership: applyLayer2 });
    layer2.setNodes(state.nodes.values());
    try {
      await layer2.start(selfIp, heartbeatKey());
    } catch (error) {
      process.stderr.write(`k8s-bridge standalone: ${(error as Error).message}\n`);
      layer2.close();
      return 1;
    }
  }

  const metricsServer = metricsListen === undefined
    ? undefined
    : await startBridgeMetrics(metricsListen, { peerStats: () => speaker?.peerStats() ?? [], layer2: { addressStats: () => layer2?.addressStats() ?? new Map() } }).catch((error: unknown) => error as Error);
  if (metricsServer instanceof Error) {
    process.stderr.write(`k8s-bridge standalone: ${metricsServer.message}\n`);
    layer2?.close();
    return 1;
  }
  const controlPath = values.control ?? DEFAULT_CONTROL_PATH;
  const running = speaker;
  const control = running === undefined ? undefined : await startControlServer(controlPath, (request) => handleControlRequest(running, request));
  await speaker?.start();
  const feed = speaker === undefined ? undefined : new RouteFeed(speaker);
  let assignments = first.assignments;
  const applied = feed?.apply(first.routes);
  log.info(
    {
      routerId: routerId ?? null,
      peers: first.peers.map((peer) => peer.address),
      announced: applied?.announced ?? [],
      control: control === undefined ? null : controlPath,
      layer2: layer2 === undefined ? null : { pools: layer2Pools, port: layer2Port },
      metrics: metricsListen ?? null,
    },
    'k8s-bridge standalone running',
  );

  // Re-read the cluster file when it changes: allocations are kept (fed back as the Services'
  // status, as the cluster would hold them), new ones made, and the routes applied as a difference.
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    try {
      state = parseClusterFile(readFileSync(servicesPath, 'utf8'), servicesPath);
    } catch (error) {
      log.error({ err: error }, 'the services file is invalid; keeping the previous state');
      return;
    }
    const next = computeRoutes(config, nodeName, state, assignments, log);
    assignments = next.assignments;
    announced = next.announced;
    const change = feed?.apply(next.routes) ?? { announced: [], withdrawn: [] };
    log.info(change, 'services file re-read');
    // A new memberlist Secret restarts the heartbeats with it (a no-op when it did not change).
    const selfIp = state.nodes.get(nodeName)?.internalIp;
    if (layer2 !== undefined && selfIp !== undefined) {
      layer2.start(selfIp, heartbeatKey()).then(applyLayer2, (error: unknown) => log.error({ err: (error as Error).message }, 'restarting the layer 2 heartbeats failed'));
    } else applyLayer2();
  };
  const watcher: FSWatcher = watch(dirname(servicesPath), (_event, file) => {
    if (file !== null && file.toString() !== basename(servicesPath)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, RELOAD_DEBOUNCE_MS);
  });

  return await new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      watcher.close();
      if (timer !== undefined) clearTimeout(timer);
      // Stop answering at once; the other speakers take the addresses over.
      layer2?.close({ leave: true });
      const done = () => {
        control?.close();
        metricsServer?.close();
        resolve(0);
      };
      setTimeout(done, 1800).unref();
      if (speaker === undefined) done();
      else void speaker.stop(`k8s-bridge stopped (${signal})`, { gracefulRestart: true }).finally(done);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

type Assignments = ReadonlyMap<string, { readonly ips: readonly string[]; readonly pool: string }>;

/** Allocates (keeping `previous` assignments first) and computes this node's BGP routes. */
function computeRoutes(config: BridgeConfig, nodeName: string, state: ClusterState, previous: Assignments, log: ReturnType<typeof createLogger>) {
  // What an earlier round assigned stands in the Services' status, as it would in a cluster, so
  // the allocator restores it before allocating anything new: no IP moves on a re-read.
  const services: ServiceSpec[] = state.services.map((service) => {
    const held = previous.get(`${service.namespace}/${service.name}`);
    if (held === undefined || service.status?.loadBalancer?.ingress !== undefined) return service;
    return {
      ...service,
      annotations: { ...service.annotations, 'metallb.io/ip-allocated-from-pool': held.pool },
      status: { loadBalancer: { ingress: held.ips.map((ip) => ({ ip })) } },
    };
  });
  const assignments = new Map<string, { ips: readonly string[]; pool: string }>();
  const announced: AnnouncedService[] = [];
  const byKey = new Map(state.services.map((service) => [`${service.namespace}/${service.name}`, service]));
  for (const entry of allocateAll(poolSpecs(config), services, allocatorOptions(config))) {
    const key = `${entry.namespace}/${entry.name}`;
    if ('error' in entry) {
      if (entry.error.reason !== 'not-ours') log.warn({ namespace: entry.namespace, name: entry.name, reason: entry.error.reason }, entry.error.message);
      continue;
    }
    if (previous.get(key)?.ips.join() !== entry.ips.join()) log.info({ namespace: entry.namespace, name: entry.name, ips: entry.ips, pool: entry.pool }, 'allocated');
    assignments.set(key, { ips: entry.ips, pool: entry.pool });
    const service = byKey.get(key);
    announced.push({
      namespace: entry.namespace,
      name: entry.name,
      labels: service?.labels ?? {},
      ips: entry.ips,
      pool: entry.pool,
      externalTrafficPolicy: service?.spec.externalTrafficPolicy ?? 'Cluster',
      readyEndpointNodes: state.readyEndpointNodes.get(key) ?? new Set(),
    });
  }
  const routes = bgpRoutesForNode(config, nodeName, state.nodes.get(nodeName), announced);
  if (routes.ineligible !== undefined) log.warn(`this node announces nothing: ${routes.ineligible}`);
  return { ...routes, assignments, announced };
}

async function firstIpv4Address(waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    for (const addresses of Object.values(networkInterfaces())) {
      const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
      if (found !== undefined) return found.address;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

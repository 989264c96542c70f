/**
 * `k8s-bridge standalone` as a lab participant: a "Kubernetes node" in a namespace of its own, fed
 * with a MetalLB configuration file and a cluster file (Services, EndpointSlices, Nodes, Secrets)
 * standing in for the API server. The driver writes both files, runs the process, rewrites the
 * cluster file as a cluster would change, and asks questions the way an operator does: through
 * the bgp-speaker CLI on the control socket and the JSON lines the bridge logs.
 *
 * Also here: builders for the cluster objects, and the e2e topology (FRR at 192.0.2.1 with two
 * nodes on one bridge).
 */
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { FrrRouter } from '../lab/frr.js';
import { Lab } from '../lab/netns.js';
import type { LabNode, Runner } from '../lab/netns.js';
import { pollUntil } from '../lab/proc.js';
import type { ManagedProcess } from '../lab/proc.js';
import type { LabRoute } from '../lab/router.js';
import { SPEAKER_BIN } from './speaker.js';
import type { NeighborJson, RouteJson } from './speaker.js';

/** The repository root: the folder with pnpm-workspace.yaml above this file (source or compiled). */
function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
  }
  throw new Error('cannot find the repository root (pnpm-workspace.yaml) above test/support');
}

const REPO = repositoryRoot();
export const BRIDGE_BIN = join(REPO, 'packages/k8s-bridge/bin/k8s-bridge.js');

/** fixtures/k8s-bridge/<name>. */
export function bridgeFixture(name: string): string {
  return join(REPO, 'fixtures/k8s-bridge', name);
}

// ---- cluster objects ------------------------------------------------------------------------

/** A Kubernetes object as written into the cluster file (plain JSON). */
export type KubeObject = Readonly<Record<string, unknown>>;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ServiceOptions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  readonly loadBalancerIP?: string;
  readonly port?: number;
}

/** A Service of type LoadBalancer selecting app=<name>. */
export function loadBalancerService(namespace: string, name: string, options: ServiceOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace,
      name,
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    },
    spec: {
      type: 'LoadBalancer',
      selector: { app: name },
      ports: [{ port: options.port ?? 80, protocol: 'TCP' }],
      externalTrafficPolicy: options.externalTrafficPolicy ?? 'Cluster',
      ...(options.loadBalancerIP === undefined ? {} : { loadBalancerIP: options.loadBalancerIP }),
    },
  };
}

export interface EndpointSpec {
  /** The pod's address (not announced; only where it runs matters). */
  readonly address: string;
  readonly nodeName: string;
  readonly ready?: boolean;
}

/** An EndpointSlice of a Service (discovery.k8s.io/v1), tied to it by kubernetes.io/service-name. */
export function endpointSlice(namespace: string, service: string, endpoints: readonly EndpointSpec[], port = 80): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${service}-e2e`, labels: { [SERVICE_NAME_LABEL]: service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.address], conditions: { ready: e.ready ?? true }, nodeName: e.nodeName })),
    ports: [{ port, protocol: 'TCP' }],
  };
}

export interface NodeOptions {
  readonly internalIp: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networkUnavailable?: boolean;
}

/** A Node: Ready, its InternalIP, NetworkUnavailable False unless asked. */
export function clusterNode(name: string, options: NodeOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...options.labels } },
    status: {
      addresses: [
        { type: 'InternalIP', address: options.internalIp },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        { type: 'NetworkUnavailable', status: options.networkUnavailable === true ? 'True' : 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };
}

/** The cluster file: one List. YAML is a superset of JSON, so it is written as JSON. */
export function clusterFileText(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}

// ---- what the bridge logs -----------------------------------------------------------------

/** One allocation line: {"namespace","name","ips","pool"} or {"namespace","name","error"}. */
export type AllocationLog =
  | { readonly namespace: string; readonly name: string; readonly ips: readonly string[]; readonly pool: string }
  | { readonly namespace: string; readonly name: string; readonly error: string };

/** Every JSON object among the lines (other lines are skipped). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
    } catch {
      // not JSON: a stray line
    }
  }
  return out;
}

/**
 * The allocation lines among the bridge's log lines, in order. A failed allocation is a line
 * naming the Service with an `error` (or `err`), or with a `reason` and the message in `msg`.
 */
export function allocationLogs(lines: readonly Record<string, unknown>[]): AllocationLog[] {
  const out: AllocationLog[] = [];
  for (const line of lines) {
    const { namespace, name, ips, pool } = line;
    if (typeof namespace !== 'string' || typeof name !== 'string') continue;
    if (Array.isArray(ips) && ips.every((ip) => typeof ip === 'string') && typeof pool === 'string') {
      out.push({ namespace, name, ips: ips as string[], pool });
      continue;
    }
    const error = line['error'] ?? line['err'] ?? (line['reason'] === undefined ? undefined : line['msg']);
    if (error !== undefined && error !== null) out.push({ namespace, name, error: errorText(error) });
  }
  return out;
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return JSON.stringify(error);
}

// ---- the process --------------------------------------------------------------------------

export interface BridgeOptions {
  /** The MetalLB configuration: a file used as it is (a fixture), or text written beside the cluster file. */
  readonly config: { readonly file: string } | { readonly text: string };
  /** The first content of the cluster file: objects, or YAML text. */
  readonly cluster: readonly KubeObject[] | string;
  /** --node-name: the Node object this process plays. */
  readonly nodeName: string;
  /** --router-id; absent: the bridge takes the Node's InternalIP (else an IPv4 address of the host). */
  readonly routerId?: string;
  /**
   * When start() returns: 'control' (default) once the control socket answers; 'log' once the
   * bridge has logged `k8s-bridge standalone running` (a pure layer 2 configuration has no BGP
   * speaker and so no control socket).
   */
  readonly ready?: 'control' | 'log';
  /** More command-line arguments, after the ones start() writes (e.g. --layer2-port, --metrics). */
  readonly extraArgs?: readonly string[];
}

/** The line `k8s-bridge standalone` logs once it has started. */
const STANDALONE_RUNNING = 'k8s-bridge standalone running';

export class BridgeProcess {
  private process: ManagedProcess | undefined;
  private dir = '';
  private configFile = '';
  private node = '';
  private generation = 0;

  constructor(private readonly runner: Runner) {}

  /** The configuration file the process reads. */
  get configPath(): string {
    return this.configFile;
  }

  /** The cluster file (--services) the process watches. */
  get clusterPath(): string {
    return join(this.dir, 'cluster.yaml');
  }

  get controlPath(): string {
    return join(this.dir, 'control.sock');
  }

  /** The Kubernetes node name it plays. */
  get nodeName(): string {
    return this.node;
  }

  async start(options: BridgeOptions): Promise<void> {
    if (this.process !== undefined) throw new Error(`k8s-bridge on ${this.node}: already started`);
    this.dir = await this.runner.tempDir('bridge');
    this.node = options.nodeName;
    if ('file' in options.config) {
      this.configFile = options.config.file;
    } else {
      this.configFile = join(this.dir, 'metallb.yaml');
      await writeFile(this.configFile, options.config.text, { mode: 0o600 });
    }
    await writeFile(this.clusterPath, clusterText(options.cluster));
    const args = [
      BRIDGE_BIN,
      'standalone',
      '--config', this.configFile,
      '--services', this.clusterPath,
      '--node-name', options.nodeName,
      '--control', this.controlPath,
      ...(options.routerId === undefined ? [] : ['--router-id', options.routerId]),
      ...(options.extraArgs ?? []),
    ];
    this.process = this.runner.spawn(`k8s-bridge:${options.nodeName}`, process.execPath, args);
    if (options.ready === 'log') {
      await pollUntil(
        async () => {
          this.assertRunning('while starting');
          return this.logLines().some((line) => line['msg'] === STANDALONE_RUNNING) ? true : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, onTimeout: () => `k8s-bridge on ${options.nodeName}: no "${STANDALONE_RUNNING}" line within 15 s\n${this.logs()}` },
      );
      return;
    }
    await pollUntil(
      async () => {
        this.assertRunning('while starting');
        return (await this.neighbors().catch(() => undefined)) === undefined ? undefined : true;
      },
      { timeoutMs: 15_000, intervalMs: 100, onTimeout: () => `k8s-bridge on ${options.nodeName}: no control socket within 15 s\n${this.logs()}` },
    );
  }

  /**
   * Replaces the cluster file as a tool that saves atomically does: a new file renamed over the
   * old one (`inPlace`: the same file truncated and written, as an editor may).
   */
  async writeCluster(cluster: readonly KubeObject[] | string, options: { inPlace?: boolean } = {}): Promise<void> {
    const text = clusterText(cluster);
    if (options.inPlace === true) {
      await writeFile(this.clusterPath, text);
      return;
    }
    this.generation += 1;
    const next = `${this.clusterPath}.${this.generation}.tmp`;
    await writeFile(next, text);
    await rename(next, this.clusterPath);
  }

  get running(): boolean {
    return this.process?.running === true;
  }

  /** SIGTERM (the bridge ends its sessions), SIGKILL after 3 s. */
  async stop(): Promise<void> {
    await this.process?.terminate('SIGTERM', 3000);
  }

  async kill(): Promise<void> {
    await this.process?.terminate('SIGKILL', 0);
  }

  /** Everything the bridge printed (JSON lines), the last 400 lines. */
  logs(): string {
    return this.process?.output().join('\n') ?? '';
  }

  logLines(): Record<string, unknown>[] {
    return jsonLines(this.logs());
  }

  /** The latest allocation logged for each Service ("namespace/name"). */
  allocations(): Map<string, AllocationLog> {
    const latest = new Map<string, AllocationLog>();
    for (const entry of allocationLogs(this.logLines())) latest.set(`${entry.namespace}/${entry.name}`, entry);
    return latest;
  }

  /** Waits until every named Service ("namespace/name") has an allocation (addresses, not an error) logged. */
  async waitAllocated(services: readonly string[], timeoutMs = 15_000): Promise<Map<string, { ips: readonly string[]; pool: string }>> {
    return pollUntil(
      async () => {
        this.assertRunning('waiting for allocations');
        const latest = this.allocations();
        const out = new Map<string, { ips: readonly string[]; pool: string }>();
        for (const key of services) {
          const entry = latest.get(key);
          if (entry === undefined || !('ips' in entry)) return undefined;
          out.set(key, { ips: entry.ips, pool: entry.pool });
        }
        return out;
      },
      {
        timeoutMs,
        onTimeout: () => `k8s-bridge on ${this.node}: not every one of ${services.join(', ')} allocated within ${timeoutMs} ms\n${this.logs()}`,
      },
    );
  }

  /** Runs the bgp-speaker CLI against the bridge's control socket. */
  async cli(args: readonly string[]): Promise<string> {
    const result = await this.runner.exec(process.execPath, [SPEAKER_BIN, ...args, '--control', this.controlPath]);
    return result.stdout;
  }

  async neighbors(): Promise<NeighborJson[]> {
    return JSON.parse(await this.cli(['neighbors', '--json'])) as NeighborJson[];
  }

  async neighbor(address: string): Promise<NeighborJson> {
    const found = (await this.neighbors()).find((n) => n.address === address);
    if (found === undefined) throw new Error(`k8s-bridge on ${this.node} has no neighbor ${address}\n${this.logs()}`);
    return found;
  }

  async waitEstablished(address: string, timeoutMs = 30_000): Promise<NeighborJson> {
    let last: NeighborJson | undefined;
    return pollUntil(
      async () => {
        this.assertRunning(`waiting for ${address}`);
        last = (await this.neighbors()).find((n) => n.address === address);
        return last?.state === 'Established' ? last : undefined;
      },
      {
        timeoutMs,
        onTimeout: () =>
          `k8s-bridge on ${this.node}: session with ${address} not Established within ${timeoutMs} ms (last: ${JSON.stringify(last)})\n${this.logs()}`,
      },
    );
  }

  /** What the bridge announces (`bgp-speaker routes --json`). */
  async advertisedRoutes(): Promise<RouteJson[]> {
    return JSON.parse(await this.cli(['routes', '--json'])) as RouteJson[];
  }

  private assertRunning(doing: string): void {
    const status = this.process?.exitStatus;
    if (this.process === undefined) throw new Error('the bridge was not started');
    if (status !== undefined) {
      throw new Error(`k8s-bridge on ${this.node} exited (code ${String(status.code)}, signal ${String(status.signal)}) ${doing}\n${this.logs()}`);
    }
  }
}

function clusterText(cluster: readonly KubeObject[] | string): string {
  return typeof cluster === 'string' ? cluster : clusterFileText(cluster);
}

// ---- addresses ------------------------------------------------------------------------------

function ipv4Number(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Whether an IPv4 address lies in a CIDR. */
export function inIpv4Cidr(address: string, cidr: string): boolean {
  const [base, lengthText] = cidr.split('/');
  const length = Number(lengthText);
  if (base === undefined || !Number.isInteger(length) || length < 0 || length > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  if (address.includes(':')) return false;
  const size = 2 ** (32 - length);
  return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(base) / size);
}

// ---- the e2e topology -----------------------------------------------------------------------

export const E2E = {
  router: { name: 'router', address: '192.0.2.1', asn: 64512 },
  /** Kubernetes node name, namespace name, address. */
  nodes: [
    { nodeName: 'node-a', ns: 'nodea', address: '192.0.2.101' },
    { nodeName: 'node-b', ns: 'nodeb', address: '192.0.2.102' },
  ],
  /** The seed's my_asn and password (fixtures/k8s-bridge/kubespray-bgp-password.yaml). */
  ourAsn: 4200000000,
  password: 'changeme',
} as const;

export interface BridgeCluster {
  readonly lab: Lab;
  readonly frr: FrrRouter;
  /** One bridge per node, in E2E.nodes order. */
  readonly bridges: readonly BridgeProcess[];
  readonly nodes: readonly LabNode[];
  /** Every bridge gets the same new cluster file. */
  writeCluster(cluster: readonly KubeObject[] | string, options?: { inPlace?: boolean }): Promise<void>;
  /** Every bridge's logs, labelled, for failure messages. */
  logs(): string;
}

/**
 * The seed's router (FRR, AS 64512, password changeme, multipath so it holds every node's path)
 * and two Kubernetes nodes on one L2 segment, each running `k8s-bridge standalone` with the same
 * configuration and cluster file. Waits until FRR has both sessions up. The lab is closed on
 * teardown, also on failure.
 */
export async function startBridgeCluster(
  t: Test,
  options: { config: BridgeOptions['config']; cluster: readonly KubeObject[] | string },
): Promise<BridgeCluster> {
  const lab = await Lab.create(t);
  const { nodes } = await lab.segmentOf([
    { name: E2E.router.name, addresses: [`${E2E.router.address}/24`] },
    ...E2E.nodes.map((n) => ({ name: n.ns, addresses: [`${n.address}/24`] })),
  ]);
  const [routerNode, ...nodeNamespaces] = nodes;
  if (routerNode === undefined) throw new Error('no router namespace');
  const frr = new FrrRouter();
  await frr.start({
    runner: routerNode,
    name: 'tor',
    asn: E2E.router.asn,
    routerId: E2E.router.address,
    multipath: true,
    families: ['ipv4'],
    neighbors: E2E.nodes.map((n) => ({ address: n.address, asn: E2E.ourAsn, password: E2E.password, holdTime: 30 })),
  });
  const bridges: BridgeProcess[] = [];
  const cluster: BridgeCluster = {
    lab,
    frr,
    bridges,
    nodes: nodeNamespaces,
    async writeCluster(text, writeOptions) {
      for (const bridge of bridges) await bridge.writeCluster(text, writeOptions);
    },
    logs() {
      return bridges.map((b, i) => `--- k8s-bridge on ${E2E.nodes[i]?.nodeName ?? i} ---\n${b.logs()}`).join('\n');
    },
  };
  t.teardown(async () => {
    for (const bridge of bridges) await bridge.kill();
  });
  for (const [index, spec] of E2E.nodes.entries()) {
    const ns = nodeNamespaces[index];
    if (ns === undefined) throw new Error(`no namespace for ${spec.nodeName}`);
    const bridge = new BridgeProcess(ns);
    bridges.push(bridge);
    await bridge.start({ config: options.config, cluster: options.cluster, nodeName: spec.nodeName });
  }
  for (const spec of E2E.nodes) await frr.waitEstablished(spec.address, 30_000);
  return cluster;
}

/** The two Node objects of the e2e topology. */
export function e2eNodes(): KubeObject[] {
  return E2E.nodes.map((n) => clusterNode(n.nodeName, { internalIp: n.address }));
}

/**
 * Waits until FRR holds, for `prefix`, exactly one path from each of `nextHops` (and no other),
 * and returns those paths. An empty list waits for the prefix to be gone.
 */
export async function waitPaths(frr: FrrRouter, prefix: string, nextHops: readonly string[], timeoutMs = 20_000, context: () => string = () => ''): Promise<LabRoute[]> {
  const wanted = [...nextHops].sort().join(',');
  let seen: LabRoute[] = [];
  let failure = '';
  return pollUntil(
    async () => {
      try {
        seen = (await frr.routes('ipv4')).filter((r) => r.prefix === prefix);
        failure = '';
      } catch (error) {
        // A vtysh query that fails once (FRR busy) is retried; the last failure is reported.
        failure = ` (last query failed: ${error instanceof Error ? error.message : String(error)})`;
        return undefined;
      }
      return seen.map((r) => r.nextHop).sort().join(',') === wanted ? seen : undefined;
    },
    {
      timeoutMs,
      onTimeout: () =>
        `FRR: wanted paths for ${prefix} via [${wanted}] within ${timeoutMs} ms, holds ${JSON.stringify(seen)}${failure}\n--- FRR ---\n${frr.logs().split('\n').slice(-30).join('\n')}\n${context()}`,
    },
  );
}

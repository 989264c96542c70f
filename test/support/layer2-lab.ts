/**
 * Layer 2 mode in network namespaces: Kubernetes "nodes" running `k8s-bridge standalone` and the
 * clients that look at them the way a host on the LAN does (arping, ndisc6, its neighbour table,
 * a packet capture). Used by test/e2e/layer2.test.ts and meant for the failover benchmark too, so
 * every piece is a plain exported function or class with no knowledge of tap.
 *
 * The topology: segment 1 (one bridge) holds the client and every node's eth0 (192.0.2.0/24,
 * 2001:db8::/64); segment 2 (a second bridge) holds client2 and every node's eth1
 * (198.51.100.0/24, 2001:db8:2::/64). With an L2Advertisement limited to eth0, segment 2 is where
 * a speaker must stay silent. The nodes never configure a Service address: their kernels would
 * answer ARP for it themselves and hide what the speaker does.
 *
 * What is measured here comes from the wire, never from the speaker's own account: the MAC in an
 * ARP reply or NA, the timestamp tcpdump put on a gratuitous ARP, the client kernel's neighbour
 * entry. The speakers' logs are only read to know when they have settled.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Lab, LabNode } from '../lab/netns.js';
import { pollUntil, run } from '../lab/proc.js';
import type { ManagedProcess } from '../lab/proc.js';
import { BridgeProcess, clusterNode, loadBalancerService } from './bridge.js';
import type { KubeObject, ServiceOptions } from './bridge.js';

// ---- addresses ------------------------------------------------------------------------------

/**
 * The canonical text of an address (RFC 5952 for IPv6: lower case, longest zero run as "::"),
 * so that addresses from logs, captures and tools compare equal. The URL parser does exactly this.
 */
export function canonicalIp(ip: string): string {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').map((part) => String(Number(part))).join('.');
  if (family === 6) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  throw new RangeError(`not an IP address: ${JSON.stringify(ip)}`);
}

/** A MAC address as `ip link` writes it: lower case, colon separated. */
export function canonicalMac(mac: string): string {
  const parts = mac.toLowerCase().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/.test(p))) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return parts.map((p) => p.padStart(2, '0')).join(':');
}

// ---- the owner election, computed independently ---------------------------------------------

/**
 * The nodes ranked for a Service, best first, by MetalLB's rule: sha256 of `${node}#${firstIp}`
 * as hex, lowest wins (speaker/layer2_controller.go). `firstIp` is the Service's first address
 * (the primary family's); both families of a dual-stack Service go to the same node. Written from
 * the definition, without the announcer's code, so a test using it checks the election.
 */
export function rankLayer2Nodes(firstIp: string, eligibleNodes: readonly string[]): string[] {
  const key = canonicalIp(firstIp);
  const rank = (node: string): string => createHash('sha256').update(`${node}#${key}`).digest('hex');
  return [...new Set(eligibleNodes)]
    .map((node) => ({ node, rank: rank(node) }))
    .sort((a, b) => (a.rank === b.rank ? (a.node < b.node ? -1 : 1) : a.rank < b.rank ? -1 : 1))
    .map((entry) => entry.node);
}

/** The node that should answer for a Service whose first address is `firstIp`. */
export function expectedLayer2Owner(firstIp: string, eligibleNodes: readonly string[]): string {
  const best = rankLayer2Nodes(firstIp, eligibleNodes)[0];
  if (best === undefined) throw new Error(`no eligible node for ${firstIp}`);
  return best;
}

// ---- topology -------------------------------------------------------------------------------

/** One L2 segment's prefixes. */
export interface SegmentPrefixes {
  readonly ipv4: string;
  readonly ipv6: string;
}

/** A host's addresses on one segment (without prefix length). */
export interface HostAddresses {
  readonly ipv4: string;
  readonly ipv6: string;
}

export const LAYER2_SEGMENTS = {
  /** The nodes' eth0 and the client: where Services are announced. */
  lan: { ipv4: '192.0.2.0/24', ipv6: '2001:db8::/64' },
  /** The nodes' eth1 and client2: an interface the L2Advertisement leaves out. */
  other: { ipv4: '198.51.100.0/24', ipv6: '2001:db8:2::/64' },
} as const satisfies Record<string, SegmentPrefixes>;

/** The client's and client2's addresses. */
export const LAYER2_CLIENTS = {
  client: { ipv4: '192.0.2.1', ipv6: '2001:db8::1' },
  client2: { ipv4: '198.51.100.1', ipv6: '2001:db8:2::1' },
} as const satisfies Record<string, HostAddresses>;

/** A Kubernetes node of the lab: its namespace and the addresses and MACs of its two interfaces. */
export interface Layer2Host {
  /** The Kubernetes node name, e.g. "node-a". */
  readonly nodeName: string;
  readonly node: LabNode;
  /** eth0, on the client's segment; its IPv4 address is the Node's InternalIP. */
  readonly eth0: HostAddresses & { readonly mac: string };
  /** eth1, on client2's segment (absent when the lab was built without it). */
  readonly eth1: (HostAddresses & { readonly mac: string }) | undefined;
}

export interface Layer2Topology {
  readonly lab: Lab;
  /** On segment 1, eth0: 192.0.2.1, 2001:db8::1. */
  readonly client: LabNode;
  /** On segment 2, eth0: 198.51.100.1, 2001:db8:2::1 (absent without segment 2). */
  readonly client2: LabNode | undefined;
  readonly hosts: readonly Layer2Host[];
  host(nodeName: string): Layer2Host;
  /** The host whose eth0 has this MAC, if any. */
  hostByMac(mac: string): Layer2Host | undefined;
}

export interface Layer2TopologyOptions {
  /** How many nodes (node-a, node-b, ...), 1 to 8; default 3. */
  readonly nodeCount?: number;
  /** Build segment 2 (client2 and the nodes' eth1); default true. */
  readonly secondSegment?: boolean;
}

const NODE_LETTERS = 'abcdefgh';

/** Node i (0-based): node-a at .11 / ::11 on both segments, node-b at .12, ... */
function nodeAddresses(index: number): { name: string; ns: string; lan: HostAddresses; other: HostAddresses } {
  const letter = NODE_LETTERS[index];
  if (letter === undefined) throw new RangeError(`at most ${NODE_LETTERS.length} nodes`);
  const host = 11 + index;
  return {
    name: `node-${letter}`,
    ns: `node${letter}`,
    lan: { ipv4: `192.0.2.${host}`, ipv6: `2001:db8::${host}` },
    other: { ipv4: `198.51.100.${host}`, ipv6: `2001:db8:2::${host}` },
  };
}

/** The MAC of one of a namespace's interfaces. */
export async function macOf(node: LabNode, iface = 'eth0'): Promise<string> {
  const out = await node.exec('cat', [`/sys/class/net/${iface}/address`]);
  return canonicalMac(out.stdout.trim());
}

/**
 * Builds the two segments: the client and every node's eth0 on one bridge, client2 and every
 * node's eth1 on another. client2 gets on-link routes to segment 1's prefixes, so that it can ask
 * for a Service address on its own wire (arping and the kernel need a route to pick a source).
 */
export async function buildLayer2Topology(lab: Lab, options: Layer2TopologyOptions = {}): Promise<Layer2Topology> {
  const count = options.nodeCount ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > NODE_LETTERS.length) throw new RangeError(`nodeCount must be 1..${NODE_LETTERS.length}`);
  const specs = Array.from({ length: count }, (_, i) => nodeAddresses(i));
  const client = await lab.node('client');
  const nodes: LabNode[] = [];
  for (const spec of specs) nodes.push(await lab.node(spec.ns));
  const withPrefix = (a: HostAddresses, lengths: [number, number]): string[] => [`${a.ipv4}/${lengths[0]}`, `${a.ipv6}/${lengths[1]}`];
  await lab.segment([
    { node: client, addresses: withPrefix(LAYER2_CLIENTS.client, [24, 64]) },
    ...specs.map((spec, i) => ({ node: nodes[i] as LabNode, addresses: withPrefix(spec.lan, [24, 64]) })),
  ]);
  let client2: LabNode | undefined;
  if (options.secondSegment !== false) {
    client2 = await lab.node('client2');
    await lab.segment([
      { node: client2, addresses: withPrefix(LAYER2_CLIENTS.client2, [24, 64]) },
      ...specs.map((spec, i) => ({ node: nodes[i] as LabNode, addresses: withPrefix(spec.other, [24, 64]) })),
    ]);
    await run('ip', ['-n', client2.ns, 'route', 'add', LAYER2_SEGMENTS.lan.ipv4, 'dev', 'eth0']);
    await run('ip', ['-n', client2.ns, '-6', 'route', 'add', LAYER2_SEGMENTS.lan.ipv6, 'dev', 'eth0']);
  }
  const hosts: Layer2Host[] = [];
  for (const [i, spec] of specs.entries()) {
    const node = nodes[i] as LabNode;
    hosts.push({
      nodeName: spec.name,
      node,
      eth0: { ...spec.lan, mac: await macOf(node, 'eth0') },
      eth1: client2 === undefined ? undefined : { ...spec.other, mac: await macOf(node, 'eth1') },
    });
  }
  return {
    lab,
    client,
    client2,
    hosts,
    host(nodeName: string): Layer2Host {
      const found = hosts.find((h) => h.nodeName === nodeName);
      if (found === undefined) throw new Error(`no node ${nodeName} in the layer 2 lab`);
      return found;
    },
    hostByMac(mac: string): Layer2Host | undefined {
      const wanted = canonicalMac(mac);
      return hosts.find((h) => h.eth0.mac === wanted);
    },
  };
}

// ---- configuration and cluster objects -------------------------------------------------------

export interface Layer2ConfigOptions {
  /** The IPAddressPool's name; default "lan". */
  readonly pool?: string;
  /** The pool's addresses: CIDRs or "first-last" ranges. */
  readonly addresses: readonly string[];
  /** The L2Advertisement's `interfaces`; absent: every eligible interface. */
  readonly interfaces?: readonly string[];
}

/** MetalLB CRDs: one IPAddressPool and one L2Advertisement for it (YAML text). */
export function layer2CrdConfig(options: Layer2ConfigOptions): string {
  const pool = options.pool ?? 'lan';
  const lines = [
    'apiVersion: metallb.io/v1beta1',
    'kind: IPAddressPool',
    'metadata:',
    `  name: ${pool}`,
    '  namespace: metallb-system',
    'spec:',
    '  addresses:',
    ...options.addresses.map((a) => `    - ${JSON.stringify(a)}`),
    '---',
    'apiVersion: metallb.io/v1beta1',
    'kind: L2Advertisement',
    'metadata:',
    `  name: ${pool}`,
    '  namespace: metallb-system',
    'spec:',
    `  ipAddressPools: [${pool}]`,
    ...(options.interfaces === undefined ? [] : [`  interfaces: [${options.interfaces.join(', ')}]`]),
  ];
  return `${lines.join('\n')}\n`;
}

/** The Node objects: Ready, InternalIP = the host's eth0 IPv4 address (where heartbeats go). */
export function layer2ClusterNodes(hosts: readonly Layer2Host[]): KubeObject[] {
  return hosts.map((h) => clusterNode(h.nodeName, { internalIp: h.eth0.ipv4 }));
}

/** Which addresses a Service asks for: one IPv4, one IPv6, or both (RequireDualStack, IPv4 first). */
export type ServiceFamilies = 'IPv4' | 'IPv6' | 'dual';

/** A LoadBalancer Service (externalTrafficPolicy Cluster unless asked) with its ipFamilyPolicy and ipFamilies set. */
export function layer2Service(namespace: string, name: string, families: ServiceFamilies, options: ServiceOptions = {}): KubeObject {
  const base = loadBalancerService(namespace, name, options);
  const spec = base['spec'] as Readonly<Record<string, unknown>>;
  return {
    ...base,
    spec: {
      ...spec,
      ipFamilyPolicy: families === 'dual' ? 'RequireDualStack' : 'SingleStack',
      ipFamilies: families === 'dual' ? ['IPv4', 'IPv6'] : [families],
    },
  };
}

// ---- the speakers ----------------------------------------------------------------------------

/** `k8s-bridge standalone` on one host of the lab. */
export interface Layer2Speaker {
  readonly host: Layer2Host;
  readonly bridge: BridgeProcess;
}

export interface Layer2SpeakerOptions {
  /** The MetalLB configuration text (e.g. layer2CrdConfig(...)). */
  readonly config: string;
  /** The cluster file's objects: Nodes, Services, EndpointSlices. */
  readonly cluster: readonly KubeObject[];
  /** More arguments for the host (e.g. ['--metrics', '127.0.0.1:7472']). */
  readonly extraArgs?: (host: Layer2Host) => readonly string[];
}

/** Starts one speaker; resolves once it has logged that it runs (a layer 2 bridge has no control socket). */
export async function startLayer2Speaker(host: Layer2Host, options: Layer2SpeakerOptions): Promise<Layer2Speaker> {
  const bridge = new BridgeProcess(host.node);
  await bridge.start({
    config: { text: options.config },
    cluster: options.cluster,
    nodeName: host.nodeName,
    ready: 'log',
    extraArgs: options.extraArgs?.(host) ?? [],
  });
  return { host, bridge };
}

/** Starts a speaker on every host at once. The lab kills them on close. */
export async function startLayer2Speakers(hosts: readonly Layer2Host[], options: Layer2SpeakerOptions): Promise<Layer2Speaker[]> {
  return Promise.all(hosts.map((host) => startLayer2Speaker(host, options)));
}

/** What a speaker's log says about its layer 2 state, folded over the lines it still keeps. */
export interface Layer2LogView {
  /** The last `layer 2 members changed` list (sorted), or undefined before the first. */
  readonly alive: readonly string[] | undefined;
  /** The addresses it answers for: `owned` minus `released`, over every `layer 2 addresses changed` line. */
  readonly owned: ReadonlySet<string>;
}

const MEMBERS_CHANGED = 'layer 2 members changed';
const ADDRESSES_CHANGED = 'layer 2 addresses changed';

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Folds the speaker's log lines into its current view. The BridgeProcess keeps only the last 400
 * lines: enough for this test's speakers (a few dozen lines each), but a speaker kept running
 * through many failovers may lose its early `owned` lines, so a long benchmark should start fresh
 * speakers (or read the wire) rather than trust this view.
 */
export function layer2LogView(lines: readonly Record<string, unknown>[]): Layer2LogView {
  let alive: string[] | undefined;
  const owned = new Set<string>();
  for (const line of lines) {
    if (line['msg'] === MEMBERS_CHANGED) alive = stringList(line['alive']).sort();
    if (line['msg'] === ADDRESSES_CHANGED) {
      for (const ip of stringList(line['released'])) owned.delete(canonicalIp(ip));
      for (const ip of stringList(line['owned'])) owned.add(canonicalIp(ip));
    }
  }
  return { alive, owned };
}

/**
 * Waits until the running speakers agree: each sees exactly the running nodes alive, and each
 * address of `owners` is held by its node and by no other. Returns when that first held.
 */
export async function waitLayer2Settled(
  speakers: readonly Layer2Speaker[],
  owners: ReadonlyMap<string, string>,
  timeoutMs = 10_000,
): Promise<void> {
  const running = speakers.filter((s) => s.bridge.running);
  const names = running.map((s) => s.host.nodeName).sort();
  const problems = (): string[] => {
    const out: string[] = [];
    for (const speaker of running) {
      const view = layer2LogView(speaker.bridge.logLines());
      const who = speaker.host.nodeName;
      if (view.alive?.join(',') !== names.join(',')) out.push(`${who} sees alive [${view.alive?.join(', ') ?? 'nothing yet'}], not [${names.join(', ')}]`);
      for (const [ip, owner] of owners) {
        const holds = view.owned.has(canonicalIp(ip));
        if (who === owner && !holds) out.push(`${who} does not hold ${ip}`);
        if (who !== owner && holds) out.push(`${who} holds ${ip}, which is ${owner}'s`);
      }
    }
    return out;
  };
  await pollUntil(async () => {
    const gone = running.find((s) => !s.bridge.running);
    if (gone !== undefined) throw new Error(`k8s-bridge on ${gone.host.nodeName} exited while settling\n${gone.bridge.logs()}`);
    return problems().length === 0 ? true : undefined;
  }, {
    timeoutMs,
    intervalMs: 50,
    onTimeout: () => `layer 2 speakers did not settle within ${timeoutMs} ms: ${problems().join('; ')}\n${layer2Logs(speakers)}`,
  });
}

/** Every speaker's log, labelled, for failure messages. */
export function layer2Logs(speakers: readonly Layer2Speaker[]): string {
  return speakers.map((s) => `--- k8s-bridge on ${s.host.nodeName} ---\n${s.bridge.logs()}`).join('\n');
}

// ---- arping (iputils) ------------------------------------------------------------------------

export interface ArpingReply {
  /** The address that answered (the sender IP of the reply). */
  readonly ip: string;
  readonly mac: string;
  /** "Unicast" (an answer to our request) or "Broadcast" (e.g. a gratuitous ARP reply). */
  readonly kind: 'Unicast' | 'Broadcast';
}

export interface ArpingResult {
  /** "Sent N probes": how many requests went out. */
  readonly sent: number;
  /** "Received N response(s)". */
  readonly received: number;
  /** Every reply line, in order. */
  readonly replies: readonly ArpingReply[];
  readonly output: string;
}

/** Parses iputils arping's output ("Unicast reply from IP [MAC]  0.5ms", "Sent 3 probes", "Received 3 response(s)"). */
export function parseArping(output: string): ArpingResult {
  const replies: ArpingReply[] = [];
  for (const m of output.matchAll(/^(Unicast|Broadcast) reply from (\S+) \[([0-9A-Fa-f:]+)\]/gm)) {
    replies.push({ kind: m[1] as 'Unicast' | 'Broadcast', ip: canonicalIp(m[2] ?? ''), mac: canonicalMac(m[3] ?? '') });
  }
  const sent = /^Sent (\d+) probes?/m.exec(output);
  const received = /^Received (\d+) response/m.exec(output);
  if (sent === null || received === null) throw new Error(`not arping output:\n${output}`);
  return { sent: Number(sent[1]), received: Number(received[1]), replies, output };
}

export interface ArpingOptions {
  readonly iface?: string;
  /** Requests to send, 1 s apart (iputils takes whole seconds); default 3. */
  readonly count?: number;
  /** Give up after this many seconds; default count + 1. */
  readonly deadlineS?: number;
}

/**
 * Runs `arping -c COUNT -w DEADLINE -I IFACE IP` in the namespace. arping stops as soon as it has
 * COUNT replies, so one request answered twice shows as received > sent (or two MACs).
 */
export async function arping(node: LabNode, ip: string, options: ArpingOptions = {}): Promise<ArpingResult> {
  const count = options.count ?? 3;
  const deadline = options.deadlineS ?? count + 1;
  const out = await node.exec('arping', ['-c', String(count), '-w', String(deadline), '-I', options.iface ?? 'eth0', ip], {
    allowFailure: true,
    timeoutMs: (deadline + 5) * 1000,
  });
  return parseArping(out.stdout);
}

// ---- ndisc6 ----------------------------------------------------------------------------------

export interface NdiscAnswer {
  /** The target link-layer address in the Neighbor Advertisement. */
  readonly mac: string;
  /** The NA's source address. */
  readonly from: string;
}

/** Parses ndisc6's verbose output: "Target link-layer address: MAC" then " from IP", per answer. */
export function parseNdisc6(output: string): NdiscAnswer[] {
  return [...output.matchAll(/Target link-layer address: ([0-9A-Fa-f:]+)\s*\n\s*from (\S+)/g)].map((m) => ({
    mac: canonicalMac(m[1] ?? ''),
    from: canonicalIp(m[2] ?? ''),
  }));
}

/**
 * One Neighbor Solicitation (`ndisc6 -m -n -r 1 -w WAIT IP IFACE`) and every Neighbor
 * Advertisement that came back within the wait (-m: all of them, so a second answerer shows).
 */
export async function ndisc6(node: LabNode, ip: string, options: { iface?: string; waitMs?: number } = {}): Promise<{ answers: NdiscAnswer[]; output: string }> {
  const waitMs = options.waitMs ?? 1500;
  const out = await node.exec('ndisc6', ['-m', '-n', '-r', '1', '-w', String(waitMs), ip, options.iface ?? 'eth0'], {
    allowFailure: true,
    timeoutMs: waitMs + 5000,
  });
  return { answers: parseNdisc6(out.stdout), output: `${out.stdout}${out.stderr}` };
}

// ---- the neighbour table ---------------------------------------------------------------------

export interface NeighbourEntry {
  readonly ip: string;
  /** The lladdr, or undefined (INCOMPLETE, FAILED). */
  readonly mac: string | undefined;
  /** REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, ... */
  readonly state: string;
}

/** Parses one line of `ip neigh show IP dev IFACE` ("192.0.2.200 lladdr aa:.. REACHABLE"). */
export function parseNeighbour(line: string): NeighbourEntry | undefined {
  const m = /^(\S+)(?:\s+lladdr\s+(\S+))?(?:\s+router)?(?:\s+proxy)?\s+([A-Z_]+)\s*$/.exec(line.trim());
  if (m === null) return undefined;
  return { ip: canonicalIp(m[1] ?? ''), mac: m[2] === undefined ? undefined : canonicalMac(m[2]), state: m[3] ?? '' };
}

/** The namespace kernel's neighbour entry for `ip` on `iface`, or undefined when it has none. */
export async function neighbourEntry(node: LabNode, ip: string, iface = 'eth0'): Promise<NeighbourEntry | undefined> {
  const out = await run('ip', ['-n', node.ns, 'neigh', 'show', ip, 'dev', iface]);
  const line = out.stdout.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? undefined : parseNeighbour(line);
}

/**
 * Makes the namespace's kernel resolve `ip`: one UDP datagram to the discard port through bash's
 * /dev/udp (no ping in the lab image). Its fate does not matter, only the ARP / NS it causes.
 */
export async function resolveNeighbour(node: LabNode, ip: string): Promise<void> {
  if (isIP(ip) === 0) throw new RangeError(`not an IP address: ${JSON.stringify(ip)}`);
  await node.exec('bash', ['-c', `echo resolve > /dev/udp/${ip}/9`], { allowFailure: true, timeoutMs: 5000 });
}

/** Polls the neighbour entry until its lladdr is `mac`; returns it. */
export async function waitNeighbourMac(node: LabNode, ip: string, mac: string, timeoutMs = 3000, iface = 'eth0'): Promise<NeighbourEntry> {
  let last: NeighbourEntry | undefined;
  const wanted = canonicalMac(mac);
  return pollUntil(
    async () => {
      last = await neighbourEntry(node, ip, iface);
      return last?.mac === wanted ? last : undefined;
    },
    { timeoutMs, intervalMs: 20, onTimeout: () => `${node.name}: neighbour entry for ${ip} is ${JSON.stringify(last)}, not ${wanted} after ${timeoutMs} ms` },
  );
}

// ---- capturing announcements (tcpdump -xx) --------------------------------------------------

/** An ARP packet as captured. */
export interface CapturedArp {
  readonly kind: 'arp';
  /** The capture timestamp, ms since the epoch (tcpdump -tt, microsecond resolution). */
  readonly timeMs: number;
  readonly ethSource: string;
  readonly ethDestination: string;
  readonly operation: 'request' | 'reply';
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

/** A Neighbor Advertisement as captured (RFC 4861 section 4.4). */
export interface CapturedAdvert {
  readonly kind: 'na';
  readonly timeMs: number;
  readonly ethSource: string;
  readonly ethDestination: string;
  readonly ipSource: string;
  readonly ipDestination: string;
  readonly target: string;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  /** The Target Link-Layer Address option, if present. */
  readonly targetLinkAddress: string | undefined;
}

export type CapturedAnnouncement = CapturedArp | CapturedAdvert;

/** A gratuitous ARP for `ip`: sender and target IP both `ip` (request or reply). */
export function isGratuitousArpFor(ip: string): (p: CapturedAnnouncement) => p is CapturedArp {
  const wanted = canonicalIp(ip);
  return (p): p is CapturedArp => p.kind === 'arp' && p.senderIp === wanted && p.targetIp === wanted;
}

/** An unsolicited Neighbor Advertisement for `ip` with the override flag (what a new owner sends). */
export function isUnsolicitedAdvertFor(ip: string): (p: CapturedAnnouncement) => p is CapturedAdvert {
  const wanted = canonicalIp(ip);
  return (p): p is CapturedAdvert => p.kind === 'na' && p.target === wanted && !p.solicited && p.override;
}

function macAt(bytes: Buffer, offset: number): string {
  return [...bytes.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function ipv4At(bytes: Buffer, offset: number): string {
  return [...bytes.subarray(offset, offset + 4)].join('.');
}

function ipv6At(bytes: Buffer, offset: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(offset + i).toString(16));
  return canonicalIp(groups.join(':'));
}

const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const IPPROTO_ICMPV6 = 58;
const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const NDP_OPTION_TARGET_LINK_ADDRESS = 2;

/** Decodes an Ethernet frame into an ARP packet or an NA; anything else is undefined. */
export function decodeAnnouncement(frame: Buffer, timeMs: number): CapturedAnnouncement | undefined {
  if (frame.length < 14) return undefined;
  const ethDestination = macAt(frame, 0);
  const ethSource = macAt(frame, 6);
  const etherType = frame.readUInt16BE(12);
  if (etherType === ETHERTYPE_ARP && frame.length >= 14 + 28) {
    // RFC 826 for Ethernet/IPv4: htype 1, ptype 0x0800, hlen 6, plen 4, then op, sha, spa, tha, tpa.
    if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== 0x0800 || frame[18] !== 6 || frame[19] !== 4) return undefined;
    const op = frame.readUInt16BE(20);
    if (op !== 1 && op !== 2) return undefined;
    return {
      kind: 'arp',
      timeMs,
      ethSource,
      ethDestination,
      operation: op === 1 ? 'request' : 'reply',
      senderMac: macAt(frame, 22),
      senderIp: ipv4At(frame, 28),
      targetMac: macAt(frame, 32),
      targetIp: ipv4At(frame, 38),
    };
  }
  const icmp = 14 + 40;
  if (etherType === ETHERTYPE_IPV6 && frame.length >= icmp + 24 && frame[14 + 6] === IPPROTO_ICMPV6 && frame[icmp] === ICMPV6_NEIGHBOR_ADVERTISEMENT) {
    const flags = frame[icmp + 4] ?? 0;
    let targetLinkAddress: string | undefined;
    // Options (RFC 4861 section 4.6): type, length in units of 8 octets, value.
    for (let at = icmp + 24; at + 2 <= frame.length; ) {
      const type = frame[at] ?? 0;
      const length = (frame[at + 1] ?? 0) * 8;
      if (length === 0 || at + length > frame.length) break;
      if (type === NDP_OPTION_TARGET_LINK_ADDRESS && length >= 8) targetLinkAddress = macAt(frame, at + 2);
      at += length;
    }
    return {
      kind: 'na',
      timeMs,
      ethSource,
      ethDestination,
      ipSource: ipv6At(frame, 14 + 8),
      ipDestination: ipv6At(frame, 14 + 24),
      target: ipv6At(frame, icmp + 8),
      router: (flags & 0x80) !== 0,
      solicited: (flags & 0x40) !== 0,
      override: (flags & 0x20) !== 0,
      targetLinkAddress,
    };
  }
  return undefined;
}

/**
 * Reads `tcpdump -l -n -e -tt -xx` output chunk by chunk: a header line starting with the epoch
 * timestamp ("1700000000.123456 aa:.. > ff:.., ethertype ARP (0x0806), length 42: ...") and hex
 * lines ("\t0x0000:  ffff ffff ..."). A frame is decoded once its `length` bytes are in (or at the
 * next header, if tcpdump printed fewer).
 */
export class TcpdumpHexReader {
  private partial = '';
  private current: { timeMs: number; length: number; hex: string[] } | undefined;

  constructor(private readonly onFrame: (frame: Buffer, timeMs: number) => void) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** Decodes what is pending (at the end of the capture). */
  flush(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    this.finish();
  }

  private line(line: string): void {
    const header = /^(\d+)\.(\d{6}) .*?, length (\d+)/.exec(line);
    if (header !== null) {
      this.finish();
      this.current = { timeMs: Number(header[1]) * 1000 + Number(header[2]) / 1000, length: Number(header[3]), hex: [] };
      return;
    }
    const hex = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (hex === null || this.current === undefined) return;
    this.current.hex.push((hex[1] ?? '').replace(/\s+/g, ''));
    if (this.current.hex.join('').length / 2 >= this.current.length) this.finish();
  }

  private finish(): void {
    const frame = this.current;
    this.current = undefined;
    if (frame === undefined || frame.hex.length === 0) return;
    this.onFrame(Buffer.from(frame.hex.join(''), 'hex'), frame.timeMs);
  }
}

/**
 * A capture of ARP and Neighbor Advertisements on a namespace's interface, for as long as the
 * lab lives (or until stop()). Start it before the event to observe; start() returns once
 * tcpdump says it is listening.
 */
export class AnnouncementCapture {
  private readonly seen: CapturedAnnouncement[] = [];
  private readonly reader = new TcpdumpHexReader((frame, timeMs) => {
    const decoded = decodeAnnouncement(frame, timeMs);
    if (decoded !== undefined) this.seen.push(decoded);
  });

  private constructor(readonly process: ManagedProcess) {
    process.child.stdout?.on('data', (chunk: string) => this.reader.push(chunk));
  }

  /** tcpdump -l -n -e -tt -xx -i IFACE 'arp or (icmp6 and ip6[40] == 136)' inside the namespace. */
  static async start(node: LabNode, iface = 'eth0', timeoutMs = 5000): Promise<AnnouncementCapture> {
    const proc = node.spawn(`tcpdump:${node.name}:${iface}`, 'tcpdump', [
      '-l', '-n', '-e', '-tt', '-xx', '-i', iface, 'arp or (icmp6 and ip6[40] == 136)',
    ]);
    const capture = new AnnouncementCapture(proc);
    // ManagedProcess keeps stderr lines too; "listening on" means the filter is in place.
    await pollUntil(
      async () => {
        if (!proc.running) throw new Error(`tcpdump in ${node.name} exited: ${proc.output().join('\n')}`);
        return proc.output().some((l) => l.includes('listening on')) ? true : undefined;
      },
      { timeoutMs, intervalMs: 20, onTimeout: () => `tcpdump in ${node.name} not listening within ${timeoutMs} ms: ${proc.output().join('\n')}` },
    );
    return capture;
  }

  /** Everything decoded so far, in capture order. */
  get packets(): readonly CapturedAnnouncement[] {
    return this.seen;
  }

  /** The first captured packet matching `predicate` (earlier ones count too). */
  async waitFor<T extends CapturedAnnouncement>(predicate: (p: CapturedAnnouncement) => p is T, timeoutMs: number, what = 'a matching packet'): Promise<T> {
    return pollUntil(
      async () => {
        const found = this.seen.find(predicate);
        if (found !== undefined) return found;
        if (!this.process.running) throw new Error(`tcpdump exited while waiting for ${what}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 10, onTimeout: () => `no ${what} captured within ${timeoutMs} ms (${this.seen.length} packets seen)` },
    );
  }

  async stop(): Promise<void> {
    await this.process.terminate('SIGTERM', 1000);
    this.reader.flush();
  }
}

// ---- metrics ---------------------------------------------------------------------------------

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition (samples only; comments skipped). */
export function parsePrometheus(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

/** GETs http://ADDRESS/metrics from inside the namespace (curl) and parses it. */
export async function scrapeMetrics(node: LabNode, address: string): Promise<MetricSample[]> {
  const out = await node.exec('curl', ['-sS', '--max-time', '3', `http://${address}/metrics`], { timeoutMs: 6000 });
  return parsePrometheus(out.stdout);
}

/** The value of `name{ip="IP"}` (summed over other labels), 0 when absent. */
export function metricForIp(samples: readonly MetricSample[], name: string, ip: string): number {
  const wanted = canonicalIp(ip);
  return samples
    .filter((s) => s.name === name && s.labels['ip'] !== undefined && canonicalIp(s.labels['ip']) === wanted)
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * One node's Layer 2 mode: the heartbeat membership with the other nodes' speakers (l2-announcer's
 * Liveness, on each Node's InternalIP) and the ARP/NDP announcer, driven by the claims the caller
 * computes (layer2ClaimsForNode over `alive()`).
 *
 * The caller recomputes and calls apply() whenever its inputs change and whenever `onMembership`
 * fires: a peer appearing or dying, and once when the membership has settled. Before it has
 * settled (deadAfterMs after a start or restart: every live peer has had time to be heard),
 * apply() changes nothing: a node that claimed on a partial view would answer for addresses
 * another node owns, and one that released on it would leave them unanswered.
 *
 * Failover is therefore deadAfterMs (400 ms by default) plus one recomputation plus the first
 * gratuitous ARP / unsolicited NA, which the announcer sends at once.
 */
import { isIP } from 'node:net';
import { Layer2Announcer, Liveness, listLinks, systemClock } from '@metallb-ts/l2-announcer';
import type { Layer2AnnouncerOptions, Layer2Stats, LinkInfo, LivenessEndpoint, LivenessOptions, LivenessStats, TimerHandle } from '@metallb-ts/l2-announcer';
import type { Logger } from 'pino';
import type { Layer2Claim } from '../announce/layer2-claims.js';
import type { NodeState } from '../announce/bgp-routes.js';
import type { BridgeConfig } from '../config/model.js';
import { interfacesForClaim, planInterfaces } from './interface-plan.js';
import type { InterfacePlan } from './interface-plan.js';

/** memberlist's port, which MetalLB's speakers use for the same purpose. */
export const DEFAULT_LAYER2_PORT = 7946;
/**
 * The Secret MetalLB's install keeps in its namespace to encrypt memberlist, key "secretkey":
 * `metallb-memberlist` since MetalLB 0.13 (its Helm chart and manifests), `memberlist` before
 * (`kubectl create secret generic -n metallb-system memberlist --from-literal=secretkey=...`).
 * We sign the heartbeats with the first one found (HMAC-SHA256, l2-announcer's heartbeat.ts).
 */
export const MEMBERLIST_SECRET = { names: ['metallb-memberlist', 'memberlist'], key: 'secretkey' } as const;

/**
 * The heartbeat key: the "secretkey" of the first memberlist Secret that has one, or undefined.
 * `secretData` looks a Secret of MetalLB's namespace up by name.
 */
export function heartbeatKeyFrom(secretData: (name: string) => Readonly<Record<string, string>> | undefined): Buffer | undefined {
  for (const name of MEMBERLIST_SECRET.names) {
    const value = secretData(name)?.[MEMBERLIST_SECRET.key];
    if (value !== undefined && value !== '') return Buffer.from(value, 'utf8');
  }
  return undefined;
}

/** Interfaces come and go (a VLAN added, a bond brought up): re-read them this often, as MetalLB does. */
export const INTERFACE_RESCAN_MS = 10_000;

/** The part of Layer2Announcer used here (tests pass a fake). */
export type Announcer = Pick<Layer2Announcer, 'own' | 'disown' | 'close' | 'addresses' | 'interfacesOf' | 'addressStats'>;

export interface Layer2NodeOptions {
  readonly nodeName: string;
  /** UDP port of the heartbeats, the same on every node. Default DEFAULT_LAYER2_PORT. */
  readonly port?: number;
  readonly logger: Logger;
  /** Called when the set of live speakers changes, and once when the membership has settled. */
  readonly onMembership: () => void;
  /** Tests: heartbeat timing, clock and socket. */
  readonly liveness?: Pick<LivenessOptions, 'intervalMs' | 'deadAfterMs' | 'clock' | 'socketFactory'>;
  /** Tests: the links instead of sysfs, and an announcer factory instead of raw sockets. */
  readonly listLinks?: () => readonly LinkInfo[];
  readonly createAnnouncer?: (options: Layer2AnnouncerOptions) => Announcer;
  /** Default INTERFACE_RESCAN_MS. */
  readonly interfaceRescanMs?: number;
}

export interface Layer2Change {
  readonly owned: readonly string[];
  readonly released: readonly string[];
}

const NO_CHANGE: Layer2Change = { owned: [], released: [] };

export class Layer2Node {
  private readonly log: Logger;
  private readonly port: number;
  private liveness: Liveness | undefined;
  private selfAddress: string | undefined;
  private key: Buffer | undefined;
  private peers: LivenessEndpoint[] = [];
  private announcer: Announcer | undefined;
  private plan: InterfacePlan | undefined;
  /** Counters of announcers closed since (a replaced announcer's counts must not vanish). */
  private readonly retiredStats = new Map<string, Layer2Stats>();
  private settleTimer: TimerHandle | undefined;
  private readonly warned = new Set<string>();
  private closed = false;
  /** The node's interfaces as last read from sysfs: read once, then again by each rescan. */
  private links: readonly LinkInfo[] | undefined;
  /** The last apply()'s arguments, re-applied by the interface rescan. */
  private lastApplied: Parameters<Layer2Node['apply']> | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: Layer2NodeOptions) {
    this.log = options.logger;
    this.port = options.port ?? DEFAULT_LAYER2_PORT;
  }

  /**
   * Starts the heartbeats from `address` (this Node's InternalIP), signed with `key` when given.
   * Rejects when the socket cannot be bound (the address is not on this host, the port is taken).
   * Calling it again with another address or key restarts the membership with them.
   */
  async start(address: string, key?: Buffer): Promise<void> {
    if (this.closed) throw new Error('the layer 2 node is closed');
    if (isIP(address) === 0) throw new RangeError(`layer 2 heartbeat address is not an IP: ${address}`);
    const sameKey = key === undefined ? this.key === undefined : this.key !== undefined && key.equals(this.key);
    if (this.liveness !== undefined && this.selfAddress === address && sameKey) return;
    this.stopLiveness();
    const liveness = new Liveness({
      self: { name: this.options.nodeName, address, port: this.port },
      peers: () => this.peers,
      ...this.options.liveness,
      ...(key === undefined ? {} : { key }),
    });
    liveness.onChange((alive) => {
      this.log.info({ alive }, 'layer 2 members changed');
      this.options.onMembership();
    });
    try {
      await liveness.start();
    } catch (error) {
      throw new Error(`layer 2 heartbeat cannot listen on ${address}:${this.port}: ${(error as Error).message}`, { cause: error });
    }
    this.liveness = liveness;
    this.selfAddress = address;
    this.key = key;
    // Never the key itself: only whether there is one.
    if (key === undefined) {
      this.warnOnce(`layer 2 heartbeats are not authenticated: no Secret ${MEMBERLIST_SECRET.names.join(' or ')} with a "${MEMBERLIST_SECRET.key}" key (MetalLB's install creates one)`);
    } else {
      this.log.info('layer 2 heartbeats are signed with the memberlist Secret');
    }
    const deadAfterMs = this.options.liveness?.deadAfterMs ?? 400;
    // Settled is a matter of time passing: tell the caller when it has, so it claims at once.
    const clock = this.options.liveness?.clock ?? systemClock;
    this.settleTimer = clock.setTimer(deadAfterMs, () => {
      this.settleTimer = undefined;
      this.log.info({ alive: liveness.alive() }, 'layer 2 membership settled');
      this.options.onMembership();
    });
  }

  get started(): boolean {
    return this.liveness !== undefined;
  }

  /** The heartbeat peers: every other Node with an InternalIP of our address family. */
  setNodes(nodes: Iterable<NodeState>): void {
    const family = this.selfAddress === undefined ? 0 : isIP(this.selfAddress);
    const peers: LivenessEndpoint[] = [];
    for (const node of nodes) {
      if (node.name === this.options.nodeName) continue;
      const address = node.internalIp;
      if (address === undefined) {
        this.warnOnce(`node ${node.name} has no InternalIP: no layer 2 heartbeat with it, so it is never eligible here`);
        continue;
      }
      if (family !== 0 && isIP(address) !== family) {
        this.warnOnce(`node ${node.name}'s InternalIP ${address} is not of the family of ours (${this.selfAddress ?? ''}): no heartbeat with it`);
        continue;
      }
      peers.push({ name: node.name, address, port: this.port });
    }
    this.peers = peers;
  }

  /** Live speakers, this one included; just this one before start(). */
  alive(): ReadonlySet<string> {
    return new Set(this.liveness?.alive() ?? [this.options.nodeName]);
  }

  /** The heartbeats are signed with the memberlist Secret's key. */
  get authenticated(): boolean {
    return this.liveness !== undefined && this.key !== undefined;
  }

  /** The heartbeat counters (sent, received, unauthenticated...), while the membership runs. */
  get membershipStats(): Readonly<LivenessStats> | undefined {
    return this.liveness?.stats;
  }

  /** The membership has run long enough to have heard every live peer. */
  get settled(): boolean {
    return this.liveness?.settled === true;
  }

  /**
   * Makes the announcer answer exactly for `claims` (no change at all while the membership has
   * not settled).
   * `config` and `nodeLabels` decide which interfaces are opened.
   */
  apply(claims: readonly Layer2Claim[], config: BridgeConfig, nodeLabels: Readonly<Record<string, string>>): Layer2Change {
    if (this.closed) return NO_CHANGE;
    this.lastApplied = [claims, config, nodeLabels];
    this.scheduleRescan();
    // Not settled (just started, or restarted with a new address or key): change nothing until it
    // is; the settle callback asks the caller for claims again.
    if (!this.settled) return NO_CHANGE;
    const wanted = claims;
    if (wanted.length === 0 && this.announcer === undefined) return NO_CHANGE;
    const plan = planInterfaces(config, nodeLabels, this.currentLinks());
    for (const name of plan.missing) this.warnOnce(`interface ${name} of an L2Advertisement does not exist on this node; not answering there`);
    const announcer = this.announcerFor(plan);
    if (announcer === undefined) return NO_CHANGE;

    const desired = new Map<string, string[]>();
    for (const claim of wanted) {
      const interfaces = interfacesForClaim(claim, plan);
      if (interfaces.length === 0) {
        this.warnOnce(`${claim.service}: ${claim.ip} is owned by this node but none of its interfaces may announce it (L2Advertisement interfaces: ${claim.interfaces.join(', ') || 'default'})`);
        continue;
      }
      desired.set(claim.ip, interfaces);
    }
    const released: string[] = [];
    for (const ip of announcer.addresses) {
      if (desired.has(ip)) continue;
      announcer.disown(ip);
      released.push(ip);
    }
    const owned: string[] = [];
    for (const [ip, interfaces] of desired) {
      const before = announcer.interfacesOf(ip);
      if (before !== undefined && before.length === interfaces.length && before.every((name) => interfaces.includes(name))) continue;
      announcer.own(ip, { interfaces });
      owned.push(ip);
    }
    if (owned.length > 0 || released.length > 0) this.log.info({ owned, released }, 'layer 2 addresses changed');
    return { owned, released };
  }

  /** The addresses answered for now. */
  get addresses(): readonly string[] {
    return this.announcer?.addresses ?? [];
  }

  /** The interfaces `ip` is answered on, or undefined when it is not answered here. */
  interfacesOf(ip: string): string[] | undefined {
    return this.announcer?.interfacesOf(ip);
  }

  /** Per-address counters since start (metallb_layer2_* metrics). */
  addressStats(): Map<string, Layer2Stats> {
    const out = new Map<string, Layer2Stats>();
    for (const [ip, stats] of this.retiredStats) out.set(ip, { ...stats });
    for (const [ip, stats] of this.announcer?.addressStats() ?? []) addStats(out, ip, stats);
    return out;
  }

  /**
   * Stops answering, then heartbeating. With `leave` (a graceful stop) the peers are told, and
   * take the addresses over at once; without, they find this node dead after deadAfterMs.
   */
  close(options: { leave?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    if (this.rescanTimer !== undefined) clearInterval(this.rescanTimer);
    this.rescanTimer = undefined;
    this.closeAnnouncer();
    this.stopLiveness(options);
  }

  /** The announcer for the plan's interfaces: kept while they stay the same, else reopened. */
  private announcerFor(plan: InterfacePlan): Announcer | undefined {
    if (this.announcer !== undefined && this.plan !== undefined && sameList(this.plan.open, plan.open)) return this.announcer;
    this.closeAnnouncer();
    if (plan.open.length === 0) {
      this.warnOnce('no interface to answer ARP/NDP on (none is up, broadcast-capable and not enslaved, or the L2Advertisements name none that exists here)');
      return undefined;
    }
    const create = this.options.createAnnouncer ?? ((options: Layer2AnnouncerOptions) => new Layer2Announcer(options));
    try {
      this.announcer = create({ interfaces: plan.open, logger: this.log });
    } catch (error) {
      this.warnOnce(`cannot open the raw sockets for ARP/NDP on ${plan.open.join(', ')}: ${(error as Error).message} (needs CAP_NET_RAW)`);
      return undefined;
    }
    this.plan = plan;
    return this.announcer;
  }

  /** The interfaces, from sysfs only on the first call and after a rescan: passes come often. */
  private currentLinks(): readonly LinkInfo[] {
    this.links ??= (this.options.listLinks ?? listLinks)();
    return this.links;
  }

  /** Re-applies the last claims on a timer, so interfaces that appeared or vanished are seen. */
  private scheduleRescan(): void {
    if (this.rescanTimer !== undefined || this.closed) return;
    this.rescanTimer = setInterval(() => {
      this.links = undefined;
      if (this.lastApplied !== undefined) this.apply(...this.lastApplied);
    }, this.options.interfaceRescanMs ?? INTERFACE_RESCAN_MS);
    this.rescanTimer.unref();
  }

  private closeAnnouncer(): void {
    const announcer = this.announcer;
    if (announcer === undefined) return;
    for (const [ip, stats] of announcer.addressStats()) addStats(this.retiredStats, ip, stats);
    const released = announcer.addresses;
    announcer.close();
    this.announcer = undefined;
    this.plan = undefined;
    if (released.length > 0) this.log.info({ owned: [], released }, 'layer 2 addresses changed');
  }

  private stopLiveness(options: { leave?: boolean } = {}): void {
    this.settleTimer?.cancel();
    this.settleTimer = undefined;
    this.liveness?.stop(options);
    this.liveness = undefined;
    this.selfAddress = undefined;
    this.key = undefined;
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.log.warn(message);
  }
}

function addStats(into: Map<string, Layer2Stats>, ip: string, stats: Readonly<Layer2Stats>): void {
  const sum = into.get(ip) ?? { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0 };
  sum.requestsReceived += stats.requestsReceived;
  sum.responsesSent += stats.responsesSent;
  sum.gratuitousSent += stats.gratuitousSent;
  into.set(ip, sum);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

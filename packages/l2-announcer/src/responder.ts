/**
 * The Layer 2 announcer: answers ARP (IPv4) and NDP (IPv6) for the service addresses this node
 * owns, on the chosen interfaces, and announces an address it takes over with gratuitous ARP and
 * unsolicited Neighbor Advertisements, at once and then repeated for a few seconds (a lost
 * frame must not leave clients on the old owner). Addresses we do not own get no answer.
 * Who owns what is decided elsewhere (owner election); this class only acts on own()/disown().
 */
import { isIPv4, isIPv6 } from 'node:net';

import { arpReplyFor, gratuitousArpFrames, parseArpFrame } from './arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV6, canonicalIp } from './ethernet.js';
import { selectInterfaces } from './interfaces.js';
import { arpRequestFilter, encodeFilter, neighborSolicitationFilter } from './socket-filter.js';
import type { LinkInfo } from './interfaces.js';
import { PACKET_OUTGOING, openPacketSocket } from './native/addon.js';
import type { FrameSocket } from './native/addon.js';
import {
  multicastMac,
  neighborAdvertisementFor,
  parseNeighborSolicitation,
  solicitedNodeMulticast,
  unsolicitedNeighborAdvertisement,
} from './ndp.js';

/** The part of a pino logger we use (a pino Logger fits). */
export interface Layer2Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface Layer2AnnouncerOptions {
  /** Interface names; default: every up, broadcast-capable, non-loopback, non-enslaved link. */
  readonly interfaces?: readonly string[];
  readonly logger?: Layer2Logger;
  /** Announcements after the first one (default 4). */
  readonly gratuitousRepeats?: number;
  /** Time between announcements (default 750 ms: 5 rounds over 3 s). */
  readonly gratuitousIntervalMs?: number;
  /** Tests: the interfaces as already read, instead of sysfs. */
  readonly links?: readonly LinkInfo[];
  /** Tests: a fake socket factory instead of the native addon. */
  readonly openSocket?: (link: LinkInfo, etherType: number) => FrameSocket;
}

/**
 * Counters behind metallb_layer2_requests_received / _responses_sent / _gratuitous_sent (MetalLB
 * counts them per address: label `ip`). Kept after an address is disowned, as Prometheus counters
 * must not go back.
 */
export interface Layer2Stats {
  /** ARP requests and Neighbor Solicitations received for addresses we own. */
  requestsReceived: number;
  /** ARP replies and solicited Neighbor Advertisements sent. */
  responsesSent: number;
  /** Gratuitous ARP frames and unsolicited Neighbor Advertisements sent. */
  gratuitousSent: number;
}

export interface OwnOptions {
  /** Answer and announce only on these of the announcer's interfaces (default: all of them). */
  readonly interfaces?: readonly string[];
}

interface Port {
  readonly link: LinkInfo;
  readonly arp: FrameSocket;
  readonly ndp: FrameSocket;
  /** Solicited-node group MAC -> how many owned addresses need it (several can share one). */
  readonly groups: Map<string, number>;
  /** Whether this port answers for an address: owned, on this interface. */
  readonly answersFor: (ip: string) => boolean;
}

const SILENT: Layer2Logger = { info() {}, warn() {}, debug() {} };

/**
 * Only ARP requests for the addresses owned on the interface and Neighbor Solicitations reach us
 * (socket-filter.ts says why). The ARP program starts empty (drop everything) and follows
 * own()/disown(); the IPv6 one is fixed, the solicited-node memberships doing the rest.
 */
const KERNEL_FILTERS = new Map([
  [ETHERTYPE_ARP, encodeFilter(arpRequestFilter([]))],
  [ETHERTYPE_IPV6, encodeFilter(neighborSolicitationFilter())],
]);

export class Layer2Announcer {
  /** Totals over every address. */
  readonly stats: Layer2Stats = { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0 };
  /** Every frame the sockets delivered, answered or not: what the kernel filters let through. */
  framesReceived = 0;
  private readonly statsByAddress = new Map<string, Layer2Stats>();
  private readonly ports: Port[] = [];
  /** Owned address -> the ports it is answered and announced on. */
  private readonly owned = new Map<string, readonly Port[]>();
  /** Pending repeat timers of each address's announcement burst. */
  private readonly bursts = new Map<string, NodeJS.Timeout>();
  private readonly log: Layer2Logger;
  private readonly repeats: number;
  private readonly intervalMs: number;
  private closed = false;

  constructor(options: Layer2AnnouncerOptions = {}) {
    this.log = options.logger ?? SILENT;
    this.repeats = options.gratuitousRepeats ?? 4;
    this.intervalMs = options.gratuitousIntervalMs ?? 750;
    if (!Number.isInteger(this.repeats) || this.repeats < 0) throw new RangeError('gratuitousRepeats must be an integer >= 0');
    if (!(this.intervalMs > 0)) throw new RangeError('gratuitousIntervalMs must be > 0');
    const links = options.links ?? selectInterfaces(options.interfaces);
    const open = options.openSocket ?? ((link: LinkInfo, etherType: number) => openPacketSocket(link.ifindex, etherType, link.name, KERNEL_FILTERS.get(etherType)));
    try {
      for (const link of links) this.ports.push(this.openPort(link, open));
    } catch (err) {
      this.close();
      throw err;
    }
    this.log.info({ interfaces: links.map((l) => l.name) }, 'layer 2 announcer started');
  }

  /** The interfaces answered on. */
  get interfaces(): string[] {
    return this.ports.map((p) => p.link.name);
  }

  /** The addresses currently owned (canonical text). */
  get addresses(): string[] {
    return [...this.owned.keys()];
  }

  /** The interfaces `ip` is answered on, or undefined when it is not owned. */
  interfacesOf(ip: string): string[] | undefined {
    return this.owned.get(canonicalIp(ip))?.map((port) => port.link.name);
  }

  /** The counters of each address that has counted anything (owned now or before). */
  addressStats(): ReadonlyMap<string, Readonly<Layer2Stats>> {
    return this.statsByAddress;
  }

  /**
   * Start answering for `ip` and announce it (at once, then `gratuitousRepeats` more times).
   * Owning an owned address again on the same interfaces does nothing; on other interfaces it
   * moves the address there and announces it again.
   */
  own(ip: string, options: OwnOptions = {}): void {
    this.assertOpen();
    if (!isIPv4(ip) && !isIPv6(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
    const address = canonicalIp(ip);
    const ports = this.portsNamed(options.interfaces);
    const current = this.owned.get(address);
    if (current !== undefined) {
      if (sameMembers(current, ports)) return;
      this.disown(address);
    }
    this.owned.set(address, ports);
    if (isIPv6(address)) this.joinSolicitedNode(address, ports);
    else for (const port of ports) this.refreshArpFilter(port);
    this.log.info({ ip: address, interfaces: ports.map((p) => p.link.name) }, 'owning address');
    this.announce(address, this.repeats);
  }

  /** Stop answering for `ip` and stop its announcements. Unknown addresses are ignored. */
  disown(ip: string): void {
    if (!isIPv4(ip) && !isIPv6(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
    const address = canonicalIp(ip);
    const ports = this.owned.get(address);
    if (ports === undefined) return;
    this.owned.delete(address);
    clearTimeout(this.bursts.get(address));
    this.bursts.delete(address);
    if (isIPv6(address) && !this.closed) this.leaveSolicitedNode(address, ports);
    else if (!this.closed) for (const port of ports) this.refreshArpFilter(port);
    this.log.info({ ip: address }, 'disowned address');
  }

  /** Stops every timer and closes every socket. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.bursts.values()) clearTimeout(timer);
    this.bursts.clear();
    this.owned.clear();
    for (const port of this.ports) {
      port.arp.close();
      port.ndp.close();
    }
  }

  private openPort(link: LinkInfo, open: (link: LinkInfo, etherType: number) => FrameSocket): Port {
    const arp = open(link, ETHERTYPE_ARP);
    let ndp: FrameSocket;
    try {
      ndp = open(link, ETHERTYPE_IPV6);
    } catch (err) {
      arp.close();
      throw err;
    }
    const port: Port = { link, arp, ndp, groups: new Map(), answersFor: (ip) => this.owned.get(ip)?.includes(port) === true };
    arp.startReceiving((frame, packetType) => this.onArpFrame(port, frame, packetType));
    ndp.startReceiving((frame, packetType) => this.onIpv6Frame(port, frame, packetType));
    return port;
  }

  private onArpFrame(port: Port, frame: Buffer, packetType: number): void {
    this.framesReceived += 1;
    if (packetType === PACKET_OUTGOING || this.closed) return;
    const request = parseArpFrame(frame);
    if (request === undefined) return;
    const reply = arpReplyFor(request, port.link.mac, port.answersFor);
    if (reply === undefined) return;
    this.count(request.targetIp, 'requestsReceived');
    if (this.send(port, port.arp, reply, `ARP reply for ${request.targetIp}`)) this.count(request.targetIp, 'responsesSent');
  }

  private onIpv6Frame(port: Port, frame: Buffer, packetType: number): void {
    this.framesReceived += 1;
    if (packetType === PACKET_OUTGOING || this.closed) return;
    const solicitation = parseNeighborSolicitation(frame);
    if (solicitation === undefined) return;
    const advertisement = neighborAdvertisementFor(solicitation, port.link.mac, port.answersFor);
    if (advertisement === undefined) return;
    this.count(solicitation.targetIp, 'requestsReceived');
    if (this.send(port, port.ndp, advertisement, `NA for ${solicitation.targetIp}`)) this.count(solicitation.targetIp, 'responsesSent');
  }

  /** One round of announcements on the address's interfaces, then the next round after the interval. */
  private announce(address: string, remaining: number): void {
    const ports = this.owned.get(address);
    if (this.closed || ports === undefined) return;
    for (const port of ports) {
      const frames = isIPv4(address)
        ? gratuitousArpFrames(address, port.link.mac).map((frame) => ({ socket: port.arp, frame }))
        : [{ socket: port.ndp, frame: unsolicitedNeighborAdvertisement(address, port.link.mac) }];
      for (const { socket, frame } of frames) {
        if (this.send(port, socket, frame, `announcement of ${address}`)) this.count(address, 'gratuitousSent');
      }
    }
    if (remaining <= 0) {
      this.bursts.delete(address);
      return;
    }
    const timer = setTimeout(() => this.announce(address, remaining - 1), this.intervalMs);
    timer.unref();
    this.bursts.set(address, timer);
  }

  private count(address: string, counter: keyof Layer2Stats): void {
    this.stats[counter] += 1;
    let perAddress = this.statsByAddress.get(address);
    if (perAddress === undefined) {
      perAddress = { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0 };
      this.statsByAddress.set(address, perAddress);
    }
    perAddress[counter] += 1;
  }

  /** The ports of the named interfaces (all when absent); a name we have no port for is an error. */
  private portsNamed(names: readonly string[] | undefined): readonly Port[] {
    if (names === undefined) return this.ports;
    return [...new Set(names)].map((name) => {
      const port = this.ports.find((p) => p.link.name === name);
      if (port === undefined) throw new RangeError(`interface ${name} is not one of this announcer's (${this.interfaces.join(', ') || 'none'})`);
      return port;
    });
  }

  /** Sends, logging failures (an interface going down must not stop the others). */
  private send(port: Port, socket: FrameSocket, frame: Buffer, what: string): boolean {
    try {
      socket.send(frame);
      return true;
    } catch (err) {
      this.log.warn({ interface: port.link.name, err: err instanceof Error ? err.message : String(err) }, `sending ${what} failed`);
      return false;
    }
  }

  /** The kernel passes this port the ARP requests for its owned IPv4 addresses only. */
  private refreshArpFilter(port: Port): void {
    const targets: string[] = [];
    for (const [address, ports] of this.owned) if (isIPv4(address) && ports.includes(port)) targets.push(address);
    try {
      port.arp.setFilter(encodeFilter(arpRequestFilter(targets)));
    } catch (err) {
      // Still correct without it (answersFor decides), only more work: say so, go on.
      this.log.warn({ interface: port.link.name, err: err instanceof Error ? err.message : String(err) }, 'updating the ARP socket filter failed');
    }
  }

  /** RFC 4861 section 7.2.1: NS for our address arrive at its solicited-node group. */
  private joinSolicitedNode(address: string, ports: readonly Port[]): void {
    const mac = multicastMac(solicitedNodeMulticast(address));
    for (const port of ports) {
      const count = port.groups.get(mac) ?? 0;
      if (count === 0) {
        try {
          port.ndp.addMembership(mac);
        } catch (err) {
          this.log.warn({ interface: port.link.name, err: err instanceof Error ? err.message : String(err) }, `joining ${mac} failed`);
          continue;
        }
      }
      port.groups.set(mac, count + 1);
    }
  }

  private leaveSolicitedNode(address: string, ports: readonly Port[]): void {
    const mac = multicastMac(solicitedNodeMulticast(address));
    for (const port of ports) {
      const count = port.groups.get(mac);
      if (count === undefined) continue;
      if (count > 1) {
        port.groups.set(mac, count - 1);
        continue;
      }
      port.groups.delete(mac);
      try {
        port.ndp.dropMembership(mac);
      } catch (err) {
        this.log.warn({ interface: port.link.name, err: err instanceof Error ? err.message : String(err) }, `leaving ${mac} failed`);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('Layer2Announcer is closed');
  }
}

function sameMembers<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

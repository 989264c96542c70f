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

/** Counters behind metallb_layer2_requests_received / _responses_sent / _gratuitous_sent. */
export interface Layer2Stats {
  /** ARP requests and Neighbor Solicitations received for addresses we own. */
  requestsReceived: number;
  /** ARP replies and solicited Neighbor Advertisements sent. */
  responsesSent: number;
  /** Gratuitous ARP frames and unsolicited Neighbor Advertisements sent. */
  gratuitousSent: number;
}

interface Port {
  readonly link: LinkInfo;
  readonly arp: FrameSocket;
  readonly ndp: FrameSocket;
  /** Solicited-node group MAC -> how many owned addresses need it (several can share one). */
  readonly groups: Map<string, number>;
}

const SILENT: Layer2Logger = { info() {}, warn() {}, debug() {} };

export class Layer2Announcer {
  readonly stats: Layer2Stats = { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0 };
  private readonly ports: Port[] = [];
  private readonly owned = new Set<string>();
  /** Pending repeat timers of each address's announcement burst. */
  private readonly bursts = new Map<string, NodeJS.Timeout>();
  private readonly log: Layer2Logger;
  private readonly repeats: number;
  private readonly intervalMs: number;
  private closed = false;
  private readonly ownsAddress = (ip: string): boolean => this.owned.has(ip);

  constructor(options: Layer2AnnouncerOptions = {}) {
    this.log = options.logger ?? SILENT;
    this.repeats = options.gratuitousRepeats ?? 4;
    this.intervalMs = options.gratuitousIntervalMs ?? 750;
    if (!Number.isInteger(this.repeats) || this.repeats < 0) throw new RangeError('gratuitousRepeats must be an integer >= 0');
    if (!(this.intervalMs > 0)) throw new RangeError('gratuitousIntervalMs must be > 0');
    const links = options.links ?? selectInterfaces(options.interfaces);
    const open = options.openSocket ?? ((link: LinkInfo, etherType: number) => openPacketSocket(link.ifindex, etherType, link.name));
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
    return [...this.owned];
  }

  /** Start answering for `ip` and announce it (at once, then `gratuitousRepeats` more times). */
  own(ip: string): void {
    this.assertOpen();
    if (!isIPv4(ip) && !isIPv6(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
    const address = canonicalIp(ip);
    if (this.owned.has(address)) return;
    this.owned.add(address);
    if (isIPv6(address)) this.joinSolicitedNode(address);
    this.log.info({ ip: address }, 'owning address');
    this.announce(address, this.repeats);
  }

  /** Stop answering for `ip` and stop its announcements. Unknown addresses are ignored. */
  disown(ip: string): void {
    if (!isIPv4(ip) && !isIPv6(ip)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
    const address = canonicalIp(ip);
    if (!this.owned.delete(address)) return;
    clearTimeout(this.bursts.get(address));
    this.bursts.delete(address);
    if (isIPv6(address) && !this.closed) this.leaveSolicitedNode(address);
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
    const port: Port = { link, arp, ndp, groups: new Map() };
    arp.startReceiving((frame, packetType) => this.onArpFrame(port, frame, packetType));
    ndp.startReceiving((frame, packetType) => this.onIpv6Frame(port, frame, packetType));
    return port;
  }

  private onArpFrame(port: Port, frame: Buffer, packetType: number): void {
    if (packetType === PACKET_OUTGOING || this.closed) return;
    const request = parseArpFrame(frame);
    if (request === undefined) return;
    const reply = arpReplyFor(request, port.link.mac, this.ownsAddress);
    if (reply === undefined) return;
    this.stats.requestsReceived += 1;
    if (this.send(port, port.arp, reply, `ARP reply for ${request.targetIp}`)) this.stats.responsesSent += 1;
  }

  private onIpv6Frame(port: Port, frame: Buffer, packetType: number): void {
    if (packetType === PACKET_OUTGOING || this.closed) return;
    const solicitation = parseNeighborSolicitation(frame);
    if (solicitation === undefined) return;
    const advertisement = neighborAdvertisementFor(solicitation, port.link.mac, this.ownsAddress);
    if (advertisement === undefined) return;
    this.stats.requestsReceived += 1;
    if (this.send(port, port.ndp, advertisement, `NA for ${solicitation.targetIp}`)) this.stats.responsesSent += 1;
  }

  /** One round of announcements on every interface, then the next round after the interval. */
  private announce(address: string, remaining: number): void {
    if (this.closed || !this.owned.has(address)) return;
    for (const port of this.ports) {
      const frames = isIPv4(address)
        ? gratuitousArpFrames(address, port.link.mac).map((frame) => ({ socket: port.arp, frame }))
        : [{ socket: port.ndp, frame: unsolicitedNeighborAdvertisement(address, port.link.mac) }];
      for (const { socket, frame } of frames) {
        if (this.send(port, socket, frame, `announcement of ${address}`)) this.stats.gratuitousSent += 1;
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

  /** RFC 4861 section 7.2.1: NS for our address arrive at its solicited-node group. */
  private joinSolicitedNode(address: string): void {
    const mac = multicastMac(solicitedNodeMulticast(address));
    for (const port of this.ports) {
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

  private leaveSolicitedNode(address: string): void {
    const mac = multicastMac(solicitedNodeMulticast(address));
    for (const port of this.ports) {
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

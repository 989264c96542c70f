/**
 * IPv6 Neighbor Discovery (RFC 4861) for the addresses we own: parsing Neighbor Solicitations,
 * answering them with a Neighbor Advertisement, and the unsolicited advertisement sent when we
 * take an address over (section 7.2.6). Ethernet + IPv6 header + ICMPv6, with the ICMPv6
 * checksum over the IPv6 pseudo-header (RFC 4443 section 2.3, RFC 8200 section 8.1).
 */
import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  bytesToIpv6,
  bytesToMac,
  ipv6ToBytes,
  macToBytes,
  readEthernetHeader,
  writeEthernetHeader,
} from './ethernet.js';

export const ICMPV6_NEXT_HEADER = 58;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const IPV6_HEADER_LENGTH = 40;
/** RFC 4861 section 7.1: ND messages with another hop limit did not come from the link. */
const ND_HOP_LIMIT = 255;
const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;
/** type, code, checksum, reserved/flags, target address. */
const ND_FIXED_LENGTH = 24;

export const ALL_NODES = 'ff02::1';
const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

export interface NeighborSolicitation {
  readonly ethernetSource: string;
  readonly sourceIp: string;
  readonly destinationIp: string;
  readonly targetIp: string;
  /** The Source Link-Layer Address option, when present. */
  readonly sourceLinkLayer?: string;
}

export interface NeighborAdvertisement {
  readonly sourceIp: string;
  readonly destinationIp: string;
  readonly targetIp: string;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  /** The Target Link-Layer Address option, when present. */
  readonly targetLinkLayer?: string;
}

/** RFC 4291 section 2.7.1: ff02::1:ff00:0/104 plus the low 24 bits of the address. */
export function solicitedNodeMulticast(ip: string): string {
  const bytes = ipv6ToBytes(ip);
  const group = ipv6ToBytes('ff02::1:ff00:0');
  bytes.copy(group, 13, 13, 16);
  return bytesToIpv6(group);
}

/** RFC 2464 section 7: 33:33 followed by the low 32 bits of the IPv6 multicast address. */
export function multicastMac(ip: string): string {
  const bytes = ipv6ToBytes(ip);
  return bytesToMac(Buffer.from([0x33, 0x33, bytes[12] ?? 0, bytes[13] ?? 0, bytes[14] ?? 0, bytes[15] ?? 0]));
}

function isUnspecified(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/** The one's-complement sum of 16-bit words, folded (RFC 1071). */
function onesComplementSum(sum: number, data: Uint8Array): number {
  let s = sum;
  for (let i = 0; i + 1 < data.length; i += 2) s += ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  if (data.length % 2 === 1) s += (data[data.length - 1] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * The ICMPv6 checksum of `message` (its checksum field counted as is) between two addresses:
 * the pseudo-header is source, destination, upper-layer length (32 bits), 3 zero octets and
 * next header 58. Verifying a received message: the result is 0 when it is intact.
 */
export function icmpv6Checksum(sourceIp: Uint8Array, destinationIp: Uint8Array, message: Uint8Array): number {
  const pseudo = Buffer.alloc(40);
  pseudo.set(sourceIp, 0);
  pseudo.set(destinationIp, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = ICMPV6_NEXT_HEADER;
  const sum = onesComplementSum(onesComplementSum(0, pseudo), message);
  return ~sum & 0xffff;
}

/** Walks ND options (RFC 4861 section 4.6): type, length in 8-octet units, value. */
function findLinkLayerOption(options: Buffer, wanted: number): string | undefined | null {
  let o = 0;
  let found: string | undefined;
  while (o < options.length) {
    if (o + 2 > options.length) return null;
    const units = options[o + 1] ?? 0;
    // Section 4.6: a zero length is invalid and the whole packet must be dropped.
    if (units === 0 || o + units * 8 > options.length) return null;
    if (options[o] === wanted && units === 1) found = bytesToMac(options, o + 2);
    o += units * 8;
  }
  return found;
}

/**
 * A Neighbor Solicitation that passes RFC 4861 section 7.1.1 validation, or undefined:
 * hop limit 255, ICMP code 0, length >= 24, valid checksum, target not multicast, and for a
 * solicitation from the unspecified address (DAD) a solicited-node destination and no
 * source link-layer option. No extension headers: NS never carries any in practice.
 */
export function parseNeighborSolicitation(frame: Buffer): NeighborSolicitation | undefined {
  const ethernet = readEthernetHeader(frame);
  if (ethernet === undefined || ethernet.etherType !== ETHERTYPE_IPV6) return undefined;
  const ip = ETHERNET_HEADER_LENGTH;
  if (frame.length < ip + IPV6_HEADER_LENGTH + ND_FIXED_LENGTH) return undefined;
  if ((frame[ip] ?? 0) >> 4 !== 6) return undefined;
  if (frame[ip + 6] !== ICMPV6_NEXT_HEADER || frame[ip + 7] !== ND_HOP_LIMIT) return undefined;
  const payloadLength = frame.readUInt16BE(ip + 4);
  const icmpStart = ip + IPV6_HEADER_LENGTH;
  if (payloadLength < ND_FIXED_LENGTH || icmpStart + payloadLength > frame.length) return undefined;
  const icmp = frame.subarray(icmpStart, icmpStart + payloadLength);
  if (icmp[0] !== ICMPV6_NEIGHBOR_SOLICITATION || icmp[1] !== 0) return undefined;
  const source = frame.subarray(ip + 8, ip + 24);
  const destination = frame.subarray(ip + 24, ip + 40);
  if (icmpv6Checksum(source, destination, icmp) !== 0) return undefined;
  const target = icmp.subarray(8, 24);
  if (target[0] === 0xff) return undefined;
  const sourceLinkLayer = findLinkLayerOption(icmp.subarray(ND_FIXED_LENGTH), OPTION_SOURCE_LINK_LAYER);
  if (sourceLinkLayer === null) return undefined;
  const destinationIp = bytesToIpv6(destination);
  const targetIp = bytesToIpv6(target);
  if (isUnspecified(source)) {
    if (sourceLinkLayer !== undefined || destinationIp !== solicitedNodeMulticast(targetIp)) return undefined;
  }
  return {
    ethernetSource: ethernet.source,
    sourceIp: bytesToIpv6(source),
    destinationIp,
    targetIp,
    ...(sourceLinkLayer === undefined ? {} : { sourceLinkLayer }),
  };
}

/** Ethernet + IPv6 + Neighbor Advertisement with the Target Link-Layer Address option. */
export function buildNeighborAdvertisementFrame(
  ethernetDestination: string,
  ourMac: string,
  advertisement: Omit<NeighborAdvertisement, 'targetLinkLayer'>,
): Buffer {
  const icmpLength = ND_FIXED_LENGTH + 8;
  const frame = Buffer.alloc(ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + icmpLength);
  writeEthernetHeader(frame, { destination: ethernetDestination, source: ourMac, etherType: ETHERTYPE_IPV6 });
  const ip = ETHERNET_HEADER_LENGTH;
  frame.writeUInt32BE(0x60000000, ip); // version 6, traffic class 0, flow label 0
  frame.writeUInt16BE(icmpLength, ip + 4);
  frame[ip + 6] = ICMPV6_NEXT_HEADER;
  frame[ip + 7] = ND_HOP_LIMIT;
  const source = ipv6ToBytes(advertisement.sourceIp);
  const destination = ipv6ToBytes(advertisement.destinationIp);
  source.copy(frame, ip + 8);
  destination.copy(frame, ip + 24);
  const icmpStart = ip + IPV6_HEADER_LENGTH;
  frame[icmpStart] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
  frame[icmpStart + 1] = 0; // code
  frame[icmpStart + 4] =
    (advertisement.router ? FLAG_ROUTER : 0) |
    (advertisement.solicited ? FLAG_SOLICITED : 0) |
    (advertisement.override ? FLAG_OVERRIDE : 0);
  ipv6ToBytes(advertisement.targetIp).copy(frame, icmpStart + 8);
  frame[icmpStart + 24] = OPTION_TARGET_LINK_LAYER;
  frame[icmpStart + 25] = 1; // one 8-octet unit
  macToBytes(ourMac).copy(frame, icmpStart + 26);
  const icmp = frame.subarray(icmpStart);
  frame.writeUInt16BE(icmpv6Checksum(source, destination, icmp), icmpStart + 2);
  return frame;
}

/** A Neighbor Advertisement as read back from a frame (tests and diagnostics), checksum verified. */
export function parseNeighborAdvertisement(frame: Buffer): NeighborAdvertisement | undefined {
  const ethernet = readEthernetHeader(frame);
  if (ethernet === undefined || ethernet.etherType !== ETHERTYPE_IPV6) return undefined;
  const ip = ETHERNET_HEADER_LENGTH;
  if (frame.length < ip + IPV6_HEADER_LENGTH + ND_FIXED_LENGTH || frame[ip + 6] !== ICMPV6_NEXT_HEADER) return undefined;
  const payloadLength = frame.readUInt16BE(ip + 4);
  const icmpStart = ip + IPV6_HEADER_LENGTH;
  if (payloadLength < ND_FIXED_LENGTH || icmpStart + payloadLength > frame.length) return undefined;
  const icmp = frame.subarray(icmpStart, icmpStart + payloadLength);
  if (icmp[0] !== ICMPV6_NEIGHBOR_ADVERTISEMENT || icmp[1] !== 0) return undefined;
  const source = frame.subarray(ip + 8, ip + 24);
  const destination = frame.subarray(ip + 24, ip + 40);
  if (icmpv6Checksum(source, destination, icmp) !== 0) return undefined;
  const targetLinkLayer = findLinkLayerOption(icmp.subarray(ND_FIXED_LENGTH), OPTION_TARGET_LINK_LAYER);
  if (targetLinkLayer === null) return undefined;
  const flags = icmp[4] ?? 0;
  return {
    sourceIp: bytesToIpv6(source),
    destinationIp: bytesToIpv6(destination),
    targetIp: bytesToIpv6(icmp.subarray(8, 24)),
    router: (flags & FLAG_ROUTER) !== 0,
    solicited: (flags & FLAG_SOLICITED) !== 0,
    override: (flags & FLAG_OVERRIDE) !== 0,
    ...(targetLinkLayer === undefined ? {} : { targetLinkLayer }),
  };
}

/**
 * The answer to a solicitation for an address we own (RFC 4861 section 7.2.4), else undefined.
 * From a unicast source: unicast back with Solicited and Override set, to the MAC in the source
 * link-layer option (or the frame's source MAC when absent). From the unspecified address (a
 * DAD probe): to all-nodes with Solicited clear, which also tells the prober the address is taken.
 */
export function neighborAdvertisementFor(
  solicitation: NeighborSolicitation,
  ourMac: string,
  owns: (ipv6: string) => boolean,
): Buffer | undefined {
  if (!owns(solicitation.targetIp)) return undefined;
  if (solicitation.sourceIp === '::') {
    return buildNeighborAdvertisementFrame(multicastMac(ALL_NODES), ourMac, {
      sourceIp: solicitation.targetIp,
      destinationIp: ALL_NODES,
      targetIp: solicitation.targetIp,
      router: false,
      solicited: false,
      override: true,
    });
  }
  return buildNeighborAdvertisementFrame(solicitation.sourceLinkLayer ?? solicitation.ethernetSource, ourMac, {
    sourceIp: solicitation.targetIp,
    destinationIp: solicitation.sourceIp,
    targetIp: solicitation.targetIp,
    router: false,
    solicited: true,
    override: true,
  });
}

/** RFC 4861 section 7.2.6: the unsolicited advertisement to all-nodes, Override set. */
export function unsolicitedNeighborAdvertisement(ip: string, ourMac: string): Buffer {
  return buildNeighborAdvertisementFrame(multicastMac(ALL_NODES), ourMac, {
    sourceIp: ip,
    destinationIp: ALL_NODES,
    targetIp: ip,
    router: false,
    solicited: false,
    override: true,
  });
}

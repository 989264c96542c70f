/**
 * Ethernet II framing (IEEE 802.3 with an EtherType) and the MAC and IP address conversions the
 * ARP and NDP codecs share. Frames are plain Buffers: destination MAC, source MAC, EtherType,
 * payload. We never add the FCS: the NIC does.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERNET_HEADER_LENGTH = 14;

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

export interface EthernetHeader {
  /** Lower-case, colon separated, e.g. "02:00:5e:00:00:01". */
  readonly destination: string;
  readonly source: string;
  readonly etherType: number;
}

/** "aa:bb:cc:dd:ee:ff" (or with dashes, any case) -> 6 octets. */
export function macToBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function bytesToMac(bytes: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((bytes[offset + i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

export function ipv4ToBytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return Buffer.from(ip.split('.').map(Number));
}

export function bytesToIpv4(bytes: Uint8Array, offset = 0): string {
  return [0, 1, 2, 3].map((i) => String(bytes[offset + i] ?? 0)).join('.');
}

/** Any IPv6 literal (with "::" and a dotted IPv4 tail allowed, no zone) -> 16 octets. */
export function ipv6ToBytes(ip: string): Buffer {
  if (!isIPv6(ip) || ip.includes('%')) throw new TypeError(`not an IPv6 address: ${JSON.stringify(ip)}`);
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4ToBytes(text.slice(lastColon + 1));
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    text = `${text.slice(0, lastColon + 1)}0`; // placeholder group, dropped below
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  let groups: number[];
  if (rest === undefined) {
    groups = parse(head);
  } else {
    const left = parse(head);
    const right = parse(rest);
    const missing = 8 - left.length - right.length - (tail.length > 0 ? 1 : 0);
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  }
  if (tail.length > 0) groups = [...groups.slice(0, -1), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** 16 octets -> the RFC 5952 canonical text form (lower case, longest zero run as "::"). */
export function bytesToIpv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // RFC 5952 section 4.2.2: a single zero group is not shortened.
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical text of an IPv4 or IPv6 address, so "2001:DB8:0::1" and "2001:db8::1" match. */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return bytesToIpv4(ipv4ToBytes(ip));
  return bytesToIpv6(ipv6ToBytes(ip));
}

export function writeEthernetHeader(frame: Buffer, header: EthernetHeader): void {
  macToBytes(header.destination).copy(frame, 0);
  macToBytes(header.source).copy(frame, 6);
  frame.writeUInt16BE(header.etherType, 12);
}

/** The header, or undefined for a frame too short to hold one. */
export function readEthernetHeader(frame: Buffer): EthernetHeader | undefined {
  if (frame.length < ETHERNET_HEADER_LENGTH) return undefined;
  return {
    destination: bytesToMac(frame, 0),
    source: bytesToMac(frame, 6),
    etherType: frame.readUInt16BE(12),
  };
}

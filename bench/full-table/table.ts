/**
 * The benchmark's routing table: N IPv4 /24 prefixes from 1.0.0.0 upward (special-purpose ranges
 * skipped), 4 prefixes per attribute set, each set with its own AS path of 2-5 ASNs that starts with
 * the sender's AS. Deterministic: the AS paths come from a seeded PRNG, so every receiver and every
 * run gets byte-for-byte the same UPDATEs.
 *
 * The whole table is encoded once, before any connection, into one contiguous buffer of whole
 * UPDATE messages (bgp-core's packAnnouncements), so sending costs nothing but socket writes.
 */
import { AsPathSegmentType, Origin, packAnnouncements } from '@metallb-ts/bgp-core';
import type { CodecOptions, PathAttributes } from '@metallb-ts/bgp-core';

export const PREFIXES_PER_ATTRIBUTE_SET = 4;

/** Ranges a full table never carries (RFC 6890 and multicast/reserved); the generator steps over them. */
const SKIPPED_RANGES: readonly (readonly [first: string, length: number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
];

function toUint32(dotted: string): number {
  const parts = dotted.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

const SKIPPED: readonly { readonly start: number; readonly end: number }[] = SKIPPED_RANGES.map(([first, length]) => {
  const start = toUint32(first);
  return { start, end: start + 2 ** (32 - length) };
});

/** The first `count` /24 prefixes from 1.0.0.0 upward, skipping SKIPPED_RANGES. Throws past 223.255.255.0. */
export function tablePrefixes(count: number): string[] {
  const prefixes: string[] = new Array<string>(count);
  let address = toUint32('1.0.0.0');
  for (let i = 0; i < count; ) {
    const skip = SKIPPED.find((range) => address >= range.start && address < range.end);
    if (skip !== undefined) {
      address = skip.end;
      if (address >= 2 ** 32) throw new RangeError(`only ${i} /24 prefixes exist outside the skipped ranges, asked for ${count}`);
      continue;
    }
    prefixes[i++] = `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.0/24`;
    address += 256;
  }
  return prefixes;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; good enough for AS paths, and the same everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const AS_TRANS = 23456;

/**
 * One random transit ASN: mostly 2-octet public ones (1..64495), one in four a 4-octet one
 * (131072..4199999999), never AS_TRANS. Private ASNs (the receivers use 64512-65534) never appear,
 * so no receiver drops a path for containing its own AS.
 */
function randomAsn(random: () => number): number {
  if (random() < 0.25) return 131072 + Math.floor(random() * (4199999999 - 131072));
  for (;;) {
    const asn = 1 + Math.floor(random() * 64495);
    if (asn !== AS_TRANS) return asn;
  }
}

export interface TableOptions {
  readonly routes: number;
  readonly senderAsn: number;
  /** The NEXT_HOP of every route (the sender's own address). */
  readonly nextHop: string;
  readonly seed: number;
}

export interface EncodedTable {
  /** Every UPDATE of the table, whole messages back to back. */
  readonly bytes: Buffer;
  readonly updates: number;
  readonly routes: number;
  readonly attributeSets: number;
}

/** Both sides send the 4-octet AS capability; the sender offers no extended messages, so 4096 octets max. */
export const TABLE_CODEC_OPTIONS: CodecOptions = { fourOctetAs: true, extendedMessage: false };

/** Encodes the table described by `options` (see the file comment). */
export function encodeTable(options: TableOptions): EncodedTable {
  const prefixes = tablePrefixes(options.routes);
  const random = seededRandom(options.seed);
  const messages: Uint8Array[] = [];
  let total = 0;
  let attributeSets = 0;
  for (let from = 0; from < prefixes.length; from += PREFIXES_PER_ATTRIBUTE_SET) {
    const length = 2 + Math.floor(random() * 4); // 2..5 ASNs, the first being the sender's
    const asns = [options.senderAsn];
    while (asns.length < length) asns.push(randomAsn(random));
    const attributes: PathAttributes = {
      origin: Origin.IGP,
      asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns }],
      nextHop: options.nextHop,
    };
    const group = prefixes.slice(from, from + PREFIXES_PER_ATTRIBUTE_SET);
    for (const message of packAnnouncements(attributes, group, 'ipv4', undefined, TABLE_CODEC_OPTIONS)) {
      messages.push(message);
      total += message.length;
    }
    attributeSets++;
  }
  const bytes = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const message of messages) {
    bytes.set(message, offset);
    offset += message.length;
  }
  return { bytes, updates: messages.length, routes: prefixes.length, attributeSets };
}

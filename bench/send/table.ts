/**
 * The table every sender of the send-table benchmark sends: the first N IPv4 /24 prefixes of the
 * full-table benchmark (special-purpose ranges skipped, full-table/table.ts), `perSet` consecutive
 * prefixes per attribute set, each set told apart by one community of its own. The sender adds
 * its own AS to the AS path and sets itself as next hop, so on the wire every sender's table is:
 * ORIGIN IGP, AS_PATH [sender AS], NEXT_HOP the sender, COMMUNITIES [the set's community].
 *
 * Each sender gets the table in its own native form, written here:
 * - ours: `speaker.announce({ prefix, communities })` per route (bench/send/ours-sender.ts);
 * - GoBGP: an MRT TABLE_DUMP_V2 file (RFC 6396) for `gobgp mrt inject global`;
 * - BIRD: a `protocol static` with one `route ... blackhole { bgp_community.add(...); };` per route.
 */
import { writeFile } from 'node:fs/promises';
import { tablePrefixes } from '../full-table/table.js';

export interface SendTableOptions {
  readonly routes: number;
  /** Consecutive prefixes sharing one attribute set (one community). */
  readonly perSet: number;
}

/** The community of attribute set `set`, as [high, low]: 64000+ in the high half keeps 250,000+ sets unique. */
export function setCommunity(set: number): [number, number] {
  return [64000 + Math.floor(set / 65536), set % 65536];
}

/** Calls `each(prefix, community)` for every route of the table, in order. */
export function forEachRoute(options: SendTableOptions, each: (prefix: string, community: readonly [number, number]) => void): void {
  const prefixes = tablePrefixes(options.routes);
  let community = setCommunity(0);
  for (let i = 0; i < prefixes.length; i++) {
    if (i % options.perSet === 0) community = setCommunity(i / options.perSet);
    each(prefixes[i] as string, community);
  }
}

/** How many attribute sets the table has. */
export function attributeSets(options: SendTableOptions): number {
  return Math.ceil(options.routes / options.perSet);
}

// ---------------------------------------------------------------------------------------------
// MRT (RFC 6396): TABLE_DUMP_V2, one PEER_INDEX_TABLE then one RIB_IPV4_UNICAST record per prefix.

const MRT_TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV4_UNICAST = 2;
/** Peer type bits (RFC 6396 section 4.3.1): bit 1 = 4-octet AS; bit 0 clear = IPv4 address. */
const PEER_TYPE_AS4 = 0x02;

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function mrtRecord(subtype: number, body: Buffer, timestamp: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(timestamp, 0);
  header.writeUInt16BE(MRT_TABLE_DUMP_V2, 4);
  header.writeUInt16BE(subtype, 6);
  header.writeUInt32BE(body.length, 8);
  return Buffer.concat([header, body]);
}

/**
 * A prefix outside the table (198.18/15 is skipped by tablePrefixes), repeated after the table's
 * records. Seen with GoBGP 3.10: `gobgp mrt inject global` exits before gobgpd has taken the last
 * few hundred records of its stream (730 of 100,000 lost in one try), so the tail of the file
 * must be records that may be lost; the sender deletes this prefix afterwards.
 */
export const MRT_PADDING_PREFIX = '198.18.0.0/24';
export const MRT_PADDING_RECORDS = 20_000;

/**
 * Writes the table as an MRT file whose routes come from one peer (the GoBGP sender itself):
 * ORIGIN IGP, an empty AS_PATH (GoBGP adds its own AS towards an eBGP peer), NEXT_HOP `nextHop`,
 * the set's community; then MRT_PADDING_RECORDS records of MRT_PADDING_PREFIX. AS numbers in
 * TABLE_DUMP_V2 attributes are always 4 octets.
 */
export async function writeMrtTable(file: string, options: SendTableOptions, peer: { address: string; asn: number }, nextHop: string): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const peerEntry = Buffer.from([PEER_TYPE_AS4, ...ipv4Bytes(peer.address), ...ipv4Bytes(peer.address), 0, 0, 0, 0]);
  peerEntry.writeUInt32BE(peer.asn, 9);
  const indexBody = Buffer.concat([
    Buffer.from(ipv4Bytes(peer.address)), // collector BGP ID
    Buffer.from([0, 0]), // view name length 0
    Buffer.from([0, 1]), // one peer
    peerEntry,
  ]);
  const records: Buffer[] = [mrtRecord(PEER_INDEX_TABLE, indexBody, now)];
  const nh = ipv4Bytes(nextHop);
  let sequence = 0;
  const record = (prefix: string, [high, low]: readonly [number, number]): void => {
    const [address = '', lengthText = '24'] = prefix.split('/');
    const length = Number(lengthText);
    const prefixBytes = ipv4Bytes(address).slice(0, Math.ceil(length / 8));
    const attributes = Buffer.from([
      0x40, 1, 1, 0, // ORIGIN IGP
      0x40, 2, 0, // AS_PATH, empty
      0x40, 3, 4, ...nh, // NEXT_HOP
      0xc0, 8, 4, high >> 8, high & 0xff, low >> 8, low & 0xff, // COMMUNITIES
    ]);
    const body = Buffer.alloc(4 + 1 + prefixBytes.length + 2 + 8 + attributes.length);
    let o = body.writeUInt32BE(sequence++, 0);
    o = body.writeUInt8(length, o);
    for (const b of prefixBytes) o = body.writeUInt8(b, o);
    o = body.writeUInt16BE(1, o); // one entry
    o = body.writeUInt16BE(0, o); // peer index 0
    o = body.writeUInt32BE(now, o); // originated time
    o = body.writeUInt16BE(attributes.length, o);
    attributes.copy(body, o);
    records.push(mrtRecord(RIB_IPV4_UNICAST, body, now));
  };
  forEachRoute(options, record);
  for (let i = 0; i < MRT_PADDING_RECORDS; i++) record(MRT_PADDING_PREFIX, [64999, 0]);
  await writeFile(file, Buffer.concat(records));
}

// ---------------------------------------------------------------------------------------------
// BIRD: a static protocol with every route, and its attributes set per route.

/** The `protocol static NAME { ... }` block for the table; its routes are blackholes (BIRD is its own next hop towards an eBGP peer). */
export function birdStaticProtocol(name: string, options: SendTableOptions): string {
  const lines: string[] = [`protocol static ${name} {`, '  ipv4;'];
  forEachRoute(options, (prefix, [high, low]) => {
    lines.push(`  route ${prefix} blackhole { bgp_community.add((${high}, ${low})); };`);
  });
  lines.push('}');
  return lines.join('\n');
}

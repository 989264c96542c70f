/**
 * Packing many prefixes that share one attribute set into as few whole UPDATE messages as the size
 * limit allows (4096 octets, or 65535 with RFC 8654 extended messages). This is the send hot path:
 * the attribute section is encoded once per call and copied into each message, and prefixes are
 * written straight into the message buffer (no per-prefix objects).
 *
 * IPv4 routes go in the NLRI field with a NEXT_HOP attribute, IPv6 routes in MP_REACH_NLRI (first
 * attribute, RFC 7606 section 5.1); withdrawals in the Withdrawn Routes field or MP_UNREACH_NLRI.
 * The bytes are exactly what encodeMessage would produce for the same UPDATE.
 */
import { attributesEncodingLength, encodeAttributes, mpReachFixedLength, writeMpReachFixed } from './attribute-encode.js';
import { attributesForPeer } from './as-path.js';
import {
  Afi,
  AttributeFlag,
  AttributeType,
  HEADER_LENGTH,
  MARKER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  Safi,
} from './constants.js';
import { encodedPrefixLength, writePrefix } from './nlri.js';
import { writeUint16 } from './octets.js';
import type { AddressFamily, CodecOptions, PathAttributes } from './types.js';

/** The longest a prefix can be on the wire: a length octet and 16 address octets. */
const LONGEST_PREFIX = 17;

function maxLength(options: CodecOptions): number {
  return options.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/**
 * Messages are carved out of 64 KiB slabs: allocating many small typed arrays one by one costs
 * more than packing them. A slab is fresh (zeroed) memory and no range is handed out twice; a
 * message keeps its slab alive (like Node's own Buffer pool).
 */
const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

function allocate(length: number): Uint8Array {
  if (length > SLAB_SIZE / 4) return new Uint8Array(length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, length);
  slabUsed += (length + 7) & ~7; // keep views 8-octet aligned
  return view;
}

/** A new message buffer with the RFC 4271 section 4.1 header (marker, length, type UPDATE) written. */
function newUpdate(length: number): Uint8Array {
  const buf = allocate(length);
  buf.fill(0xff, 0, MARKER_LENGTH);
  writeUint16(buf, MARKER_LENGTH, length);
  buf[MARKER_LENGTH + 2] = MessageType.UPDATE;
  return buf;
}

/** How many prefixes from `from` fit in `room` octets, and the octets they take. */
function countFitting(
  prefixes: readonly string[],
  from: number,
  room: number,
  family: AddressFamily,
): { count: number; octets: number } {
  const wantColon = family === 'ipv6';
  let octets = 0;
  let i = from;
  for (; i < prefixes.length; i++) {
    const prefix = prefixes[i] as string;
    if (prefix.includes(':') !== wantColon) throw new RangeError(`"${prefix}" is not an ${family} prefix`);
    const size = encodedPrefixLength(prefix);
    if (octets + size > room) break;
    octets += size;
  }
  return { count: i - from, octets };
}

function writeRange(prefixes: readonly string[], from: number, to: number, buf: Uint8Array, p: number): number {
  for (let i = from; i < to; i++) p += writePrefix(prefixes[i] as string, buf, p);
  return p;
}

/** Writes an attribute header with a 1- or 2-octet length as the value needs (RFC 4271 section 4.3). */
function writeHeader(buf: Uint8Array, p: number, typeCode: number, valueLength: number): number {
  if (valueLength > 255) {
    buf[p] = AttributeFlag.OPTIONAL | AttributeFlag.EXTENDED_LENGTH;
    buf[p + 1] = typeCode;
    writeUint16(buf, p + 2, valueLength);
    return p + 4;
  }
  buf[p] = AttributeFlag.OPTIONAL;
  buf[p + 1] = typeCode;
  buf[p + 2] = valueLength;
  return p + 3;
}

/**
 * The attribute set to send: adapted to the peer's ASN size, without the MP attributes (this call
 * writes its own) and, for IPv6, without NEXT_HOP (RFC 4760 section 3: an UPDATE whose routes are
 * all in MP_REACH_NLRI should not carry one). Built field by field so every call makes an object
 * of the same shape (rest destructuring would make a slow dictionary-mode object).
 */
function sharedAttributes(attributes: PathAttributes, family: AddressFamily, options: CodecOptions): PathAttributes {
  const a = attributesForPeer(attributes, options.fourOctetAs);
  if (family === 'ipv4' && a.nextHop === undefined) throw new RangeError('IPv4 announcements need attributes.nextHop');
  return {
    origin: a.origin,
    asPath: a.asPath,
    nextHop: family === 'ipv4' ? a.nextHop : undefined,
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: a.originatorId,
    clusterList: a.clusterList,
    extendedCommunities: a.extendedCommunities,
    as4Path: a.as4Path,
    as4Aggregator: a.as4Aggregator,
    largeCommunities: a.largeCommunities,
    unknown: a.unknown,
  };
}

/**
 * Whole UPDATE messages (19-octet header included) announcing `prefixes` with `attributes`, as
 * many prefixes per message as fit. IPv4: NLRI field and attributes.nextHop. IPv6: MP_REACH_NLRI
 * with `nextHopsV6` (a global address, optionally followed by a link-local one, RFC 2545).
 * `attributes` holds the true AS path: for a 2-octet peer AS_TRANS / AS4_PATH are produced here
 * (RFC 6793 section 4.2.2), for a 4-octet peer any AS4_* attribute is left out. Throws RangeError
 * for what cannot be encoded, e.g. attributes too large to leave room for a single prefix.
 * The messages may be views into a shared slab: write them, keep them, but never transfer or
 * detach their `.buffer`.
 */
export function packAnnouncements(
  attributes: PathAttributes,
  prefixes: readonly string[],
  family: AddressFamily,
  nextHopsV6: readonly string[] | undefined,
  options: CodecOptions,
): Uint8Array[] {
  if (prefixes.length === 0) return [];
  const shared = sharedAttributes(attributes, family, options);
  const attributeBytes = new Uint8Array(attributesEncodingLength(shared, options));
  encodeAttributes(shared, attributeBytes, 0, options);
  const max = maxLength(options);
  const messages: Uint8Array[] = [];

  if (family === 'ipv4') {
    const fixed = HEADER_LENGTH + 4 + attributeBytes.length;
    const room = max - fixed;
    if (room < LONGEST_PREFIX) throw new RangeError(`attributes of ${attributeBytes.length} octets leave no room for prefixes`);
    for (let from = 0; from < prefixes.length; ) {
      const { count, octets } = countFitting(prefixes, from, room, family);
      const buf = newUpdate(fixed + octets);
      let p = HEADER_LENGTH;
      writeUint16(buf, p, 0); // no withdrawn routes
      writeUint16(buf, p + 2, attributeBytes.length);
      buf.set(attributeBytes, p + 4);
      p += 4 + attributeBytes.length;
      writeRange(prefixes, from, from + count, buf, p);
      messages.push(buf);
      from += count;
    }
    return messages;
  }

  if (nextHopsV6 === undefined || nextHopsV6.length === 0) throw new RangeError('IPv6 announcements need nextHopsV6');
  const reach = { afi: Afi.IPV6, safi: Safi.UNICAST, nextHops: nextHopsV6 };
  const reachFixed = new Uint8Array(mpReachFixedLength(reach));
  writeMpReachFixed(reach, reachFixed, 0);
  // Room is reckoned with the 4-octet attribute header; the 3-octet one is used when the value is short.
  const fixedWithoutHeader = HEADER_LENGTH + 4 + reachFixed.length + attributeBytes.length;
  const room = max - fixedWithoutHeader - 4;
  if (room < LONGEST_PREFIX) throw new RangeError(`attributes of ${attributeBytes.length} octets leave no room for prefixes`);
  for (let from = 0; from < prefixes.length; ) {
    const { count, octets } = countFitting(prefixes, from, room, family);
    const valueLength = reachFixed.length + octets;
    const reachHeader = valueLength > 255 ? 4 : 3;
    const buf = newUpdate(fixedWithoutHeader + reachHeader + octets);
    let p = HEADER_LENGTH;
    writeUint16(buf, p, 0);
    writeUint16(buf, p + 2, reachHeader + valueLength + attributeBytes.length);
    p = writeHeader(buf, p + 4, AttributeType.MP_REACH_NLRI, valueLength);
    buf.set(reachFixed, p);
    p = writeRange(prefixes, from, from + count, buf, p + reachFixed.length);
    buf.set(attributeBytes, p);
    messages.push(buf);
    from += count;
  }
  return messages;
}

/**
 * Whole UPDATE messages withdrawing `prefixes`: the Withdrawn Routes field for IPv4,
 * MP_UNREACH_NLRI for IPv6 (RFC 4760 section 4), as many per message as fit.
 */
export function packWithdrawals(prefixes: readonly string[], family: AddressFamily, options: CodecOptions): Uint8Array[] {
  if (prefixes.length === 0) return [];
  const max = maxLength(options);
  const messages: Uint8Array[] = [];
  if (family === 'ipv4') {
    const room = max - HEADER_LENGTH - 4;
    for (let from = 0; from < prefixes.length; ) {
      const { count, octets } = countFitting(prefixes, from, room, family);
      const buf = newUpdate(HEADER_LENGTH + 4 + octets);
      writeUint16(buf, HEADER_LENGTH, octets);
      const p = writeRange(prefixes, from, from + count, buf, HEADER_LENGTH + 2);
      writeUint16(buf, p, 0); // no path attributes
      messages.push(buf);
      from += count;
    }
    return messages;
  }
  const room = max - HEADER_LENGTH - 4 - 4 - 3;
  for (let from = 0; from < prefixes.length; ) {
    const { count, octets } = countFitting(prefixes, from, room, family);
    const valueLength = 3 + octets;
    const header = valueLength > 255 ? 4 : 3;
    const buf = newUpdate(HEADER_LENGTH + 4 + header + valueLength);
    writeUint16(buf, HEADER_LENGTH, 0);
    writeUint16(buf, HEADER_LENGTH + 2, header + valueLength);
    let p = writeHeader(buf, HEADER_LENGTH + 4, AttributeType.MP_UNREACH_NLRI, valueLength);
    writeUint16(buf, p, Afi.IPV6);
    buf[p + 2] = Safi.UNICAST;
    p += 3;
    writeRange(prefixes, from, from + count, buf, p);
    messages.push(buf);
    from += count;
  }
  return messages;
}

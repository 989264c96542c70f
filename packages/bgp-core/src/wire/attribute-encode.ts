/**
 * Encoding the path attribute section of an UPDATE. MP_REACH_NLRI and MP_UNREACH_NLRI go first
 * (RFC 7606 section 5.1: a receiver can then always find the NLRI, even behind a broken attribute),
 * then every other attribute in type-code order, each with the Extended Length flag exactly when
 * its value exceeds 255 octets (RFC 4271 section 4.3). Internal: attributes.ts is the public face.
 */
import { AttributeFlag, AttributeType } from './constants.js';
import { expectedFlags, familyOfAfiSafi, isKnownAttribute, OPTIONAL_TRANSITIVE_BITS } from './attribute-decode.js';
import { encodedPrefixLength, parseIpv4, parseIpv6, writePrefix } from './nlri.js';
import { checkedInteger, writeUint16, writeUint32 } from './octets.js';
import type { AddressFamily, AsPathSegment, CodecOptions, MpReach, MpUnreach, PathAttributes, RawAttribute } from './types.js';

const { OPTIONAL, PARTIAL, EXTENDED_LENGTH, TRANSITIVE } = AttributeFlag;

/** The known attributes after the MP ones, in type-code order. */
const ENCODE_ORDER: readonly number[] = [
  AttributeType.ORIGIN,
  AttributeType.AS_PATH,
  AttributeType.NEXT_HOP,
  AttributeType.MULTI_EXIT_DISC,
  AttributeType.LOCAL_PREF,
  AttributeType.ATOMIC_AGGREGATE,
  AttributeType.AGGREGATOR,
  AttributeType.COMMUNITIES,
  AttributeType.ORIGINATOR_ID,
  AttributeType.CLUSTER_LIST,
  AttributeType.EXTENDED_COMMUNITIES,
  AttributeType.AS4_PATH,
  AttributeType.AS4_AGGREGATOR,
  AttributeType.LARGE_COMMUNITY,
];

const MAX_SEGMENT_ASNS = 255;

const ATTRIBUTE_NAMES = new Map<number, string>(Object.entries(AttributeType).map(([name, code]) => [code, name]));

function attributeName(typeCode: number): string {
  return ATTRIBUTE_NAMES.get(typeCode) ?? `type ${typeCode}`;
}

function headerLength(valueLength: number): number {
  return valueLength > 255 ? 4 : 3;
}

function writeAttributeHeader(buf: Uint8Array, p: number, flags: number, typeCode: number, valueLength: number): number {
  if (valueLength > 0xffff) {
    throw new RangeError(`the ${attributeName(typeCode)} attribute would be ${valueLength} octets; one attribute holds at most 65535`);
  }
  if (valueLength > 255) {
    buf[p] = flags | EXTENDED_LENGTH;
    buf[p + 1] = typeCode;
    writeUint16(buf, p + 2, valueLength);
    return 4;
  }
  buf[p] = flags & ~EXTENDED_LENGTH;
  buf[p + 1] = typeCode;
  buf[p + 2] = valueLength;
  return 3;
}

/** Octets of an AS_PATH / AS4_PATH value; segments over 255 ASNs become several segments of the same type. */
export function asPathValueLength(path: readonly AsPathSegment[], asnSize: 2 | 4): number {
  let length = 0;
  for (const segment of path) {
    const count = segment.asns.length;
    const pieces = Math.ceil(count / MAX_SEGMENT_ASNS);
    length += pieces * 2 + count * asnSize;
  }
  return length;
}

function writeAsPathValue(path: readonly AsPathSegment[], asnSize: 2 | 4, buf: Uint8Array, p: number): number {
  const start = p;
  for (const segment of path) {
    const asns = segment.asns;
    for (let from = 0; from < asns.length; from += MAX_SEGMENT_ASNS) {
      const count = Math.min(MAX_SEGMENT_ASNS, asns.length - from);
      buf[p] = segment.type;
      buf[p + 1] = count;
      p += 2;
      for (let i = from; i < from + count; i++) {
        const asn = asns[i] as number;
        if (asnSize === 4) {
          writeUint32(buf, p, checkedInteger(asn, 0xffffffff, 'ASN'));
        } else {
          // A 2-octet peer gets AS_TRANS and AS4_PATH instead (as-path.ts attributesForPeer).
          writeUint16(buf, p, checkedInteger(asn, 0xffff, 'ASN for a 2-octet AS_PATH (use attributesForPeer)'));
        }
        p += asnSize;
      }
    }
  }
  return p - start;
}

function mpFamily(afi: number, safi: number): AddressFamily {
  const family = familyOfAfiSafi(afi, safi);
  if (family === undefined) throw new RangeError(`AFI ${afi} SAFI ${safi} cannot be encoded (IPv4 and IPv6 unicast only)`);
  return family;
}

function prefixesLength(prefixes: readonly string[]): number {
  let length = 0;
  for (const prefix of prefixes) length += encodedPrefixLength(prefix);
  return length;
}

function writePrefixes(prefixes: readonly string[], buf: Uint8Array, p: number): number {
  const start = p;
  for (const prefix of prefixes) p += writePrefix(prefix, buf, p);
  return p - start;
}

/** The next hop field of MP_REACH_NLRI: 4 octets for IPv4, 16 or 32 (global + link-local) for IPv6. */
function mpNextHopLength(reach: MpReach): number {
  const family = mpFamily(reach.afi, reach.safi);
  const count = reach.nextHops.length;
  if (family === 'ipv4' ? count !== 1 : count !== 1 && count !== 2) {
    throw new RangeError(`MP_REACH_NLRI for ${family} cannot carry ${count} next hops`);
  }
  return family === 'ipv4' ? 4 : 16 * count;
}

/** Octets of the MP_REACH_NLRI value without its NLRI (the packer appends prefixes itself). */
export function mpReachFixedLength(reach: Pick<MpReach, 'afi' | 'safi' | 'nextHops'>): number {
  return 5 + mpNextHopLength(reach as MpReach);
}

/** Writes the MP_REACH_NLRI value up to (not including) the NLRI; returns octets written. */
export function writeMpReachFixed(reach: Pick<MpReach, 'afi' | 'safi' | 'nextHops'>, buf: Uint8Array, p: number): number {
  const nextHopLength = mpNextHopLength(reach as MpReach);
  writeUint16(buf, p, reach.afi);
  buf[p + 2] = reach.safi;
  buf[p + 3] = nextHopLength;
  let q = p + 4;
  for (const hop of reach.nextHops) q += nextHopLength === 4 ? parseIpv4(hop, buf, q) : parseIpv6(hop, buf, q);
  buf[q] = 0; // reserved
  return q + 1 - p;
}

function rawFlags(raw: RawAttribute): number {
  const flags = raw.flags & (OPTIONAL | TRANSITIVE | PARTIAL);
  // RFC 4271 section 5: an unrecognised optional transitive attribute is passed on with Partial set.
  return (flags & OPTIONAL_TRANSITIVE_BITS) === OPTIONAL_TRANSITIVE_BITS ? flags | PARTIAL : flags;
}

function isPresent(attributes: PathAttributes, typeCode: number): boolean {
  switch (typeCode) {
    case AttributeType.ORIGIN:
      return attributes.origin !== undefined;
    case AttributeType.AS_PATH:
      return attributes.asPath !== undefined;
    case AttributeType.NEXT_HOP:
      return attributes.nextHop !== undefined;
    case AttributeType.MULTI_EXIT_DISC:
      return attributes.med !== undefined;
    case AttributeType.LOCAL_PREF:
      return attributes.localPref !== undefined;
    case AttributeType.ATOMIC_AGGREGATE:
      return attributes.atomicAggregate === true;
    case AttributeType.AGGREGATOR:
      return attributes.aggregator !== undefined;
    // An empty list would be malformed on the wire (RFC 7606 section 7), so it is left out.
    case AttributeType.COMMUNITIES:
      return (attributes.communities?.length ?? 0) > 0;
    case AttributeType.ORIGINATOR_ID:
      return attributes.originatorId !== undefined;
    case AttributeType.CLUSTER_LIST:
      return (attributes.clusterList?.length ?? 0) > 0;
    case AttributeType.EXTENDED_COMMUNITIES:
      return (attributes.extendedCommunities?.length ?? 0) > 0;
    case AttributeType.AS4_PATH:
      return (attributes.as4Path?.length ?? 0) > 0;
    case AttributeType.AS4_AGGREGATOR:
      return attributes.as4Aggregator !== undefined;
    case AttributeType.LARGE_COMMUNITY:
      return (attributes.largeCommunities?.length ?? 0) > 0;
    default:
      return false;
  }
}

function valueLength(attributes: PathAttributes, typeCode: number, options: CodecOptions): number {
  switch (typeCode) {
    case AttributeType.ORIGIN:
      return 1;
    case AttributeType.AS_PATH:
      return asPathValueLength(attributes.asPath ?? [], options.fourOctetAs ? 4 : 2);
    case AttributeType.NEXT_HOP:
    case AttributeType.MULTI_EXIT_DISC:
    case AttributeType.LOCAL_PREF:
    case AttributeType.ORIGINATOR_ID:
      return 4;
    case AttributeType.ATOMIC_AGGREGATE:
      return 0;
    case AttributeType.AGGREGATOR:
      return options.fourOctetAs ? 8 : 6;
    case AttributeType.COMMUNITIES:
      return 4 * (attributes.communities?.length ?? 0);
    case AttributeType.CLUSTER_LIST:
      return 4 * (attributes.clusterList?.length ?? 0);
    case AttributeType.EXTENDED_COMMUNITIES:
      return 8 * (attributes.extendedCommunities?.length ?? 0);
    case AttributeType.AS4_PATH:
      return asPathValueLength(attributes.as4Path ?? [], 4);
    case AttributeType.AS4_AGGREGATOR:
      return 8;
    case AttributeType.LARGE_COMMUNITY:
      return 12 * (attributes.largeCommunities?.length ?? 0);
    default:
      return 0;
  }
}

function writeValue(attributes: PathAttributes, typeCode: number, buf: Uint8Array, p: number, options: CodecOptions): void {
  switch (typeCode) {
    case AttributeType.ORIGIN:
      buf[p] = checkedInteger(attributes.origin as number, 2, 'ORIGIN');
      return;
    case AttributeType.AS_PATH:
      writeAsPathValue(attributes.asPath ?? [], options.fourOctetAs ? 4 : 2, buf, p);
      return;
    case AttributeType.NEXT_HOP:
      parseIpv4(attributes.nextHop as string, buf, p);
      return;
    case AttributeType.MULTI_EXIT_DISC:
      writeUint32(buf, p, checkedInteger(attributes.med as number, 0xffffffff, 'MULTI_EXIT_DISC'));
      return;
    case AttributeType.LOCAL_PREF:
      writeUint32(buf, p, checkedInteger(attributes.localPref as number, 0xffffffff, 'LOCAL_PREF'));
      return;
    case AttributeType.ATOMIC_AGGREGATE:
      return;
    case AttributeType.AGGREGATOR: {
      const aggregator = attributes.aggregator as NonNullable<PathAttributes['aggregator']>;
      if (options.fourOctetAs) {
        writeUint32(buf, p, checkedInteger(aggregator.asn, 0xffffffff, 'AGGREGATOR ASN'));
        parseIpv4(aggregator.address, buf, p + 4);
      } else {
        writeUint16(buf, p, checkedInteger(aggregator.asn, 0xffff, 'AGGREGATOR ASN for a 2-octet peer (use attributesForPeer)'));
        parseIpv4(aggregator.address, buf, p + 2);
      }
      return;
    }
    case AttributeType.COMMUNITIES:
      for (const community of attributes.communities ?? []) {
        writeUint32(buf, p, checkedInteger(community, 0xffffffff, 'community'));
        p += 4;
      }
      return;
    case AttributeType.ORIGINATOR_ID:
      parseIpv4(attributes.originatorId as string, buf, p);
      return;
    case AttributeType.CLUSTER_LIST:
      for (const cluster of attributes.clusterList ?? []) p += parseIpv4(cluster, buf, p);
      return;
    case AttributeType.EXTENDED_COMMUNITIES:
      for (const community of attributes.extendedCommunities ?? []) {
        if (community.length !== 8) throw new RangeError(`an extended community is 8 octets, not ${community.length}`);
        buf.set(community, p);
        p += 8;
      }
      return;
    case AttributeType.AS4_PATH:
      writeAsPathValue(attributes.as4Path ?? [], 4, buf, p);
      return;
    case AttributeType.AS4_AGGREGATOR: {
      const aggregator = attributes.as4Aggregator as NonNullable<PathAttributes['as4Aggregator']>;
      writeUint32(buf, p, checkedInteger(aggregator.asn, 0xffffffff, 'AS4_AGGREGATOR ASN'));
      parseIpv4(aggregator.address, buf, p + 4);
      return;
    }
    case AttributeType.LARGE_COMMUNITY:
      for (const community of attributes.largeCommunities ?? []) {
        writeUint32(buf, p, checkedInteger(community.globalAdmin, 0xffffffff, 'large community global administrator'));
        writeUint32(buf, p + 4, checkedInteger(community.localData1, 0xffffffff, 'large community local data 1'));
        writeUint32(buf, p + 8, checkedInteger(community.localData2, 0xffffffff, 'large community local data 2'));
        p += 12;
      }
      return;
    default:
      return;
  }
}

function sortedUnknown(attributes: PathAttributes): readonly RawAttribute[] {
  const unknown = attributes.unknown;
  if (unknown === undefined || unknown.length === 0) return [];
  for (const raw of unknown) {
    if (isKnownAttribute(raw.typeCode)) throw new RangeError(`raw attribute ${raw.typeCode} is one the codec encodes itself`);
  }
  return [...unknown].sort((a, b) => a.typeCode - b.typeCode);
}

function mpReachValueLength(reach: MpReach): number {
  return mpReachFixedLength(reach) + prefixesLength(reach.nlri);
}

function mpUnreachValueLength(unreach: MpUnreach): number {
  mpFamily(unreach.afi, unreach.safi);
  return 3 + prefixesLength(unreach.withdrawn);
}

/** Exactly the octets encodeAttributes writes for this attribute set. */
export function attributesEncodingLength(attributes: PathAttributes, options: CodecOptions): number {
  let length = 0;
  if (attributes.mpReach !== undefined) {
    const value = mpReachValueLength(attributes.mpReach);
    length += headerLength(value) + value;
  }
  if (attributes.mpUnreach !== undefined) {
    const value = mpUnreachValueLength(attributes.mpUnreach);
    length += headerLength(value) + value;
  }
  for (const typeCode of ENCODE_ORDER) {
    if (!isPresent(attributes, typeCode)) continue;
    const value = valueLength(attributes, typeCode, options);
    length += headerLength(value) + value;
  }
  for (const raw of attributes.unknown ?? []) length += headerLength(raw.value.length) + raw.value.length;
  return length;
}

/**
 * Writes the path attribute section at `offset`; returns the octets written. MP attributes first
 * (RFC 7606 section 5.1), then type-code order, unknown transitive ones among them with Partial set.
 * Throws RangeError for values that cannot be encoded (e.g. a 4-octet ASN for a 2-octet peer).
 */
export function encodeAttributes(attributes: PathAttributes, buf: Uint8Array, offset: number, options: CodecOptions): number {
  let p = offset;
  const reach = attributes.mpReach;
  if (reach !== undefined) {
    const value = mpReachValueLength(reach);
    p += writeAttributeHeader(buf, p, OPTIONAL, AttributeType.MP_REACH_NLRI, value);
    p += writeMpReachFixed(reach, buf, p);
    p += writePrefixes(reach.nlri, buf, p);
  }
  const unreach = attributes.mpUnreach;
  if (unreach !== undefined) {
    const value = mpUnreachValueLength(unreach);
    p += writeAttributeHeader(buf, p, OPTIONAL, AttributeType.MP_UNREACH_NLRI, value);
    writeUint16(buf, p, unreach.afi);
    buf[p + 2] = unreach.safi;
    p += 3;
    p += writePrefixes(unreach.withdrawn, buf, p);
  }
  const unknown = sortedUnknown(attributes);
  let next = 0;
  const writeRaw = (raw: RawAttribute): void => {
    p += writeAttributeHeader(buf, p, rawFlags(raw), raw.typeCode, raw.value.length);
    buf.set(raw.value, p);
    p += raw.value.length;
  };
  for (const typeCode of ENCODE_ORDER) {
    while (next < unknown.length && (unknown[next] as RawAttribute).typeCode < typeCode) writeRaw(unknown[next++] as RawAttribute);
    if (!isPresent(attributes, typeCode)) continue;
    const value = valueLength(attributes, typeCode, options);
    p += writeAttributeHeader(buf, p, expectedFlags(typeCode), typeCode, value);
    writeValue(attributes, typeCode, buf, p, options);
    p += value;
  }
  while (next < unknown.length) writeRaw(unknown[next++] as RawAttribute);
  return p - offset;
}

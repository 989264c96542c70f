/**
 * Decoding the path attribute section of an UPDATE (RFC 4271 sections 4.3 and 5, RFC 4760,
 * RFC 1997, RFC 4360, RFC 4456, RFC 6793, RFC 8092) with the error handling of RFC 7606.
 * Internal to the wire folder: update.ts drives it; attributes.ts is the public face.
 *
 * A malformed attribute becomes a BgpWireError pushed onto `problems` with its action
 * (treat-as-withdraw or attribute-discard) and is left out of the result; only errors that leave
 * the message unparseable are thrown (session reset). update.ts adds the checks that depend on the
 * whole message (missing mandatory attributes, whether NEXT_HOP is usable).
 */
import { Afi, AsPathSegmentType, AttributeFlag, AttributeType, Safi } from './constants.js';
import type { AsPathSegmentTypeCode, OriginCode } from './constants.js';
import {
  attributeFlagsError,
  attributeLengthError,
  duplicateAttributeError,
  invalidOriginError,
  malformedAsPathError,
  optionalAttributeError,
  unrecognizedWellKnownError,
} from './attribute-errors.js';
import type { BgpWireError, ErrorAction } from './errors.js';
import { decodePrefixes, formatIpv4, formatIpv6 } from './nlri.js';
import { readUint16, readUint32 } from './octets.js';
import type { AddressFamily, AsPathSegment, CodecOptions, MpReach, MpUnreach, PathAttributes, RawAttribute } from './types.js';

export type MutablePathAttributes = { -readonly [K in keyof PathAttributes]: PathAttributes[K] };

const { OPTIONAL, TRANSITIVE, PARTIAL, EXTENDED_LENGTH } = AttributeFlag;
export const OPTIONAL_TRANSITIVE_BITS = OPTIONAL | TRANSITIVE;

/**
 * The Optional and Transitive bits each attribute we know must carry; 0 for attributes we do not
 * know (every known one has at least one of the two bits). RFC 4271 section 5, RFC 4760 section 3
 * and 4, RFC 1997, RFC 4456 section 8, RFC 4360 section 2, RFC 6793 section 3, RFC 8092 section 3.
 */
const EXPECTED_FLAGS = new Uint8Array(256);
EXPECTED_FLAGS[AttributeType.ORIGIN] = TRANSITIVE;
EXPECTED_FLAGS[AttributeType.AS_PATH] = TRANSITIVE;
EXPECTED_FLAGS[AttributeType.NEXT_HOP] = TRANSITIVE;
EXPECTED_FLAGS[AttributeType.MULTI_EXIT_DISC] = OPTIONAL;
EXPECTED_FLAGS[AttributeType.LOCAL_PREF] = TRANSITIVE;
EXPECTED_FLAGS[AttributeType.ATOMIC_AGGREGATE] = TRANSITIVE;
EXPECTED_FLAGS[AttributeType.AGGREGATOR] = OPTIONAL | TRANSITIVE;
EXPECTED_FLAGS[AttributeType.COMMUNITIES] = OPTIONAL | TRANSITIVE;
EXPECTED_FLAGS[AttributeType.ORIGINATOR_ID] = OPTIONAL;
EXPECTED_FLAGS[AttributeType.CLUSTER_LIST] = OPTIONAL;
EXPECTED_FLAGS[AttributeType.MP_REACH_NLRI] = OPTIONAL;
EXPECTED_FLAGS[AttributeType.MP_UNREACH_NLRI] = OPTIONAL;
EXPECTED_FLAGS[AttributeType.EXTENDED_COMMUNITIES] = OPTIONAL | TRANSITIVE;
EXPECTED_FLAGS[AttributeType.AS4_PATH] = OPTIONAL | TRANSITIVE;
EXPECTED_FLAGS[AttributeType.AS4_AGGREGATOR] = OPTIONAL | TRANSITIVE;
EXPECTED_FLAGS[AttributeType.LARGE_COMMUNITY] = OPTIONAL | TRANSITIVE;

/** The Optional and Transitive bits a known attribute carries, 0 for an attribute the codec does not know. */
export function expectedFlags(typeCode: number): number {
  return EXPECTED_FLAGS[typeCode] ?? 0;
}

/** Whether the codec interprets this attribute type (the rest are kept raw or dropped). */
export function isKnownAttribute(typeCode: number): boolean {
  return expectedFlags(typeCode) !== 0;
}

/** The address family of an AFI/SAFI pair this codec carries (unicast only), else undefined. */
export function familyOfAfiSafi(afi: number, safi: number): AddressFamily | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 'ipv4';
  if (afi === Afi.IPV6) return 'ipv6';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Walking the section

/** Where one attribute lies in the message buffer. */
export interface AttributeSpan {
  /** The flags octet: the start of the whole attribute (the Data of most NOTIFICATIONs). */
  readonly start: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly flags: number;
}

export interface SectionScan {
  /** End of the last whole attribute: the section end, unless it overran. */
  readonly end: number;
  /** RFC 7606 section 4: why the section could not be walked to its end, and where that happened. */
  readonly overrun: { readonly why: string; readonly at: number } | undefined;
  readonly mpReach: AttributeSpan | undefined;
  readonly mpUnreach: AttributeSpan | undefined;
}

/**
 * Walks the attribute headers of `buf[start, start + length)` without decoding values: finds the
 * MP_REACH_NLRI / MP_UNREACH_NLRI attributes (so the caller can key a cache on the rest) and
 * where the section stops making sense. Throws (session reset, RFC 7606 section 3(g)) when either
 * MP attribute appears twice.
 */
export function scanAttributeSection(buf: Uint8Array, start: number, length: number): SectionScan {
  const end = start + length;
  let p = start;
  let overrun: SectionScan['overrun'];
  let mpReach: AttributeSpan | undefined;
  let mpUnreach: AttributeSpan | undefined;
  while (p < end) {
    const remaining = end - p;
    const flags = buf[p] as number;
    const headerLength = flags & EXTENDED_LENGTH ? 4 : 3;
    if (remaining < headerLength) {
      overrun = { why: `${remaining} octet(s) left, too few for an attribute header`, at: p };
      break;
    }
    const typeCode = buf[p + 1] as number;
    const valueLength = headerLength === 4 ? readUint16(buf, p + 2) : (buf[p + 2] as number);
    const valueEnd = p + headerLength + valueLength;
    if (valueEnd > end) {
      overrun = { why: `attribute ${typeCode} of length ${valueLength} runs ${valueEnd - end} octet(s) past the end`, at: p };
      break;
    }
    if (typeCode === AttributeType.MP_REACH_NLRI) {
      if (mpReach !== undefined) throw duplicateAttributeError(typeCode, 'session-reset');
      mpReach = { start: p, valueStart: p + headerLength, valueEnd, flags };
    } else if (typeCode === AttributeType.MP_UNREACH_NLRI) {
      if (mpUnreach !== undefined) throw duplicateAttributeError(typeCode, 'session-reset');
      mpUnreach = { start: p, valueStart: p + headerLength, valueEnd, flags };
    }
    p = valueEnd;
  }
  return { end: p, overrun, mpReach, mpUnreach };
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Which of ORIGIN (bit 0), AS_PATH (bit 1) and NEXT_HOP (bit 2) were on the wire, well formed or not. */
export const PRESENT_ORIGIN = 1;
export const PRESENT_AS_PATH = 2;
export const PRESENT_NEXT_HOP = 4;

/** One "seen" flag per type code, reset per call (the codec is synchronous). */
const seenScratch = new Uint8Array(256);

/**
 * Decodes every attribute in `buf[start, end)` except MP_REACH_NLRI and MP_UNREACH_NLRI (decoded
 * per message by decodeMpReach / decodeMpUnreach). `end` must come from scanAttributeSection, so
 * every header is known to fit. Non-fatal errors go to `problems`; fatal ones are thrown.
 */
export function decodePathAttributes(
  buf: Uint8Array,
  start: number,
  end: number,
  options: CodecOptions,
  problems: BgpWireError[],
): { attributes: MutablePathAttributes; present: number } {
  const attributes: MutablePathAttributes = {};
  const seen = seenScratch;
  seen.fill(0);
  let present = 0;
  let p = start;
  while (p < end) {
    const flags = buf[p] as number;
    const typeCode = buf[p + 1] as number;
    const headerLength = flags & EXTENDED_LENGTH ? 4 : 3;
    const valueStart = p + headerLength;
    const valueLength = headerLength === 4 ? readUint16(buf, p + 2) : (buf[p + 2] as number);
    const attributeStart = p;
    p = valueStart + valueLength;
    if (typeCode === AttributeType.MP_REACH_NLRI || typeCode === AttributeType.MP_UNREACH_NLRI) continue;
    if (seen[typeCode] === 1) {
      // RFC 7606 section 3(g): keep the first, discard the others.
      problems.push(duplicateAttributeError(typeCode, 'attribute-discard'));
      continue;
    }
    seen[typeCode] = 1;
    if (typeCode >= AttributeType.ORIGIN && typeCode <= AttributeType.NEXT_HOP) present |= 1 << (typeCode - 1);
    decodeAttribute(buf, attributeStart, flags, typeCode, valueStart, valueLength, options, attributes, problems);
  }
  return { attributes, present };
}

function decodeAttribute(
  buf: Uint8Array,
  attributeStart: number,
  flags: number,
  typeCode: number,
  valueStart: number,
  valueLength: number,
  options: CodecOptions,
  out: MutablePathAttributes,
  problems: BgpWireError[],
): void {
  const valueEnd = valueStart + valueLength;
  const expected = EXPECTED_FLAGS[typeCode] as number;
  if (expected === 0) {
    if ((flags & OPTIONAL) === 0) throw unrecognizedWellKnownError(typeCode, buf.slice(attributeStart, valueEnd));
    if ((flags & TRANSITIVE) !== 0) {
      // RFC 4271 section 5: an unrecognised optional transitive attribute is passed on (with the
      // Partial bit, set by the encoder); an optional non-transitive one is quietly ignored.
      const raw: RawAttribute = { flags: flags & (OPTIONAL | TRANSITIVE | PARTIAL), typeCode, value: buf.slice(valueStart, valueEnd) };
      out.unknown = out.unknown === undefined ? [raw] : [...out.unknown, raw];
    }
    return;
  }

  if (typeCode === AttributeType.AS4_PATH || typeCode === AttributeType.AS4_AGGREGATOR) {
    if (options.fourOctetAs) {
      // RFC 6793 section 6: between two 4-octet speakers these attributes MUST be discarded.
      problems.push(optionalAttributeError(typeCode, 'received from a 4-octet AS speaker; discarded', 'attribute-discard', buf.slice(attributeStart, valueEnd)));
      return;
    }
  }

  if ((flags & OPTIONAL_TRANSITIVE_BITS) !== expected) {
    problems.push(attributeFlagsError(typeCode, flags, buf.slice(attributeStart, valueEnd)));
    return;
  }


  switch (typeCode) {
    case AttributeType.ORIGIN: {
      // RFC 7606 section 7.1.
      if (valueLength !== 1) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      const origin = buf[valueStart] as number;
      if (origin > 2) return void problems.push(invalidOriginError(origin, buf.slice(attributeStart, valueEnd)));
      out.origin = origin as OriginCode;
      return;
    }
    case AttributeType.AS_PATH: {
      // RFC 7606 section 7.2. The first-AS check of RFC 4271 section 6.3 needs the peer; not ours.
      const path = decodeAsPathValue(buf, valueStart, valueLength, options.fourOctetAs ? 4 : 2);
      if (typeof path === 'string') return void problems.push(malformedAsPathError(path));
      out.asPath = path;
      return;
    }
    case AttributeType.NEXT_HOP:
      // RFC 7606 section 7.3; whether the address is usable is checked in update.ts, where the NLRI is known.
      if (valueLength !== 4) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      out.nextHop = formatIpv4(buf, valueStart);
      return;
    case AttributeType.MULTI_EXIT_DISC:
      // RFC 7606 section 7.4.
      if (valueLength !== 4) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      out.med = readUint32(buf, valueStart);
      return;
    case AttributeType.LOCAL_PREF:
      // RFC 7606 section 7.5: treat-as-withdraw from an internal peer. (From an external peer the
      // attribute should be discarded whatever its length; the session layer knows which it is.)
      if (valueLength !== 4) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      out.localPref = readUint32(buf, valueStart);
      return;
    case AttributeType.ATOMIC_AGGREGATE:
      // RFC 7606 section 7.6.
      if (valueLength !== 0) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'attribute-discard'));
      out.atomicAggregate = true;
      return;
    case AttributeType.AGGREGATOR: {
      // RFC 7606 section 7.7: 6 octets with 2-octet ASNs, 8 with 4-octet ones.
      const asnSize = options.fourOctetAs ? 4 : 2;
      if (valueLength !== asnSize + 4) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'attribute-discard'));
      out.aggregator = {
        asn: asnSize === 4 ? readUint32(buf, valueStart) : readUint16(buf, valueStart),
        address: formatIpv4(buf, valueStart + asnSize),
      };
      return;
    }
    case AttributeType.COMMUNITIES: {
      // RFC 7606 section 7.8.
      if (valueLength === 0 || valueLength % 4 !== 0) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      const communities: number[] = [];
      for (let q = valueStart; q < valueEnd; q += 4) communities.push(readUint32(buf, q));
      out.communities = communities;
      return;
    }
    case AttributeType.ORIGINATOR_ID:
      // RFC 7606 section 7.9 (internal peer; the route reflector layer discards it from external ones).
      if (valueLength !== 4) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      out.originatorId = formatIpv4(buf, valueStart);
      return;
    case AttributeType.CLUSTER_LIST: {
      // RFC 7606 section 7.10.
      if (valueLength === 0 || valueLength % 4 !== 0) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      const clusters: string[] = [];
      for (let q = valueStart; q < valueEnd; q += 4) clusters.push(formatIpv4(buf, q));
      out.clusterList = clusters;
      return;
    }
    case AttributeType.EXTENDED_COMMUNITIES: {
      // RFC 7606 section 7.14.
      if (valueLength === 0 || valueLength % 8 !== 0) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      const communities: Uint8Array[] = [];
      for (let q = valueStart; q < valueEnd; q += 8) communities.push(buf.slice(q, q + 8));
      out.extendedCommunities = communities;
      return;
    }
    case AttributeType.AS4_PATH: {
      // RFC 6793 section 6 (RFC 7606 does not revise it): a malformed AS4_PATH is discarded.
      const path = decodeAsPathValue(buf, valueStart, valueLength, 4);
      if (typeof path === 'string') {
        return void problems.push(optionalAttributeError(typeCode, path, 'attribute-discard', buf.slice(attributeStart, valueEnd)));
      }
      out.as4Path = path;
      return;
    }
    case AttributeType.AS4_AGGREGATOR:
      // RFC 6793 section 6: anything but 8 octets is discarded.
      if (valueLength !== 8) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'attribute-discard'));
      out.as4Aggregator = { asn: readUint32(buf, valueStart), address: formatIpv4(buf, valueStart + 4) };
      return;
    case AttributeType.LARGE_COMMUNITY: {
      // RFC 8092 section 6.
      if (valueLength === 0 || valueLength % 12 !== 0) return void problems.push(lengthError(buf, attributeStart, valueEnd, 'treat-as-withdraw'));
      const communities: { globalAdmin: number; localData1: number; localData2: number }[] = [];
      for (let q = valueStart; q < valueEnd; q += 12) {
        communities.push({ globalAdmin: readUint32(buf, q), localData1: readUint32(buf, q + 4), localData2: readUint32(buf, q + 8) });
      }
      out.largeCommunities = communities;
      return;
    }
    default:
      // MP_REACH_NLRI and MP_UNREACH_NLRI never reach here (decodePathAttributes skips them).
      return;
  }
}

/** Attribute Length Error for the attribute at buf[start, end), with its octets as the Data. */
function lengthError(buf: Uint8Array, start: number, end: number, action: ErrorAction): BgpWireError {
  const flags = buf[start] as number;
  const valueLength = end - start - (flags & EXTENDED_LENGTH ? 4 : 3);
  return attributeLengthError(buf[start + 1] as number, valueLength, action, buf.slice(start, end));
}

/**
 * An AS_PATH or AS4_PATH value, or the reason it is malformed (RFC 7606 section 7.2): an unknown
 * segment type, a segment of length zero, a segment running past the attribute, or a single octet
 * left over after the last segment.
 */
export function decodeAsPathValue(buf: Uint8Array, start: number, length: number, asnSize: 2 | 4): AsPathSegment[] | string {
  const end = start + length;
  const segments: AsPathSegment[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 2) return 'a single octet is left after the last segment';
    const type = buf[p] as number;
    const count = buf[p + 1] as number;
    if (type < AsPathSegmentType.AS_SET || type > AsPathSegmentType.AS_CONFED_SET) return `unknown segment type ${type}`;
    if (count === 0) return 'a segment of length zero';
    const segmentEnd = p + 2 + count * asnSize;
    if (segmentEnd > end) return `a segment of ${count} ASNs runs past the end of the attribute`;
    // Sized up front: a pushed-to [] keeps room for 17 entries, and a full table holds 250,000 paths.
    const asns = new Array<number>(count);
    for (let i = 0, q = p + 2; i < count; i++, q += asnSize) asns[i] = asnSize === 4 ? readUint32(buf, q) : readUint16(buf, q);
    segments.push({ type: type as AsPathSegmentTypeCode, asns });
    p = segmentEnd;
  }
  return segments;
}

/** The whole attribute (flags, type, length, value): the Data of its NOTIFICATION. */
function attributeOctets(buf: Uint8Array, span: AttributeSpan): Uint8Array {
  return buf.slice(span.start, span.valueEnd);
}

/**
 * MP_REACH_NLRI (RFC 4760 section 3; IPv6 next hops per RFC 2545 section 3). A flags conflict is a
 * treat-as-withdraw problem (the NLRI is still read, to be withdrawn). Anything that stops us
 * finding the NLRI is thrown: RFC 7606 section 7.11 allows "session reset" or "AFI/SAFI disable";
 * this codec resets the session (it keeps no per-family state to disable). An AFI/SAFI we do not
 * carry is an attribute-discard problem and undefined: we never asked for it, so it has no routes
 * of ours to withdraw.
 */
export function decodeMpReach(buf: Uint8Array, span: AttributeSpan, problems: BgpWireError[]): MpReach | undefined {
  const typeCode = AttributeType.MP_REACH_NLRI;
  const { valueStart, valueEnd } = span;
  const length = valueEnd - valueStart;
  if ((span.flags & OPTIONAL_TRANSITIVE_BITS) !== OPTIONAL) problems.push(attributeFlagsError(typeCode, span.flags, attributeOctets(buf, span)));
  if (length < 5) throw optionalAttributeError(typeCode, `length ${length} is too short`, 'session-reset', attributeOctets(buf, span));
  const afi = readUint16(buf, valueStart);
  const safi = buf[valueStart + 2] as number;
  const nextHopLength = buf[valueStart + 3] as number;
  if (5 + nextHopLength > length) {
    throw optionalAttributeError(typeCode, `next hop length ${nextHopLength} runs past the attribute`, 'session-reset', attributeOctets(buf, span));
  }
  const family = familyOfAfiSafi(afi, safi);
  if (family === undefined) {
    problems.push(optionalAttributeError(typeCode, `AFI ${afi} SAFI ${safi} is not carried; ignored`, 'attribute-discard', attributeOctets(buf, span)));
    return undefined;
  }
  const hop = valueStart + 4;
  let nextHops: string[];
  if (family === 'ipv4' && nextHopLength === 4) nextHops = [formatIpv4(buf, hop)];
  else if (family === 'ipv6' && nextHopLength === 16) nextHops = [formatIpv6(buf, hop)];
  else if (family === 'ipv6' && nextHopLength === 32) nextHops = [formatIpv6(buf, hop), formatIpv6(buf, hop + 16)];
  else throw optionalAttributeError(typeCode, `next hop length ${nextHopLength} is wrong for ${family}`, 'session-reset', attributeOctets(buf, span));
  // One reserved octet follows the next hop (RFC 4760 section 3: ignored on receipt).
  const nlriStart = hop + nextHopLength + 1;
  let nlri: string[];
  try {
    nlri = decodePrefixes(buf, nlriStart, valueEnd - nlriStart, family);
  } catch (error) {
    throw optionalAttributeError(typeCode, (error as Error).message, 'session-reset', attributeOctets(buf, span));
  }
  return { afi, safi, nextHops, nlri };
}

/** MP_UNREACH_NLRI (RFC 4760 section 4), with the same error handling as decodeMpReach. */
export function decodeMpUnreach(buf: Uint8Array, span: AttributeSpan, problems: BgpWireError[]): MpUnreach | undefined {
  const typeCode = AttributeType.MP_UNREACH_NLRI;
  const { valueStart, valueEnd } = span;
  const length = valueEnd - valueStart;
  if ((span.flags & OPTIONAL_TRANSITIVE_BITS) !== OPTIONAL) problems.push(attributeFlagsError(typeCode, span.flags, attributeOctets(buf, span)));
  if (length < 3) throw optionalAttributeError(typeCode, `length ${length} is too short`, 'session-reset', attributeOctets(buf, span));
  const afi = readUint16(buf, valueStart);
  const safi = buf[valueStart + 2] as number;
  const family = familyOfAfiSafi(afi, safi);
  if (family === undefined) {
    problems.push(optionalAttributeError(typeCode, `AFI ${afi} SAFI ${safi} is not carried; ignored`, 'attribute-discard', attributeOctets(buf, span)));
    return undefined;
  }
  let withdrawn: string[];
  try {
    withdrawn = decodePrefixes(buf, valueStart + 3, length - 3, family);
  } catch (error) {
    throw optionalAttributeError(typeCode, (error as Error).message, 'session-reset', attributeOctets(buf, span));
  }
  return { afi, safi, withdrawn };
}

/**
 * Freezes an attribute set and everything in it except byte arrays (a typed array with elements
 * cannot be frozen). Attribute sets are shared between routes, so nobody may change one. Field by
 * field rather than a generic walk: this runs once per distinct set on the decode hot path.
 */
export function freezeAttributes<T extends PathAttributes>(attributes: T): T {
  const { asPath, as4Path, aggregator, as4Aggregator, communities, clusterList, extendedCommunities, largeCommunities, unknown, mpReach, mpUnreach } =
    attributes;
  if (asPath !== undefined) freezeSegments(asPath);
  if (as4Path !== undefined) freezeSegments(as4Path);
  if (aggregator !== undefined) Object.freeze(aggregator);
  if (as4Aggregator !== undefined) Object.freeze(as4Aggregator);
  if (communities !== undefined) Object.freeze(communities);
  if (clusterList !== undefined) Object.freeze(clusterList);
  if (extendedCommunities !== undefined) Object.freeze(extendedCommunities);
  if (largeCommunities !== undefined) {
    for (const community of largeCommunities) Object.freeze(community);
    Object.freeze(largeCommunities);
  }
  if (unknown !== undefined) {
    for (const raw of unknown) Object.freeze(raw);
    Object.freeze(unknown);
  }
  if (mpReach !== undefined) {
    Object.freeze(mpReach.nextHops);
    Object.freeze(mpReach.nlri);
    Object.freeze(mpReach);
  }
  if (mpUnreach !== undefined) {
    Object.freeze(mpUnreach.withdrawn);
    Object.freeze(mpUnreach);
  }
  return Object.freeze(attributes);
}

function freezeSegments(path: readonly AsPathSegment[]): void {
  if (Object.isFrozen(path)) return;
  for (const segment of path) {
    Object.freeze(segment.asns);
    Object.freeze(segment);
  }
  Object.freeze(path);
}

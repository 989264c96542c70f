/**
 * The UPDATE message body (RFC 4271 section 4.3): Withdrawn Routes, Path Attributes, NLRI.
 *
 * Decoding applies RFC 7606: errors that leave the message unparseable are thrown (session reset),
 * the rest are reported in `UpdateMessage.problems` with their action. Attribute sets repeat across
 * a table (many UPDATEs, few distinct attribute sets), so an AttributeCache keyed by the raw octets
 * decodes each set once and hands back the same frozen object, which the RIB can intern by identity.
 */
import { AttributeCache } from './attribute-cache.js';
import type { CacheEntry } from './attribute-cache.js';
import type { Codec } from './codec.js';
import { Afi, AttributeType, Safi } from './constants.js';
import {
  decodeMpReach,
  decodeMpUnreach,
  decodePathAttributes,
  familyOfAfiSafi,
  freezeAttributes,
  PRESENT_AS_PATH,
  PRESENT_NEXT_HOP,
  PRESENT_ORIGIN,
  scanAttributeSection,
} from './attribute-decode.js';
import type { MutablePathAttributes, SectionScan } from './attribute-decode.js';
import { attributesEncodingLength, encodeAttributes } from './attribute-encode.js';
import {
  attributeOverrunError,
  invalidNextHopError,
  malformedAttributeListError,
  missingWellKnownError,
} from './attribute-errors.js';
import type { BgpWireError } from './errors.js';
import { decodePrefixes, encodedPrefixLength, parseIpv4, writePrefix } from './nlri.js';
import { readUint16, writeUint16 } from './octets.js';
import type { AddressFamily, CodecOptions, MpReach, MpUnreach, PathAttributes, UpdateMessage } from './types.js';

export { AttributeCache } from './attribute-cache.js';

const EMPTY_ENTRY: CacheEntry = { attributes: freezeAttributes({}), problems: undefined, present: 0 };

/** Per-message attribute objects (with MP attributes) -> the shared set they were built on. */
const sharedSetOf = new WeakMap<PathAttributes, PathAttributes>();

/**
 * The attributes of a route: `attributes` without MP_REACH_NLRI and MP_UNREACH_NLRI (which hold
 * the message's NLRI, not properties of a route). For attributes from decodeUpdateBody with an
 * AttributeCache this is the one frozen object shared by every UPDATE with the same attribute
 * octets, for IPv6 too, so the RIB can intern by identity. (IPv6 next hops are in mpReach.nextHops.)
 */
export function routeAttributes(attributes: PathAttributes): PathAttributes {
  const shared = sharedSetOf.get(attributes);
  if (shared !== undefined) return shared;
  if (attributes.mpReach === undefined && attributes.mpUnreach === undefined) return attributes;
  const { mpReach: _reach, mpUnreach: _unreach, ...rest } = attributes;
  return freezeAttributes(rest);
}

function decodeEntry(buf: Uint8Array, start: number, end: number, options: CodecOptions): CacheEntry {
  const problems: BgpWireError[] = [];
  const { attributes, present } = decodePathAttributes(buf, start, end, options, problems);
  return { attributes: freezeAttributes(attributes), problems: problems.length > 0 ? problems : undefined, present };
}

/**
 * Whether an IPv4 NEXT_HOP can be a next hop at all: not in 0.0.0.0/8 ("this network"), not
 * multicast (224.0.0.0/4), not reserved or broadcast (240.0.0.0/4). Whether it is one of our own
 * addresses or on a shared subnet (RFC 4271 section 5.1.3) is for the session to judge.
 */
function isUsableNextHop(nextHop: string): boolean {
  const dot = nextHop.indexOf('.');
  const first = Number(nextHop.slice(0, dot));
  return first !== 0 && first < 224;
}

function nextHopAttribute(nextHop: string): Uint8Array {
  const attribute = Uint8Array.of(0x40, AttributeType.NEXT_HOP, 4, 0, 0, 0, 0);
  parseIpv4(nextHop, attribute, 3);
  return attribute;
}

/**
 * Decodes an UPDATE body (the message after its 19-octet header). Throws BgpWireError for errors
 * that reset the session; other errors are in `problems` (see types.ts). With `cache`, identical
 * attribute sets give the identical frozen object (for messages with MP attributes, see
 * routeAttributes).
 */
export function decodeUpdateBody(
  buf: Uint8Array,
  offset: number,
  length: number,
  options: CodecOptions,
  cache?: AttributeCache,
): UpdateMessage {
  const end = offset + length;
  // RFC 4271 section 6.3: lengths that do not fit the message are a Malformed Attribute List;
  // RFC 7606 leaves that a session reset (nothing after it can be located).
  if (length < 4) throw malformedAttributeListError(`body of ${length} octets cannot hold the two length fields`);
  const withdrawnLength = readUint16(buf, offset);
  if (4 + withdrawnLength > length) {
    throw malformedAttributeListError(`Withdrawn Routes Length ${withdrawnLength} runs past the ${length}-octet body`);
  }
  const attributesLengthAt = offset + 2 + withdrawnLength;
  const attributesLength = readUint16(buf, attributesLengthAt);
  const attributesStart = attributesLengthAt + 2;
  const nlriStart = attributesStart + attributesLength;
  if (nlriStart > end) {
    throw malformedAttributeListError(`Total Path Attribute Length ${attributesLength} runs past the ${length}-octet body`);
  }

  // RFC 7606 sections 3 and 5.3: a Withdrawn Routes or NLRI field that does not parse resets the session.
  const withdrawn = decodePrefixes(buf, offset + 2, withdrawnLength, 'ipv4');
  const nlri = decodePrefixes(buf, nlriStart, end - nlriStart, 'ipv4');

  let entry = EMPTY_ENTRY;
  let scan: SectionScan | undefined;
  if (attributesLength > 0) {
    scan = scanAttributeSection(buf, attributesStart, attributesLength);
    if (cache !== undefined && scan.overrun === undefined) {
      entry = cache.get(buf, attributesStart, scan, options, decodeEntry);
    } else {
      entry = decodeEntry(buf, attributesStart, scan.end, options);
    }
  }

  let problems: BgpWireError[] | undefined = entry.problems === undefined ? undefined : [...entry.problems];

  let attributes = entry.attributes;
  let reach: MpReach | undefined;
  let unreach: MpUnreach | undefined;
  if (scan !== undefined && (scan.mpReach !== undefined || scan.mpUnreach !== undefined)) {
    const mpProblems: BgpWireError[] = [];
    if (scan.mpReach !== undefined) reach = decodeMpReach(buf, scan.mpReach, mpProblems);
    if (scan.mpUnreach !== undefined) unreach = decodeMpUnreach(buf, scan.mpUnreach, mpProblems);
    if (mpProblems.length > 0) problems = problems === undefined ? mpProblems : [...problems, ...mpProblems];
    if (reach !== undefined || unreach !== undefined) {
      const combined: MutablePathAttributes = { ...entry.attributes };
      if (reach !== undefined) combined.mpReach = reach;
      if (unreach !== undefined) combined.mpUnreach = unreach;
      attributes = freezeAttributes(combined);
      sharedSetOf.set(attributes, entry.attributes);
    }
  }

  if (scan?.overrun !== undefined) {
    // RFC 7606 section 4: treat-as-withdraw, relying on the Total Path Attribute Length to find the
    // NLRI. But treat-as-withdraw needs every NLRI of the message parsed (section 3): if neither MP
    // attribute was found before the break and the NLRI field is empty, an MP_REACH_NLRI may be
    // hidden behind it, so the session is reset instead.
    const canWithdrawAll = nlri.length > 0 || scan.mpReach !== undefined || scan.mpUnreach !== undefined;
    const rest = buf.slice(scan.overrun.at, nlriStart);
    const error = attributeOverrunError(scan.overrun.why, canWithdrawAll ? 'treat-as-withdraw' : 'session-reset', rest);
    if (!canWithdrawAll) throw error;
    problems = withProblem(problems, error);
  } else if (nlri.length > 0 || (reach !== undefined && reach.nlri.length > 0)) {
    // RFC 7606 section 3(d); RFC 4760 section 3 makes NEXT_HOP mandatory only for NLRI-field routes.
    if ((entry.present & PRESENT_ORIGIN) === 0) problems = withProblem(problems, missingWellKnownError(AttributeType.ORIGIN));
    if ((entry.present & PRESENT_AS_PATH) === 0) problems = withProblem(problems, missingWellKnownError(AttributeType.AS_PATH));
    if (nlri.length > 0 && (entry.present & PRESENT_NEXT_HOP) === 0) problems = withProblem(problems, missingWellKnownError(AttributeType.NEXT_HOP));
  }
  // RFC 4760 section 3: without NLRI-field routes NEXT_HOP is ignored, so only then is it judged.
  const nextHop = attributes.nextHop;
  if (nlri.length > 0 && nextHop !== undefined && !isUsableNextHop(nextHop)) {
    problems = withProblem(problems, invalidNextHopError(nextHop, nextHopAttribute(nextHop)));
  }

  if (problems === undefined) return { type: 'update', withdrawn, attributes, nlri };
  return { type: 'update', withdrawn, attributes, nlri, problems };
}

function withProblem(problems: BgpWireError[] | undefined, problem: BgpWireError): BgpWireError[] {
  if (problems === undefined) return [problem];
  problems.push(problem);
  return problems;
}

function prefixesLength(prefixes: readonly string[]): number {
  let length = 0;
  for (const prefix of prefixes) length += encodedPrefixLength(prefix);
  return length;
}

/**
 * The UPDATE body as a codec unit. `decode` is decodeUpdateBody without a cache; `encode` writes
 * the message as given (no AS_TRANS conversion: see attributesForPeer in as-path.ts) and throws
 * RangeError for what cannot be encoded. Message size limits are checked by message.ts / packer.ts.
 */
export const updateBody: Codec<UpdateMessage> = {
  encodingLength(value: UpdateMessage, options: CodecOptions): number {
    return 4 + prefixesLength(value.withdrawn) + attributesEncodingLength(value.attributes, options) + prefixesLength(value.nlri);
  },
  encode(value: UpdateMessage, buf: Uint8Array, offset: number, options: CodecOptions): number {
    let p = offset + 2;
    for (const prefix of value.withdrawn) p += writePrefix(prefix, buf, p);
    const withdrawnLength = p - offset - 2;
    if (withdrawnLength > 0xffff) throw new RangeError(`Withdrawn Routes of ${withdrawnLength} octets exceed 65535`);
    writeUint16(buf, offset, withdrawnLength);
    const attributesLengthAt = p;
    const attributesLength = encodeAttributes(value.attributes, buf, p + 2, options);
    if (attributesLength > 0xffff) throw new RangeError(`Path Attributes of ${attributesLength} octets exceed 65535`);
    writeUint16(buf, attributesLengthAt, attributesLength);
    p += 2 + attributesLength;
    for (const prefix of value.nlri) p += writePrefix(prefix, buf, p);
    return p - offset;
  },
  decode(buf: Uint8Array, offset: number, length: number, options: CodecOptions): UpdateMessage {
    return decodeUpdateBody(buf, offset, length, options);
  },
};

/**
 * The End-of-RIB marker of RFC 4724 section 2: for IPv4 unicast an UPDATE with nothing in it; for
 * other families an UPDATE with only an empty MP_UNREACH_NLRI for that AFI/SAFI.
 */
export function endOfRib(family: AddressFamily): UpdateMessage {
  if (family === 'ipv4') return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: { mpUnreach: { afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: [] } }, nlri: [] };
}

/** The family whose End-of-RIB this UPDATE is (RFC 4724 section 2), or undefined when it is not one. */
export function endOfRibFamily(update: UpdateMessage): AddressFamily | undefined {
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  const keys = Object.keys(update.attributes);
  if (keys.length === 0) return 'ipv4';
  const unreach = update.attributes.mpUnreach;
  if (keys.length === 1 && unreach !== undefined && unreach.withdrawn.length === 0) return familyOfAfiSafi(unreach.afi, unreach.safi);
  return undefined;
}

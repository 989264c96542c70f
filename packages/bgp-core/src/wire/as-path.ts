/**
 * AS path arithmetic: the RFC 6793 dance between 2-octet and 4-octet speakers, prepending, and the
 * path length used by the decision process. Pure functions over readonly segment arrays; nothing
 * here touches bytes (attributes.ts does).
 */
import { AS_TRANS, AsPathSegmentType } from './constants.js';
import type { AsPathSegment, PathAttributes } from './types.js';

const MAX_TWO_OCTET_ASN = 0xffff;

function isConfederation(segment: AsPathSegment): boolean {
  return segment.type === AsPathSegmentType.AS_CONFED_SEQUENCE || segment.type === AsPathSegmentType.AS_CONFED_SET;
}

/**
 * RFC 4271 section 9.1.2.2 (a) with RFC 5065 section 5.3: an AS_SET counts as one, confederation
 * segments count as nothing, every ASN of an AS_SEQUENCE counts as one.
 */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let length = 0;
  for (const segment of path) {
    if (segment.type === AsPathSegmentType.AS_SEQUENCE) length += segment.asns.length;
    else if (segment.type === AsPathSegmentType.AS_SET) length += 1;
  }
  return length;
}

/** The ASNs of the AS_SEQUENCE segments in order, for display and simple matching. */
export function asPathToArray(path: readonly AsPathSegment[]): number[] {
  const asns: number[] = [];
  for (const segment of path) {
    if (segment.type === AsPathSegmentType.AS_SEQUENCE) asns.push(...segment.asns);
  }
  return asns;
}

/**
 * Prepends `asn` `times` times (RFC 4271 section 5.1.2): into the leading AS_SEQUENCE when there is
 * one, else as a new leading AS_SEQUENCE. The encoder splits segments longer than 255.
 */
export function prependAsn(path: readonly AsPathSegment[], asn: number, times = 1): AsPathSegment[] {
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw new RangeError(`ASN ${asn} is out of range`);
  if (!Number.isInteger(times) || times < 0) throw new RangeError(`prepend count ${times} is not a whole number`);
  if (times === 0) return [...path];
  const added = new Array<number>(times).fill(asn);
  const first = path[0];
  if (first !== undefined && first.type === AsPathSegmentType.AS_SEQUENCE) {
    return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [...added, ...first.asns] }, ...path.slice(1)];
  }
  return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: added }, ...path];
}

/**
 * RFC 6793 section 4.2.3: the real path from what a 2-octet ("OLD") speaker passed on. The AS_PATH
 * has AS_TRANS where a 4-octet ASN stood; AS4_PATH has the true ASNs of the trailing part. When the
 * AS_PATH counts fewer ASNs than AS4_PATH, AS4_PATH is ignored (it is inconsistent). Otherwise the
 * leading part of AS_PATH that AS4_PATH does not cover is kept, with confederation segments that
 * lead or adjoin it, and AS4_PATH follows. Confederation segments inside AS4_PATH are dropped
 * (RFC 6793 section 3 forbids them there).
 */
export function reconstructAsPath(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[] | undefined,
): AsPathSegment[] {
  if (as4Path === undefined) return [...asPath];
  const trueTail = as4Path.filter((segment) => !isConfederation(segment));
  let needed = asPathLength(asPath) - asPathLength(trueTail);
  if (needed < 0) return [...asPath];

  const merged: AsPathSegment[] = [];
  for (const segment of asPath) {
    if (isConfederation(segment)) {
      // Leading, or adjoining what was taken: everything before it has been taken (we stop at the first gap).
      merged.push(segment);
      continue;
    }
    if (needed === 0) break;
    if (segment.type === AsPathSegmentType.AS_SET) {
      merged.push(segment);
      needed -= 1;
    } else if (segment.asns.length <= needed) {
      merged.push(segment);
      needed -= segment.asns.length;
    } else {
      merged.push({ type: segment.type, asns: segment.asns.slice(0, needed) });
      needed = 0;
    }
  }

  for (const segment of trueTail) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.type === AsPathSegmentType.AS_SEQUENCE && segment.type === AsPathSegmentType.AS_SEQUENCE) {
      // One sequence split across the two attributes is one sequence again.
      merged[merged.length - 1] = { type: AsPathSegmentType.AS_SEQUENCE, asns: [...last.asns, ...segment.asns] };
    } else {
      merged.push(segment);
    }
  }
  return merged;
}

/**
 * RFC 6793 section 4.2.2: the AS_PATH to send to a 2-octet peer, every ASN above 65535 replaced by
 * AS_TRANS, and the AS4_PATH carrying the true ASNs (confederation segments left out), or
 * undefined when nothing had to be replaced.
 */
export function toTwoOctetPath(path: readonly AsPathSegment[]): {
  asPath: AsPathSegment[];
  as4Path: AsPathSegment[] | undefined;
} {
  let replaced = false;
  const asPath = path.map((segment) => {
    if (!segment.asns.some((asn) => asn > MAX_TWO_OCTET_ASN)) return segment;
    replaced = true;
    return { type: segment.type, asns: segment.asns.map((asn) => (asn > MAX_TWO_OCTET_ASN ? AS_TRANS : asn)) };
  });
  return { asPath, as4Path: replaced ? path.filter((segment) => !isConfederation(segment)) : undefined };
}

/**
 * RFC 6793 section 4.2.3 applied to a whole attribute set received from a 2-octet peer: the true
 * AS path (from AS_PATH and AS4_PATH) and the true aggregator (from AGGREGATOR and AS4_AGGREGATOR),
 * with AS4_PATH and AS4_AGGREGATOR removed. When AGGREGATOR carries an ASN other than AS_TRANS,
 * both AS4_ attributes are ignored: an OLD speaker aggregated after the NEW ones.
 */
export function resolveFourOctetAttributes(attributes: PathAttributes): PathAttributes {
  if (attributes.as4Path === undefined && attributes.as4Aggregator === undefined) return attributes;
  const { as4Path, as4Aggregator, ...rest } = attributes;
  const aggregatorOverrides = rest.aggregator !== undefined && rest.aggregator.asn !== AS_TRANS;
  if (aggregatorOverrides) return rest;
  const resolved: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...rest };
  if (as4Path !== undefined && rest.asPath !== undefined) resolved.asPath = reconstructAsPath(rest.asPath, as4Path);
  if (as4Aggregator !== undefined && rest.aggregator !== undefined) resolved.aggregator = as4Aggregator;
  return resolved;
}

/**
 * The attribute set as it must go to a peer with the given 4-octet AS capability (RFC 6793):
 * to a 4-octet peer AS4_PATH and AS4_AGGREGATOR are never sent (section 4.1); to a 2-octet peer,
 * ASNs above 65535 become AS_TRANS with AS4_PATH / AS4_AGGREGATOR carrying the true values
 * (section 4.2.2). `attributes` holds the true (reconstructed) path.
 */
export function attributesForPeer(attributes: PathAttributes, fourOctetAs: boolean): PathAttributes {
  if (fourOctetAs && attributes.as4Path === undefined && attributes.as4Aggregator === undefined) return attributes;
  const { as4Path: _path, as4Aggregator: _aggregator, ...rest } = attributes;
  if (fourOctetAs) return rest;
  const adapted: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...rest };
  if (rest.asPath !== undefined) {
    const { asPath, as4Path } = toTwoOctetPath(rest.asPath);
    adapted.asPath = asPath;
    if (as4Path !== undefined) adapted.as4Path = as4Path;
  }
  if (rest.aggregator !== undefined && rest.aggregator.asn > MAX_TWO_OCTET_ASN) {
    adapted.as4Aggregator = rest.aggregator;
    adapted.aggregator = { asn: AS_TRANS, address: rest.aggregator.address };
  }
  return adapted;
}

/**
 * Pool address entries: a CIDR or an inclusive "first-last" range, IPv4 or IPv6, as MetalLB's
 * ParseCIDR takes them (metallb/metallb internal/config/config.go): host bits in a CIDR are
 * allowed and cleared (net.ParseCIDR does the same), blanks around the dash are forgiven.
 *
 * Parsing and address arithmetic use ip-num. Overlap and coverage are compared on the bigint
 * bounds ip-num gives rather than with RangedSet.isOverlapping: in ip-num 1.6.2 that misses two
 * ranges sharing only their boundary address (10.0.0.1-10.0.0.9 and 10.0.0.9-10.0.0.20).
 */
import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator, collapseIPv6Number } from 'ip-num';
import type { AddressRange, IpFamily } from './model.js';

export interface RangeBounds {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

/** The result of parsing one entry: the range, or the reason it is not one. */
export type ParsedRange = { readonly range: AddressRange; readonly hostBitsCleared: boolean } | { readonly error: string };

/** An address in canonical text; undefined when `text` is not an IPv4 or IPv6 address. */
export function canonicalAddress(text: string): { family: IpFamily; text: string; value: bigint } | undefined {
  if (Validator.isValidIPv4String(text)[0]) {
    const ip = new IPv4(text);
    return { family: 'ipv4', text: ip.toString(), value: ip.getValue() };
  }
  // Zone indexes (fe80::1%eth0) name an interface, which means nothing in a pool or a peer address.
  if (!text.includes('%') && Validator.isValidIPv6String(text)[0]) {
    const ip = new IPv6(text);
    return { family: 'ipv6', text: formatValue('ipv6', ip.getValue()), value: ip.getValue() };
  }
  return undefined;
}

export function parseAddressRange(input: string): ParsedRange {
  const text = input.trim();
  if (text.includes('-')) return parseDashRange(text);
  if (!text.includes('/')) {
    return { error: `${JSON.stringify(input)} is neither a CIDR (10.5.0.0/16) nor a range (10.5.0.1-10.5.0.9)` };
  }
  const family: IpFamily = text.includes(':') ? 'ipv6' : 'ipv4';
  const [valid, messages] =
    family === 'ipv4' ? Validator.isValidIPv4CidrNotation(text) : Validator.isValidIPv6CidrNotation(text);
  const address = text.slice(0, text.indexOf('/'));
  if (!valid || canonicalAddress(address) === undefined) {
    return { error: `${JSON.stringify(input)} is not a valid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} CIDR${messages.length > 0 ? ` (${messages.join('; ')})` : ''}` };
  }
  const cidr = family === 'ipv4' ? IPv4CidrRange.fromCidr(text) : IPv6CidrRange.fromCidr(text);
  const first = cidr.getFirst().getValue();
  const last = cidr.getLast().getValue();
  const length = Number(cidr.getPrefix().getValue());
  const canonical = `${formatValue(family, first)}/${length}`;
  const hostBitsCleared = canonicalAddress(address)?.value !== first;
  return { range: buildRange(family, first, last, canonical), hostBitsCleared };
}

function parseDashRange(text: string): ParsedRange {
  const dash = text.indexOf('-');
  const startText = text.slice(0, dash).trim();
  const endText = text.slice(dash + 1).trim();
  const start = canonicalAddress(startText);
  if (start === undefined) return { error: `${JSON.stringify(text)} is not a valid range: ${JSON.stringify(startText)} is not an IP address` };
  const end = canonicalAddress(endText);
  if (end === undefined) return { error: `${JSON.stringify(text)} is not a valid range: ${JSON.stringify(endText)} is not an IP address` };
  if (start.family !== end.family) return { error: `${JSON.stringify(text)} mixes an IPv4 and an IPv6 address` };
  if (start.value > end.value) return { error: `${JSON.stringify(text)} is not a valid range: ${start.text} is after ${end.text}` };
  return { range: buildRange(start.family, start.value, end.value, `${start.text}-${end.text}`), hostBitsCleared: false };
}

function buildRange(family: IpFamily, first: bigint, last: bigint, text: string): AddressRange {
  return {
    text,
    family,
    first: formatValue(family, first),
    last: formatValue(family, last),
    cidrs: summarize(family, first, last).map(({ network, length }) => `${formatValue(family, network)}/${length}`),
  };
}

/** The numeric bounds of a parsed range (for an allocator, and for overlap checks). */
export function rangeBounds(range: AddressRange): RangeBounds {
  const first = canonicalAddress(range.first);
  const last = canonicalAddress(range.last);
  if (first === undefined || last === undefined) throw new Error(`not a parsed range: ${range.text}`);
  return { family: range.family, first: first.value, last: last.value };
}

/** Whether two ranges share at least one address (boundaries included). */
export function rangesOverlap(a: RangeBounds, b: RangeBounds): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Whether the union of `cover` contains every address of `range`. */
export function rangeCovered(range: RangeBounds, cover: readonly RangeBounds[]): boolean {
  const sorted = cover.filter((c) => c.family === range.family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let next = range.first;
  for (const piece of sorted) {
    if (piece.first > next) break;
    if (piece.last >= next) {
      if (piece.last >= range.last) return true;
      next = piece.last + 1n;
    }
  }
  return false;
}

/** The shortest prefix length among a range's CIDRs (MetalLB's lowestMask). */
export function widestPrefixLength(range: AddressRange): number {
  let lowest = range.family === 'ipv4' ? 32 : 128;
  for (const cidr of range.cidrs) lowest = Math.min(lowest, Number(cidr.slice(cidr.indexOf('/') + 1)));
  return lowest;
}

function formatValue(family: IpFamily, value: bigint): string {
  return family === 'ipv4' ? IPv4.fromNumber(value).toString() : collapseIPv6Number(IPv6.fromBigInt(value).toString());
}

/** first..last as the fewest aligned prefixes, in order. */
function summarize(family: IpFamily, first: bigint, last: bigint): { network: bigint; length: number }[] {
  const width = family === 'ipv4' ? 32 : 128;
  const out: { network: bigint; length: number }[] = [];
  let start = first;
  // Bounded: a range splits into at most 2 * width prefixes.
  while (start <= last) {
    let size = 0;
    while (size < width) {
      const block = 1n << BigInt(size + 1);
      if (start % block !== 0n || start + block - 1n > last) break;
      size += 1;
    }
    out.push({ network: start, length: width - size });
    start += 1n << BigInt(size);
  }
  return out;
}

/**
 * A pool entry: a CIDR or an inclusive "a-b" range, as MetalLB accepts them in IPAddressPool
 * spec.addresses (metallb/metallb internal/config/config.go, parseCIDR: "a-b" with spaces allowed,
 * both ends of one family, a <= b; a CIDR with host bits set means its network). A single address
 * without a prefix length is refused, as MetalLB refuses it. Bounds come from ip-num.
 */
import { IPv4CidrRange, IPv6CidrRange, RangedSet } from 'ip-num';
import { formatAddress, parseAddress } from './address.js';
import type { IpFamily } from './types.js';

export interface AddressRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  /** As written in the pool spec, for messages. */
  readonly text: string;
}

/** The range, or the reason the text is not one. */
export function parseAddressRange(text: string): AddressRange | string {
  const trimmed = text.trim();
  if (trimmed.includes('/')) return parseCidr(trimmed, text);
  if (trimmed.includes('-')) return parseDashRange(trimmed, text);
  return `${JSON.stringify(text)} must be a CIDR ("192.168.10.0/24") or a range ("192.168.10.10-192.168.10.20")`;
}

function parseCidr(trimmed: string, text: string): AddressRange | string {
  const [addressText = '', lengthText = '', ...rest] = trimmed.split('/');
  const address = parseAddress(addressText);
  if (address === undefined) return `${JSON.stringify(text)}: ${JSON.stringify(addressText)} is not an IP address`;
  const maxLength = address.family === 'IPv4' ? 32 : 128;
  if (rest.length > 0 || !/^\d{1,3}$/.test(lengthText) || Number(lengthText) > maxLength) {
    return `${JSON.stringify(text)}: prefix length must be 0-${maxLength}`;
  }
  const cidr = `${formatAddress(address)}/${lengthText}`;
  const range = address.family === 'IPv4' ? IPv4CidrRange.fromCidr(cidr) : IPv6CidrRange.fromCidr(cidr);
  return { family: address.family, first: range.getFirst().getValue(), last: range.getLast().getValue(), text };
}

function parseDashRange(trimmed: string, text: string): AddressRange | string {
  const parts = trimmed.split('-');
  if (parts.length !== 2) return `${JSON.stringify(text)}: a range is "first-last"`;
  const [firstText = '', lastText = ''] = parts;
  const first = parseAddress(firstText);
  const last = parseAddress(lastText);
  if (first === undefined) return `${JSON.stringify(text)}: ${JSON.stringify(firstText.trim())} is not an IP address`;
  if (last === undefined) return `${JSON.stringify(text)}: ${JSON.stringify(lastText.trim())} is not an IP address`;
  if (first.family !== last.family) return `${JSON.stringify(text)}: both ends must be of one address family`;
  if (first.value > last.value) return `${JSON.stringify(text)}: the first address is above the last`;
  const set = RangedSet.fromRangeString(`${formatAddress(first)}-${formatAddress(last)}`);
  return { family: first.family, first: set.getFirst().getValue(), last: set.getLast().getValue(), text };
}

/** Addresses in the range. */
export function rangeSize(range: AddressRange): bigint {
  return range.last - range.first + 1n;
}

/**
 * IPv4 addresses in the range ending in .0 or .255, counted without enumerating: for each residue r,
 * the values v = r (mod 256) in [first, last] number floor((last - r) / 256) - floor((first - 1 - r) / 256).
 */
export function buggyAddressCount(range: AddressRange): bigint {
  if (range.family !== 'IPv4') return 0n;
  return congruentCount(range.first, range.last, 0n) + congruentCount(range.first, range.last, 255n);
}

function congruentCount(first: bigint, last: bigint, residue: bigint): bigint {
  return floorDiv(last - residue, 256n) - floorDiv(first - 1n - residue, 256n);
}

/** bigint division rounds toward zero; this rounds toward minus infinity. */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * One IP address as (family, integer value). Range arithmetic is on bigint values; parsing and text go
 * through ip-num. Text out is canonical (dotted quad; RFC 5952 for IPv6, as Go's net.IP.String() writes
 * it into Service status), so the same address always has the same text.
 */
import { IPv4, IPv6, Validator, collapseIPv6Number } from 'ip-num';
import type { IpFamily } from './types.js';

export interface Address {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** Parses one address (surrounding spaces allowed); undefined when it is not one. */
export function parseAddress(text: string): Address | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.includes(':')) {
    // A zone ("fe80::1%eth0") is not a Service address.
    if (trimmed.includes('%') || !Validator.isValidIPv6String(trimmed)[0]) return undefined;
    try {
      return { family: 'IPv6', value: IPv6.fromString(trimmed).getValue() };
    } catch {
      return undefined;
    }
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(trimmed) || !Validator.isValidIPv4String(trimmed)[0]) return undefined;
  try {
    return { family: 'IPv4', value: IPv4.fromString(trimmed).getValue() };
  } catch {
    return undefined;
  }
}

export function formatAddress(address: Address): string {
  return address.family === 'IPv4'
    ? IPv4.fromNumber(address.value).toString()
    : collapseIPv6Number(IPv6.fromBigInt(address.value).toString());
}

/** A cheap map key: family digit and hex value (no text formatting on hot paths). */
export function addressKey(family: IpFamily, value: bigint): string {
  return (family === 'IPv4' ? '4:' : '6:') + value.toString(16);
}

/**
 * An IPv4 address ending in .0 or .255: such addresses "can confuse smurf protection on crappy CPE
 * firmwares" (metallb/metallb internal/allocator/allocator.go, ipConfusesBuggyFirmwares). IPv6 has none.
 */
export function isBuggyAddress(family: IpFamily, value: bigint): boolean {
  if (family !== 'IPv4') return false;
  const last = value & 0xffn;
  return last === 0n || last === 0xffn;
}

export function compareAddresses(a: Address, b: Address): number {
  if (a.family !== b.family) return a.family === 'IPv4' ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function otherFamily(family: IpFamily): IpFamily {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

/**
 * `nextHop: self` means an address of ours the peer can reach. For a route of the session's own
 * family that is the session's local address (RFC 4271 section 5.1.3). For the other family (an IPv6
 * route over an IPv4 session, or the reverse) it is an address of that family on the same interface,
 * as routers do for next-hop-self; link-local IPv6 addresses do not qualify (RFC 2545 section 3).
 */
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { AddressFamily } from '@metallb-ts/bgp-core';

export type InterfaceTable = ReturnType<typeof networkInterfaces>;

export function resolveSelfNextHop(
  family: AddressFamily,
  sessionLocalAddress: string,
  interfaces: InterfaceTable = networkInterfaces(),
): string | undefined {
  const local = sessionLocalAddress.startsWith('::ffff:') ? sessionLocalAddress.slice(7) : sessionLocalAddress;
  if ((family === 'ipv4') === isIPv4(local)) return local;
  for (const addresses of Object.values(interfaces)) {
    if (addresses === undefined || !addresses.some((a) => a.address === local)) continue;
    const wanted = addresses.find(
      (a) => a.family === (family === 'ipv4' ? 'IPv4' : 'IPv6') && !a.internal && !a.address.toLowerCase().startsWith('fe80:'),
    );
    if (wanted !== undefined) return wanted.address;
  }
  return undefined;
}

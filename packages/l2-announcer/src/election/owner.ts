/**
 * Which node answers ARP/NDP for a service address. There is no coordinator: every speaker runs
 * the same pure function over the same inputs (the address and the nodes eligible for it, i.e.
 * alive per the liveness membership and allowed by the L2Advertisement selectors) and reaches the
 * same answer, so exactly one node announces each address once the membership views agree.
 *
 * The ranking follows MetalLB's: speaker/layer2_controller.go (ShouldAnnounce, metallb/metallb)
 * sorts the available nodes by sha256(nodeName + "#" + ip) and the first one wins. Hashing per
 * address (rendezvous hashing) spreads the addresses over the nodes, and when a node goes away
 * only the addresses it owned move: every other address keeps its lowest-ranked node.
 * Differences: MetalLB hashes the service's first IP so both families of a dual-stack service
 * land on one node; here the caller chooses the key (pass the service's first IP to match).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

import { canonicalIp } from '../ethernet.js';

/** The rank of `node` for `ip`: lower wins. Hex sha256, so string order is byte order (as Go's bytes.Compare). */
export function rankOf(node: string, ip: string): string {
  return createHash('sha256').update(`${node}#${ip}`).digest('hex');
}

/** The canonical text of the address, so "2001:DB8::1" and "2001:db8:0::1" elect the same node. */
function keyOf(ip: string): string {
  if (isIP(ip) === 0) throw new RangeError(`not an IP address: ${JSON.stringify(ip)}`);
  return canonicalIp(ip);
}

/** The eligible nodes for `ip`, best first (duplicates removed); ties (never seen for sha256) break on the name. */
export function rankNodes(ip: string, eligibleNodes: readonly string[]): string[] {
  const key = keyOf(ip);
  const ranked = [...new Set(eligibleNodes)].map((node) => ({ node, rank: rankOf(node, key) }));
  ranked.sort((a, b) => compare(a.rank, b.rank) || compare(a.node, b.node));
  return ranked.map((entry) => entry.node);
}

/** The node that should announce `ip`, or undefined when no node is eligible. */
export function ownerOf(ip: string, eligibleNodes: readonly string[]): string | undefined {
  const key = keyOf(ip);
  let best: string | undefined;
  let bestRank = '';
  for (const node of eligibleNodes) {
    const rank = rankOf(node, key);
    if (best === undefined || rank < bestRank || (rank === bestRank && node < best)) {
      best = node;
      bestRank = rank;
    }
  }
  return best;
}

/** The addresses among `ips` that `self` should announce, in the order given. */
export function ownedBy(
  self: string,
  ips: Iterable<string>,
  eligibleFor: (ip: string) => readonly string[],
): string[] {
  const owned: string[] = [];
  for (const ip of ips) {
    if (ownerOf(ip, eligibleFor(ip)) === self) owned.push(ip);
  }
  return owned;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

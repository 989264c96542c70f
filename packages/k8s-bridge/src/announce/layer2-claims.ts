/**
 * Which service addresses this node answers ARP/NDP for in Layer 2 mode (MetalLB's rules,
 * speaker/layer2_controller.go, ShouldAnnounce):
 *
 * - a node is eligible for a Service when its speaker is alive (the liveness membership), it is
 *   not excluded (nodeIneligibility: the exclude label, NetworkUnavailable), one of the
 *   L2Advertisements of the Service's pool that select the Service also selects the node, and it
 *   may carry the traffic: externalTrafficPolicy Local needs a ready endpoint on that node,
 *   Cluster a ready endpoint anywhere;
 * - the owner is ownerOf(first address, eligible nodes): every speaker reaches the same answer,
 *   and both addresses of a dual-stack Service land on one node, as in MetalLB;
 * - the owner answers on the interfaces of the L2Advertisements that select it: the union of
 *   their `interfaces`, where an advertisement naming none means the default interfaces.
 *
 * Pure: the same inputs always give the same claims, in address order.
 */
import { ownerOf } from '@metallb-ts/l2-announcer';
import { advertisementsOfPool } from '../config/model.js';
import type { BridgeConfig, L2Advertisement } from '../config/model.js';
import { anySelectorMatches } from '../config/selectors.js';
import { nodeIneligibility } from './bgp-routes.js';
import type { AnnouncedService, NodeState } from './bgp-routes.js';

/** An address this node answers for, and where. */
export interface Layer2Claim {
  readonly ip: string;
  /** The interfaces named by the advertisements that select this node, sorted. */
  readonly interfaces: readonly string[];
  /** Also answer on the default interfaces (an advertisement without `interfaces` selected this node). */
  readonly defaultInterfaces: boolean;
  /** "namespace/name" of the Service. */
  readonly service: string;
}

/** One Service's election, for logs and tests. */
export interface Layer2Election {
  readonly service: string;
  readonly ips: readonly string[];
  /** Eligible nodes, sorted. */
  readonly eligible: readonly string[];
  readonly owner: string | undefined;
}

export interface Layer2Claims {
  readonly claims: readonly Layer2Claim[];
  readonly elections: readonly Layer2Election[];
}

export function layer2ClaimsForNode(
  config: BridgeConfig,
  nodeName: string,
  nodes: ReadonlyMap<string, NodeState>,
  alive: ReadonlySet<string>,
  services: readonly AnnouncedService[],
): Layer2Claims {
  const claims: Layer2Claim[] = [];
  const elections: Layer2Election[] = [];
  for (const service of services) {
    const first = service.ips[0];
    if (first === undefined) continue;
    const advertisements = advertisementsOfPool(config, service.pool).layer2.filter((ad) =>
      anySelectorMatches(ad.serviceSelectors, service.labels),
    );
    if (advertisements.length === 0) continue;
    const eligible = [...alive]
      .filter((name) => isEligible(name, nodes.get(name), service, advertisements))
      .sort();
    const owner = ownerOf(first, eligible);
    const key = `${service.namespace}/${service.name}`;
    elections.push({ service: key, ips: service.ips, eligible, owner });
    if (owner !== nodeName) continue;
    const labels = nodes.get(nodeName)?.labels ?? {};
    const mine = advertisements.filter((ad) => anySelectorMatches(ad.nodeSelectors, labels));
    const interfaces = [...new Set(mine.flatMap((ad) => ad.interfaces))].sort();
    const defaultInterfaces = mine.some((ad) => ad.interfaces.length === 0);
    for (const ip of service.ips) claims.push({ ip, interfaces, defaultInterfaces, service: key });
  }
  claims.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return { claims, elections };
}

function isEligible(name: string, node: NodeState | undefined, service: AnnouncedService, advertisements: readonly L2Advertisement[]): boolean {
  if (node === undefined || nodeIneligibility(node, name) !== undefined) return false;
  if (!advertisements.some((ad) => anySelectorMatches(ad.nodeSelectors, node.labels))) return false;
  return service.externalTrafficPolicy === 'Local' ? service.readyEndpointNodes.has(name) : service.readyEndpointNodes.size > 0;
}

/**
 * Which service addresses this node announces over BGP, and to which peers (MetalLB's rules):
 *
 * - the node is eligible: it exists, does not carry the label
 *   node.kubernetes.io/exclude-from-external-load-balancers, and is not NetworkUnavailable;
 * - externalTrafficPolicy Cluster: every eligible node announces a Service that has a ready
 *   endpoint anywhere; Local: only nodes holding a ready endpoint of it (traffic stays local);
 * - each BGPAdvertisement of the Service's pool applies when its nodeSelectors match this node
 *   and its serviceSelectors match the Service, announcing the address aggregated to its
 *   aggregationLength(V6), with its communities and LOCAL_PREF, to its peers (all when it names
 *   none) among the peers whose nodeSelectors match this node.
 *
 * Pure: the same state always gives the same routes, in prefix order.
 */
import { normalizePrefix } from '@metallb-ts/bgp-core';
import type { RouteInput } from 'bgp-speaker';
import { advertisementsOfPool, peersOfAdvertisement } from '../config/model.js';
import type { BridgeConfig, Peer } from '../config/model.js';
import { anySelectorMatches } from '../config/selectors.js';

export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

export interface NodeState {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The NetworkUnavailable condition is True. */
  readonly networkUnavailable: boolean;
  /** status.addresses InternalIP: MetalLB's router ID for the node. */
  readonly internalIp?: string;
}

/** A Service with its allocated addresses and where its ready endpoints are. */
export interface AnnouncedService {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ips: readonly string[];
  readonly pool: string;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  /** Nodes holding at least one ready endpoint of the Service. */
  readonly readyEndpointNodes: ReadonlySet<string>;
}

export interface NodeRoutes {
  /** The peers this node holds sessions with (their nodeSelectors match it). */
  readonly peers: readonly Peer[];
  /** The routes to announce, each limited to the addresses of its peers. */
  readonly routes: readonly RouteInput[];
  /** Why the node announces nothing, when it does not. */
  readonly ineligible?: string;
}

export function nodeIneligibility(node: NodeState | undefined, nodeName: string): string | undefined {
  if (node === undefined) return `node ${nodeName} is not known (no Node object)`;
  if (Object.hasOwn(node.labels, EXCLUDE_FROM_LB_LABEL)) return `node ${node.name} has the label ${EXCLUDE_FROM_LB_LABEL}`;
  if (node.networkUnavailable) return `node ${node.name} is NetworkUnavailable`;
  return undefined;
}

interface Draft {
  prefix: string;
  communities: Set<number>;
  largeCommunities: Set<string>;
  localPref: number | undefined;
  peers: Set<string>;
}

export function bgpRoutesForNode(config: BridgeConfig, nodeName: string, node: NodeState | undefined, services: readonly AnnouncedService[]): NodeRoutes {
  const labels = node?.labels ?? {};
  const peers = config.peers.filter((peer) => anySelectorMatches(peer.nodeSelectors, labels));
  const ineligible = nodeIneligibility(node, nodeName);
  if (ineligible !== undefined) return { peers, routes: [], ineligible };

  const drafts = new Map<string, Draft>();
  for (const service of services) {
    const announcing =
      service.externalTrafficPolicy === 'Local' ? service.readyEndpointNodes.has(nodeName) : service.readyEndpointNodes.size > 0;
    if (!announcing || service.ips.length === 0) continue;
    for (const advertisement of advertisementsOfPool(config, service.pool).bgp) {
      if (!anySelectorMatches(advertisement.nodeSelectors, labels)) continue;
      if (!anySelectorMatches(advertisement.serviceSelectors, service.labels)) continue;
      const targets = peersOfAdvertisement(config, advertisement).filter((peer) => peers.includes(peer));
      if (targets.length === 0) continue;
      for (const ip of service.ips) {
        const length = ip.includes(':') ? advertisement.aggregationLengthV6 : advertisement.aggregationLength;
        const prefix = normalizePrefix(`${ip}/${length}`);
        let draft = drafts.get(prefix);
        if (draft === undefined) {
          draft = { prefix, communities: new Set(), largeCommunities: new Set(), localPref: undefined, peers: new Set() };
          drafts.set(prefix, draft);
        }
        // Several advertisements of one address: their communities join, the highest LOCAL_PREF wins.
        for (const community of advertisement.communities) draft.communities.add(community);
        for (const community of advertisement.largeCommunities) draft.largeCommunities.add(community);
        if (advertisement.localPref !== undefined) draft.localPref = Math.max(draft.localPref ?? 0, advertisement.localPref);
        for (const peer of targets) draft.peers.add(peer.address);
      }
    }
  }

  const routes = [...drafts.values()]
    .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0))
    .map((draft): RouteInput => ({
      prefix: draft.prefix,
      nextHop: 'self',
      communities: [...draft.communities].map(communityText),
      largeCommunities: [...draft.largeCommunities],
      ...(draft.localPref === undefined ? {} : { localPref: draft.localPref }),
      peers: [...draft.peers].sort(),
    }));
  return { peers, routes };
}

function communityText(value: number): string {
  return `${Math.floor(value / 65536)}:${value % 65536}`;
}

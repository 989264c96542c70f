/**
 * Which interfaces the Layer 2 announcer opens on this node, and on which of them each claimed
 * address is answered. Pure: the links are read by the caller (l2-announcer's listLinks).
 *
 * The announcer is opened once on every interface any L2Advertisement selecting this node could
 * use (the default interfaces when one names none, plus every named one that exists here), so an
 * ownership change only moves addresses between open sockets and never reopens them. MetalLB
 * skips a named interface a node does not have; so do we, with a warning.
 */
import { isDefaultAnnounceInterface } from '@metallb-ts/l2-announcer';
import type { LinkInfo } from '@metallb-ts/l2-announcer';
import { layer2PoolNames } from '../config/model.js';
import type { BridgeConfig } from '../config/model.js';
import { anySelectorMatches } from '../config/selectors.js';
import type { Layer2Claim } from '../announce/layer2-claims.js';

export interface InterfacePlan {
  /** Every interface to open, sorted. */
  readonly open: readonly string[];
  /** The default interfaces (up, broadcast, Ethernet, not enslaved), sorted. */
  readonly defaults: readonly string[];
  /** Named interfaces this node does not have, for a warning. */
  readonly missing: readonly string[];
}

export function planInterfaces(config: BridgeConfig, nodeLabels: Readonly<Record<string, string>>, links: readonly LinkInfo[]): InterfacePlan {
  const layer2Pools = new Set(layer2PoolNames(config));
  const advertisements = config.l2Advertisements.filter(
    (ad) => ad.pools.some((pool) => layer2Pools.has(pool)) && anySelectorMatches(ad.nodeSelectors, nodeLabels),
  );
  const defaults = links.filter(isDefaultAnnounceInterface).map((link) => link.name).sort();
  const present = new Set(links.map((link) => link.name));
  const named = [...new Set(advertisements.flatMap((ad) => ad.interfaces))].sort();
  const open = new Set(named.filter((name) => present.has(name)));
  if (advertisements.some((ad) => ad.interfaces.length === 0)) for (const name of defaults) open.add(name);
  return { open: [...open].sort(), defaults, missing: named.filter((name) => !present.has(name)) };
}

/** The open interfaces a claim is answered on. */
export function interfacesForClaim(claim: Layer2Claim, plan: InterfacePlan): string[] {
  const wanted = new Set(claim.interfaces);
  if (claim.defaultInterfaces) for (const name of plan.defaults) wanted.add(name);
  return plan.open.filter((name) => wanted.has(name));
}

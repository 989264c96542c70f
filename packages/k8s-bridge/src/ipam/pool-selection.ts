/**
 * Which pools a Service may use, and in what order, after MetalLB
 * (metallb/metallb internal/allocator/allocator.go: Allocate, pinnedPoolsForService,
 * isPoolCompatibleWithService, sortPools; internal/config/config.go: addressPoolServiceAllocationsFromCR).
 *
 * - A pool with a serviceAllocation serves only the Services it selects: the namespace must be listed
 *   or match a namespaceSelector (when either is given), and the Service must match a serviceSelector
 *   (when any is given). This holds for every way of getting an address, requested ones included.
 * - Automatic assignment tries first the auto-assign pools with a serviceAllocation that select the
 *   Service ("pinned"), by priority (lower number first, no priority last), then the auto-assign pools
 *   without a serviceAllocation. Ties keep the order the pools were given in; MetalLB iterates a Go map
 *   there, which is why its choice between equal pools can change from run to run and ours cannot.
 */
import { matchesSelector } from './label-selector.js';
import type { AddressPool } from './pool.js';
import type { PoolSet } from './pool-set.js';
import type { Labels, ServiceSpec } from './types.js';

export type NamespaceLabels = Readonly<Record<string, Labels>>;

export function poolAdmits(pool: AddressPool, service: ServiceSpec, namespaceLabels: NamespaceLabels): boolean {
  const restriction = pool.restriction;
  if (restriction === undefined) return true;
  if (restriction.namespaces.length > 0 || restriction.namespaceSelectors.length > 0) {
    const known = Object.hasOwn(namespaceLabels, service.namespace);
    const listed = restriction.namespaces.includes(service.namespace);
    // MetalLB turns namespaceSelectors into the names of existing namespaces whose labels match.
    const selected = known && restriction.namespaceSelectors.some((s) => matchesSelector(namespaceLabels[service.namespace], s));
    if (!listed && !selected) return false;
  }
  if (restriction.serviceSelectors.length > 0) {
    return restriction.serviceSelectors.some((s) => matchesSelector(service.labels, s));
  }
  return true;
}

/** [pinned pools by priority, general pools in config order]: automatic assignment tries them in turn. */
export function autoAssignTiers(pools: PoolSet, service: ServiceSpec, namespaceLabels: NamespaceLabels): [AddressPool[], AddressPool[]] {
  const pinned = pools.pools
    .filter((p) => p.autoAssign && p.restriction !== undefined && poolAdmits(p, service, namespaceLabels))
    .sort((a, b) => rank(a) - rank(b) || a.order - b.order);
  const general = pools.pools.filter((p) => p.autoAssign && p.restriction === undefined);
  return [pinned, general];
}

function rank(pool: AddressPool): number {
  const priority = pool.restriction?.priority ?? 0;
  return priority > 0 ? priority : Number.MAX_SAFE_INTEGER;
}

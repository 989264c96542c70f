/**
 * The controller's IP allocator: MetalLB's semantics (metallb/metallb internal/allocator/allocator.go,
 * allocation.go; controller/service.go convergeBalancer and allocateIPs), deterministic, and safe
 * across restarts.
 *
 * Restarts. MetalLB issues #1774, #2443 and #2479: after a controller restart, Services were
 * processed in informer order, so a pending Service seen before a Service holding an address in its
 * status could be handed that address (two Services on one IP, or the holder losing it). Here the
 * controller first calls restore() with every Service: all addresses found in status are read back and
 * kept before anything is allocated, and only then does allocate() run for the rest. If two Services
 * claim one address incompatibly (the scar of that bug), the older one keeps it and the other is
 * reported as a conflict and allocated afresh.
 *
 * Order. A batch (restore, retryPending, the dry run) is processed in compareForBatch order: older
 * creationTimestamp first, then namespace, then name. Within a pool addresses are handed out lowest
 * first; pools are tried as pool-selection.ts describes. Same inputs, same answers.
 *
 * A failed allocation leaves the Service pending; the caller emits an Event with the message
 * (allocationEvent) and calls retryPending() when an address is freed (release) or the pools change.
 */
import { compareAddresses, formatAddress, otherFamily } from './address.js';
import { IpTable } from './ip-table.js';
import { PoolSet } from './pool-set.js';
import { autoAssignTiers, poolAdmits } from './pool-selection.js';
import {
  ANNOTATIONS,
  annotationValue,
  compareForBatch,
  familyMisfit,
  notOursBecause,
  readIntent,
  serviceKey,
  statusAddresses,
} from './service-intent.js';
import type { Address } from './address.js';
import type { Holder } from './ip-table.js';
import type { AddressPool } from './pool.js';
import type { NamespaceLabels } from './pool-selection.js';
import type { FamilyRequest, ServiceIntent } from './service-intent.js';
import type {
  Allocated,
  AllocationError,
  AllocationErrorReason,
  AllocationResult,
  IpFamily,
  PoolSpec,
  PoolStats,
  PoolUpdateResult,
  RestoreConflict,
  RestoreConflictReason,
  RestoreResult,
  RestoredService,
  ServiceRef,
  ServiceSpec,
} from './types.js';

export interface AllocatorOptions {
  /** Serve only Services of this loadBalancerClass (MetalLB --lb-class); absent: only those without one. */
  readonly loadBalancerClass?: string;
  /** Namespace name -> labels, for pools with serviceAllocation.namespaceSelectors. */
  readonly namespaceLabels?: NamespaceLabels;
}

interface Assignment {
  readonly service: ServiceSpec;
  readonly pool: string;
  readonly addresses: readonly Address[];
  readonly holder: Holder;
}

type Check =
  | { readonly ok: true; readonly pool: AddressPool }
  | { readonly ok: false; readonly reason: RestoreConflictReason; readonly message: string; readonly heldBy?: readonly string[] };

type Pick = { readonly pool: AddressPool; readonly addresses: readonly Address[] } | { readonly error: AllocationError };

export interface RetryOutcome extends ServiceRef {
  readonly result: AllocationResult;
}

export class Allocator {
  private pools: PoolSet;
  private namespaceLabels: NamespaceLabels;
  private readonly loadBalancerClass: string | undefined;
  private readonly table = new IpTable();
  private readonly assignments = new Map<string, Assignment>();
  /** Services of ours without an address, by key: what retryPending() works on. */
  private readonly waiting = new Map<string, ServiceSpec>();

  /** Throws IpamConfigError when the pools are unusable. */
  constructor(pools: readonly PoolSpec[], options: AllocatorOptions = {}) {
    this.pools = PoolSet.fromSpecs(pools);
    this.loadBalancerClass = options.loadBalancerClass;
    this.namespaceLabels = options.namespaceLabels ?? {};
  }

  /**
   * Replaces all state with the assignments found in the given Services (the full list, as the API
   * server has it at start): each Service's status.loadBalancer.ingress addresses are kept if they
   * are still valid for it. Nothing new is allocated here; every Service of ours left without an
   * address is pending and listed in the order allocate() should see it.
   */
  restore(services: readonly ServiceSpec[]): RestoreResult {
    this.table.clear();
    this.assignments.clear();
    this.waiting.clear();
    const kept: RestoredService[] = [];
    const conflicts: RestoreConflict[] = [];
    const pending: ServiceRef[] = [];
    const ignored: (ServiceRef & { message: string })[] = [];
    const notes: (ServiceRef & { message: string })[] = [];
    const ours: ServiceSpec[] = [];
    for (const service of services) {
      const why = notOursBecause(service, this.loadBalancerClass);
      if (why === undefined) ours.push(service);
      else ignored.push({ namespace: service.namespace, name: service.name, message: why });
    }
    ours.sort(compareForBatch);
    const seen = new Set<string>();
    for (const service of ours) {
      const ref = { namespace: service.namespace, name: service.name };
      const key = serviceKey(service);
      if (seen.has(key)) {
        notes.push({ ...ref, message: `${key} is listed more than once; only the first (in batch order) is used` });
        continue;
      }
      seen.add(key);
      const status = statusAddresses(service);
      if (status.texts.length === 0) {
        this.waiting.set(key, service);
        pending.push(ref);
        continue;
      }
      const intent = readIntent(service);
      const check: Check =
        status.invalid.length > 0
          ? { ok: false, reason: 'invalid-ip', message: `status.loadBalancer.ingress holds ${status.invalid.map((t) => JSON.stringify(t)).join(', ')}, not an IP address` }
          : this.checkExisting(status.addresses, service, intent);
      if (!check.ok) {
        conflicts.push(conflictOf(service, status.texts, check));
        this.waiting.set(key, service);
        pending.push(ref);
        continue;
      }
      const addresses = orderByFamily(status.addresses, intent.family);
      this.assign(service, check.pool, addresses, intent.holder);
      kept.push({ ...ref, ips: addresses.map(formatAddress), pool: check.pool.name });
      const recorded = annotationValue(service, ANNOTATIONS.ipAllocatedFromPool);
      if (recorded !== undefined && recorded !== check.pool.name) {
        notes.push({ ...ref, message: `${key} keeps ${addresses.map(formatAddress).join(', ')} from pool "${check.pool.name}"; its ${ANNOTATIONS.ipAllocatedFromPool[0]} annotation says "${recorded}"` });
      }
    }
    return { kept, conflicts, pending, ignored, notes };
  }

  /**
   * Converges one Service (created, changed, or retried): keeps its current addresses (from our state,
   * else from its status) while they stay valid, adds the missing family for PreferDualStack when its
   * pool has one free, and otherwise allocates: the requested addresses, else from the
   * address-pool annotation's pool, else automatically.
   */
  allocate(service: ServiceSpec): AllocationResult {
    const key = serviceKey(service);
    const why = notOursBecause(service, this.loadBalancerClass);
    if (why !== undefined) {
      this.unassign(key);
      this.waiting.delete(key);
      return failure('not-ours', `${key} is not handled: ${why}`);
    }
    const intent = readIntent(service);
    const current = this.currentAddresses(service);
    if (current.length > 0) {
      const check = this.checkExisting(current, service, intent);
      if (check.ok) {
        const addresses = this.withMissingFamily(check.pool, current, intent);
        this.assign(service, check.pool, addresses, intent.holder);
        this.waiting.delete(key);
        if (intent.problem !== undefined) {
          return failure('invalid-request', `${key}: ${intent.problem}; keeping ${addresses.map(formatAddress).join(', ')}`);
        }
        return { ips: addresses.map(formatAddress), pool: check.pool.name };
      }
      this.unassign(key);
    }
    const pick: Pick =
      intent.problem !== undefined
        ? { error: { reason: 'invalid-request', message: `${key}: ${intent.problem}` } }
        : intent.requested.length > 0
          ? this.pickRequested(service, intent)
          : intent.pool !== undefined
            ? this.pickFromNamedPool(service, intent, intent.pool)
            : this.pickAutomatically(service, intent);
    if ('error' in pick) {
      this.waiting.set(key, service);
      return { error: pick.error };
    }
    const addresses = orderByFamily(pick.addresses, intent.family);
    this.assign(service, pick.pool, addresses, intent.holder);
    this.waiting.delete(key);
    return { ips: addresses.map(formatAddress), pool: pick.pool.name };
  }

  /** The Service is gone: its addresses are free (call retryPending() to hand them to pending Services). */
  release(namespace: string, name: string): void {
    const key = serviceKey({ namespace, name });
    this.unassign(key);
    this.waiting.delete(key);
  }

  /**
   * New pools (throws IpamConfigError and changes nothing when they are unusable). Every assignment is
   * checked again, older Services first: kept when still valid (possibly now in a renamed pool),
   * released otherwise, which makes its Service pending.
   */
  updatePools(pools: readonly PoolSpec[]): PoolUpdateResult {
    this.pools = PoolSet.fromSpecs(pools);
    this.table.forgetFreeFloors();
    return this.revalidate();
  }

  /** New namespace labels (namespaceSelectors may now select differently); rechecks like updatePools. */
  setNamespaceLabels(namespaceLabels: NamespaceLabels): PoolUpdateResult {
    this.namespaceLabels = namespaceLabels;
    return this.revalidate();
  }

  /** Services of ours waiting for an address, in batch order. */
  pending(): ServiceRef[] {
    return [...this.waiting.values()].sort(compareForBatch).map((s) => ({ namespace: s.namespace, name: s.name }));
  }

  /** Tries every pending Service again, in batch order (after a release or a pool change). */
  retryPending(): RetryOutcome[] {
    return [...this.waiting.values()]
      .sort(compareForBatch)
      .map((service) => ({ namespace: service.namespace, name: service.name, result: this.allocate(service) }));
  }

  assignmentOf(namespace: string, name: string): Allocated | undefined {
    const assignment = this.assignments.get(serviceKey({ namespace, name }));
    return assignment === undefined ? undefined : { ips: assignment.addresses.map(formatAddress), pool: assignment.pool };
  }

  poolStats(): PoolStats[] {
    return this.pools.pools.map((p) => ({
      name: p.name,
      capacity: { IPv4: p.capacity('IPv4'), IPv6: p.capacity('IPv6') },
      inUse: { IPv4: this.table.inUse(p.name, 'IPv4'), IPv6: this.table.inUse(p.name, 'IPv6') },
    }));
  }

  private currentAddresses(service: ServiceSpec): readonly Address[] {
    const assignment = this.assignments.get(serviceKey(service));
    if (assignment !== undefined) return assignment.addresses;
    const status = statusAddresses(service);
    return status.invalid.length > 0 ? [] : status.addresses;
  }

  /**
   * Whether a Service may keep addresses it holds (MetalLB convergeBalancer: serviceFamilyChanged,
   * then Assign, then the address-pool annotation, then the requested addresses).
   */
  private checkExisting(addresses: readonly Address[], service: ServiceSpec, intent: ServiceIntent): Check {
    const texts = addresses.map(formatAddress).join(', ');
    const misfit = familyMisfit(addresses, intent.family);
    if (misfit !== undefined) return { ok: false, reason: 'family-mismatch', message: `${texts}: ${misfit}` };
    const located = this.locate(addresses);
    if (typeof located === 'string') return { ok: false, reason: 'ip-not-in-pool', message: located };
    if (!poolAdmits(located, service, this.namespaceLabels)) {
      return { ok: false, reason: 'pool-not-allowed', message: `pool "${located.name}" of ${texts} does not serve ${intent.key} (serviceAllocation)` };
    }
    for (const address of addresses) {
      const verdict = this.table.check(address, formatAddress(address), intent.holder);
      if (!verdict.ok) {
        return { ok: false, reason: verdict.reason === 'in-use' ? 'ip-in-use' : 'sharing-conflict', message: verdict.message, heldBy: verdict.heldBy };
      }
    }
    if (intent.pool !== undefined && intent.pool !== located.name) {
      return { ok: false, reason: 'pool-changed', message: `${texts} is in pool "${located.name}" but ${ANNOTATIONS.addressPool[0]} asks for "${intent.pool}"` };
    }
    if (intent.requested.length > 0 && !sameAddresses(intent.requested, addresses)) {
      return { ok: false, reason: 'requested-ip-changed', message: `holds ${texts} but requests ${intent.requested.map(formatAddress).join(', ')}` };
    }
    return { ok: true, pool: located };
  }

  /** The one pool in which every address is usable, or why there is none (MetalLB poolFor). */
  private locate(addresses: readonly Address[]): AddressPool | string {
    let found: AddressPool | undefined;
    for (const address of addresses) {
      const text = formatAddress(address);
      const pool = this.pools.poolContaining(address);
      if (pool === undefined) return `${text} is in no address pool`;
      if (pool.excludes(address.family, address.value)) return `${text} ends in .0 or .255 and pool "${pool.name}" has avoidBuggyIps`;
      if (found !== undefined && found !== pool) return `${addresses.map(formatAddress).join(' and ')} are in different pools ("${found.name}", "${pool.name}")`;
      found = pool;
    }
    if (found === undefined) return 'no address';
    return found;
  }

  /** MetalLB AllocateFromPoolForAdditionalFamily: a PreferDualStack Service with one family gets the other if its pool has one free. */
  private withMissingFamily(pool: AddressPool, current: readonly Address[], intent: ServiceIntent): readonly Address[] {
    const [only, ...more] = current;
    if (intent.family.kind !== 'dual' || only === undefined || more.length > 0) return current;
    const family = otherFamily(only.family);
    const value = this.firstFree(pool, family, intent.holder);
    return value === undefined ? current : orderByFamily([only, { family, value }], intent.family);
  }

  /** MetalLB allocateIPs with desired IPs, then Assign. */
  private pickRequested(service: ServiceSpec, intent: ServiceIntent): Pick {
    const texts = intent.requested.map(formatAddress).join(', ');
    if (intent.pool !== undefined && this.pools.get(intent.pool) === undefined) {
      return fail('unknown-pool', `${intent.key}: ${ANNOTATIONS.addressPool[0]} names pool "${intent.pool}", which does not exist`);
    }
    const pool = this.locate(intent.requested);
    if (typeof pool === 'string') return fail('requested-ip-not-in-pool', `${intent.key} requests ${texts}: ${pool}`);
    if (intent.pool !== undefined && intent.pool !== pool.name) {
      return fail('requested-ip-not-in-pool', `${intent.key} requests ${texts} from pool "${pool.name}" but ${ANNOTATIONS.addressPool[0]} asks for "${intent.pool}"`);
    }
    if (!poolAdmits(pool, service, this.namespaceLabels)) {
      return fail('pool-not-allowed', `${intent.key} requests ${texts} but pool "${pool.name}" does not serve it (serviceAllocation namespaces/selectors)`);
    }
    for (const address of intent.requested) {
      const verdict = this.table.check(address, formatAddress(address), intent.holder);
      if (!verdict.ok) {
        return fail(verdict.reason === 'in-use' ? 'requested-ip-in-use' : 'sharing-conflict', `${intent.key} requests ${texts}: ${verdict.message}`);
      }
    }
    return { pool, addresses: intent.requested };
  }

  /** MetalLB AllocateFromPool: the annotation's pool, whether or not it auto-assigns. */
  private pickFromNamedPool(service: ServiceSpec, intent: ServiceIntent, name: string): Pick {
    const pool = this.pools.get(name);
    if (pool === undefined) return fail('unknown-pool', `${intent.key}: ${ANNOTATIONS.addressPool[0]} names pool "${name}", which does not exist`);
    if (!poolAdmits(pool, service, this.namespaceLabels)) {
      return fail('pool-not-allowed', `${intent.key} asks for pool "${name}", which does not serve it (serviceAllocation namespaces/selectors)`);
    }
    return this.pickFromPools([pool], intent) ?? this.shortage([pool], intent);
  }

  /** MetalLB Allocate: pinned pools first, then the general auto-assign pools. */
  private pickAutomatically(service: ServiceSpec, intent: ServiceIntent): Pick {
    const tiers = autoAssignTiers(this.pools, service, this.namespaceLabels);
    for (const tier of tiers) {
      const pick = this.pickFromPools(tier, intent);
      if (pick !== undefined) return pick;
    }
    const candidates = tiers.flat();
    if (candidates.length === 0) {
      return fail(
        'no-pool-for-family',
        `no pool may assign an address to ${intent.key} automatically (pools with autoAssign false need ${ANNOTATIONS.addressPool[0]} or a requested address; pools with a serviceAllocation serve only the Services they select)`,
      );
    }
    return this.shortage(candidates, intent);
  }

  /**
   * MetalLB findBestPoolForService: the first pool that can give what the family request needs; for
   * PreferDualStack, if no pool gives both, the first that gives the primary family, else the first
   * that gives the other.
   */
  private pickFromPools(pools: readonly AddressPool[], intent: ServiceIntent): Pick | undefined {
    const request = intent.family;
    let primaryOnly: Pick | undefined;
    let secondaryOnly: Pick | undefined;
    for (const pool of pools) {
      const free = (family: IpFamily): Address | undefined => {
        const value = this.firstFree(pool, family, intent.holder);
        return value === undefined ? undefined : { family, value };
      };
      if (request.kind === 'single') {
        const families: IpFamily[] = request.family === undefined ? ['IPv4', 'IPv6'] : [request.family];
        for (const family of families) {
          const address = free(family);
          if (address !== undefined) return { pool, addresses: [address] };
        }
        continue;
      }
      const primary = free(request.primary);
      const secondary = free(otherFamily(request.primary));
      if (primary !== undefined && secondary !== undefined) return { pool, addresses: [primary, secondary] };
      if (request.required) continue;
      if (primary !== undefined) primaryOnly ??= { pool, addresses: [primary] };
      if (secondary !== undefined) secondaryOnly ??= { pool, addresses: [secondary] };
    }
    return primaryOnly ?? secondaryOnly;
  }

  private firstFree(pool: AddressPool, family: IpFamily, holder: Holder): bigint | undefined {
    if (!pool.hasFamily(family)) return undefined;
    const isBlocked = (value: bigint): boolean => this.table.isBlocked(family, value, holder);
    // A sharing Service may join an address in use below the floor: it walks the whole pool.
    if (holder.sharingKey !== '') return pool.firstAvailable(family, isBlocked);
    // Otherwise blocked means in use: everything below the address found is, which raises the floor.
    const value = pool.firstAvailable(family, isBlocked, this.table.freeFloor(pool.name, family));
    if (value !== undefined) this.table.raiseFreeFloor(pool.name, family, value);
    return value;
  }

  /** Why none of these pools could give an address: the family is missing, or they are full. */
  private shortage(pools: readonly AddressPool[], intent: ServiceIntent): Pick {
    const need = describeNeed(intent.family);
    const fits = pools.filter((p) => poolHasNeed(p, intent.family));
    const names = pools.map((p) => `"${p.name}"`).join(', ');
    if (fits.length === 0) return fail('no-pool-for-family', `${intent.key} needs ${need}; no pool it may use has that (${names})`);
    const usage = fits
      .map((p) => {
        const families = (['IPv4', 'IPv6'] as const).filter((f) => p.hasFamily(f));
        return `pool "${p.name}" ` + families.map((f) => `${this.table.inUse(p.name, f)} of ${p.capacity(f)} ${f} in use`).join(', ');
      })
      .join('; ');
    return fail('pool-exhausted', `no free address for ${intent.key} (needs ${need}): ${usage}; it stays pending until an address is freed`);
  }

  private assign(service: ServiceSpec, pool: AddressPool, addresses: readonly Address[], holder: Holder): void {
    const key = serviceKey(service);
    this.unassign(key);
    for (const address of addresses) this.table.add(address, pool.name, holder);
    this.assignments.set(key, { service, pool: pool.name, addresses, holder });
  }

  private unassign(key: string): void {
    const assignment = this.assignments.get(key);
    if (assignment === undefined) return;
    for (const address of assignment.addresses) this.table.remove(address, key);
    this.assignments.delete(key);
  }

  private revalidate(): PoolUpdateResult {
    const previous = [...this.assignments.values()].sort((a, b) => compareForBatch(a.service, b.service));
    this.table.clear();
    this.assignments.clear();
    const moved: { namespace: string; name: string; ips: string[]; from: string; to: string }[] = [];
    const released: RestoreConflict[] = [];
    for (const assignment of previous) {
      const service = assignment.service;
      const intent = readIntent(service);
      const check = this.checkExisting(assignment.addresses, service, intent);
      const ips = assignment.addresses.map(formatAddress);
      if (!check.ok) {
        released.push(conflictOf(service, ips, check));
        this.waiting.set(intent.key, service);
        continue;
      }
      this.assign(service, check.pool, assignment.addresses, intent.holder);
      if (check.pool.name !== assignment.pool) {
        moved.push({ namespace: service.namespace, name: service.name, ips, from: assignment.pool, to: check.pool.name });
      }
    }
    return { moved, released };
  }
}

function failure(reason: AllocationErrorReason, message: string): AllocationResult {
  return { error: { reason, message } };
}

function fail(reason: AllocationErrorReason, message: string): Pick {
  return { error: { reason, message } };
}

function conflictOf(service: ServiceSpec, ips: readonly string[], check: Check & { ok: false }): RestoreConflict {
  return {
    namespace: service.namespace,
    name: service.name,
    ips,
    reason: check.reason,
    message: `${serviceKey(service)}: ${check.message}`,
    ...(check.heldBy === undefined ? {} : { heldBy: check.heldBy }),
  };
}

function sameAddresses(a: readonly Address[], b: readonly Address[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort(compareAddresses);
  const sortedB = [...b].sort(compareAddresses);
  return sortedA.every((address, i) => compareAddresses(address, sortedB[i] as Address) === 0);
}

/** The Service's primary family first (ipFamilies[0]; IPv4 when unknown), as Kubernetes orders clusterIPs. */
function orderByFamily(addresses: readonly Address[], request: FamilyRequest): readonly Address[] {
  if (addresses.length < 2) return addresses;
  const primary = request.kind === 'dual' ? request.primary : (request.family ?? 'IPv4');
  return [...addresses].sort((a, b) => (a.family === b.family ? 0 : a.family === primary ? -1 : 1));
}

function describeNeed(request: FamilyRequest): string {
  if (request.kind === 'single') return request.family === undefined ? 'an address' : `an ${request.family} address`;
  return request.required ? 'an IPv4 and an IPv6 address from one pool (RequireDualStack)' : 'an IPv4 or IPv6 address (PreferDualStack)';
}

function poolHasNeed(pool: AddressPool, request: FamilyRequest): boolean {
  if (request.kind === 'single') return request.family === undefined ? pool.hasFamily('IPv4') || pool.hasFamily('IPv6') : pool.hasFamily(request.family);
  return request.required ? pool.hasFamily('IPv4') && pool.hasFamily('IPv6') : pool.hasFamily('IPv4') || pool.hasFamily('IPv6');
}

/**
 * The configured pools, validated as MetalLB validates them (metallb/metallb internal/config/config.go:
 * unique names, parsable addresses, "CIDR ... overlaps with already defined CIDR" within and between
 * pools), plus the lookup "which pool holds this address" that requested and restored IPs need.
 */
import { IpamConfigError } from './errors.js';
import { parseAddressRange } from './address-range.js';
import { selectorProblems } from './label-selector.js';
import { AddressPool } from './pool.js';
import type { Address } from './address.js';
import type { AddressRange } from './address-range.js';
import type { IpamProblem } from './errors.js';
import type { PoolRestriction } from './pool.js';
import type { IpFamily, LabelSelector, PoolSpec } from './types.js';

interface OwnedRange {
  readonly range: AddressRange;
  readonly pool: AddressPool;
  readonly path: string;
}

export class PoolSet {
  /** In the order given: the order general pools are tried in. */
  readonly pools: readonly AddressPool[];
  private readonly byName: ReadonlyMap<string, AddressPool>;
  private readonly ipv4: readonly OwnedRange[];
  private readonly ipv6: readonly OwnedRange[];

  private constructor(pools: readonly AddressPool[], owned: readonly OwnedRange[]) {
    this.pools = pools;
    this.byName = new Map(pools.map((p) => [p.name, p]));
    this.ipv4 = owned.filter((o) => o.range.family === 'IPv4');
    this.ipv6 = owned.filter((o) => o.range.family === 'IPv6');
  }

  /** Throws IpamConfigError listing every problem found. */
  static fromSpecs(specs: readonly PoolSpec[]): PoolSet {
    const problems: IpamProblem[] = [];
    const pools: AddressPool[] = [];
    const owned: OwnedRange[] = [];
    const seen = new Map<string, number>();
    specs.forEach((spec, index) => {
      const path = `pools[${index}]`;
      if (typeof spec.name !== 'string' || spec.name === '') {
        problems.push({ path: `${path}.name`, reason: 'must be a non-empty string' });
      } else if (seen.has(spec.name)) {
        problems.push({ path: `${path}.name`, reason: `duplicate pool name "${spec.name}" (also pools[${seen.get(spec.name)}])` });
      } else {
        seen.set(spec.name, index);
      }
      const ranges: { range: AddressRange; path: string }[] = [];
      if (spec.addresses.length === 0) problems.push({ path: `${path}.addresses`, reason: 'must list at least one CIDR or range' });
      spec.addresses.forEach((text, i) => {
        const parsed = parseAddressRange(text);
        if (typeof parsed === 'string') problems.push({ path: `${path}.addresses[${i}]`, reason: parsed });
        else ranges.push({ range: parsed, path: `${path}.addresses[${i}]` });
      });
      const restriction = restrictionOf(spec, path, problems);
      const pool = new AddressPool({
        name: spec.name,
        autoAssign: spec.autoAssign,
        avoidBuggyIps: spec.avoidBuggyIps,
        ranges: ranges.map((r) => r.range),
        order: index,
        ...(restriction === undefined ? {} : { restriction }),
      });
      pools.push(pool);
      for (const r of ranges) owned.push({ range: r.range, pool, path: r.path });
    });
    owned.sort(byFamilyThenFirst);
    problems.push(...overlapProblems(owned));
    if (problems.length > 0) throw new IpamConfigError(problems);
    return new PoolSet(pools, owned);
  }

  get(name: string): AddressPool | undefined {
    return this.byName.get(name);
  }

  /** The pool whose ranges contain the address (pools never overlap), even if avoidBuggyIps excludes it. */
  poolContaining(address: Address): AddressPool | undefined {
    const owned = address.family === 'IPv4' ? this.ipv4 : this.ipv6;
    let low = 0;
    let high = owned.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const entry = owned[mid] as OwnedRange;
      if (address.value < entry.range.first) high = mid - 1;
      else if (address.value > entry.range.last) low = mid + 1;
      else return entry.pool;
    }
    return undefined;
  }

  hasFamily(family: IpFamily): boolean {
    return this.pools.some((p) => p.hasFamily(family));
  }
}

function byFamilyThenFirst(a: OwnedRange, b: OwnedRange): number {
  if (a.range.family !== b.range.family) return a.range.family === 'IPv4' ? -1 : 1;
  return a.range.first < b.range.first ? -1 : a.range.first > b.range.first ? 1 : 0;
}

/** Sorted by start, a range overlaps an earlier one exactly when it starts at or below the highest end so far. */
function overlapProblems(sorted: readonly OwnedRange[]): IpamProblem[] {
  const problems: IpamProblem[] = [];
  let widest: OwnedRange | undefined;
  for (const entry of sorted) {
    if (widest !== undefined && widest.range.family === entry.range.family && entry.range.first <= widest.range.last) {
      problems.push({
        path: entry.path,
        reason: `${JSON.stringify(entry.range.text)} of pool "${entry.pool.name}" overlaps ${JSON.stringify(widest.range.text)} of pool "${widest.pool.name}" (${widest.path})`,
      });
    }
    if (widest === undefined || widest.range.family !== entry.range.family || entry.range.last > widest.range.last) widest = entry;
  }
  return problems;
}

function restrictionOf(spec: PoolSpec, path: string, problems: IpamProblem[]): PoolRestriction | undefined {
  const allocation = spec.serviceAllocation;
  if (allocation === undefined) return undefined;
  const priority = allocation.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0) {
    problems.push({ path: `${path}.serviceAllocation.priority`, reason: 'must be a non-negative integer' });
  }
  const checkSelectors = (selectors: readonly LabelSelector[], field: string): void => {
    selectors.forEach((selector, i) => {
      for (const reason of selectorProblems(selector)) problems.push({ path: `${path}.serviceAllocation.${field}[${i}]`, reason });
    });
  };
  checkSelectors(allocation.namespaceSelectors ?? [], 'namespaceSelectors');
  checkSelectors(allocation.serviceSelectors ?? [], 'serviceSelectors');
  return {
    priority,
    namespaces: allocation.namespaces ?? [],
    namespaceSelectors: allocation.namespaceSelectors ?? [],
    serviceSelectors: allocation.serviceSelectors ?? [],
  };
}

/**
 * One address pool: its ranges per family in ascending order, fast membership (binary search), exact
 * capacity (bigint, computed, never enumerated) and "first acceptable address" search.
 *
 * The search walks a family's ranges from the lowest address up and returns the first address that is
 * not excluded by avoidBuggyIps and not blocked by the caller. Only blocked (in-use) and .0/.255
 * addresses are ever stepped over, so the cost is bounded by the number of addresses in use, never by
 * the pool size: an IPv6 /64 answers as fast as a /30. MetalLB walks its CIDRs the same way
 * (metallb/metallb internal/allocator/allocator.go, getIPFromCIDR), but in config order; we sort the
 * ranges so the order is "ascending address within the pool" whatever order the config lists them in.
 */
import { isBuggyAddress } from './address.js';
import { buggyAddressCount, rangeSize } from './address-range.js';
import type { Address } from './address.js';
import type { AddressRange } from './address-range.js';
import type { IpFamily, LabelSelector } from './types.js';

/** serviceAllocation with every list present (possibly empty). */
export interface PoolRestriction {
  /** 0 = no priority (after every pool that has one). */
  readonly priority: number;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface AddressPoolInit {
  readonly name: string;
  readonly autoAssign: boolean;
  readonly avoidBuggyIps: boolean;
  readonly restriction?: PoolRestriction;
  /** Non-overlapping (the caller checks), any order. */
  readonly ranges: readonly AddressRange[];
  /** Position in the pool list: the tie-break between pools of equal priority. */
  readonly order: number;
}

export class AddressPool {
  readonly name: string;
  readonly autoAssign: boolean;
  readonly avoidBuggyIps: boolean;
  readonly restriction: PoolRestriction | undefined;
  readonly order: number;
  private readonly ipv4: readonly AddressRange[];
  private readonly ipv6: readonly AddressRange[];
  private readonly capacityIPv4: bigint;
  private readonly capacityIPv6: bigint;

  constructor(init: AddressPoolInit) {
    this.name = init.name;
    this.autoAssign = init.autoAssign;
    this.avoidBuggyIps = init.avoidBuggyIps;
    this.restriction = init.restriction;
    this.order = init.order;
    const ascending = (a: AddressRange, b: AddressRange): number => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);
    this.ipv4 = init.ranges.filter((r) => r.family === 'IPv4').sort(ascending);
    this.ipv6 = init.ranges.filter((r) => r.family === 'IPv6').sort(ascending);
    this.capacityIPv4 = this.countUsable(this.ipv4);
    this.capacityIPv6 = this.countUsable(this.ipv6);
  }

  ranges(family: IpFamily): readonly AddressRange[] {
    return family === 'IPv4' ? this.ipv4 : this.ipv6;
  }

  hasFamily(family: IpFamily): boolean {
    return this.capacity(family) > 0n;
  }

  /** Addresses of the family that may be handed out. */
  capacity(family: IpFamily): bigint {
    return family === 'IPv4' ? this.capacityIPv4 : this.capacityIPv6;
  }

  /** In one of the pool's ranges (whether or not avoidBuggyIps excludes it). */
  contains(address: Address): boolean {
    return this.rangeOf(address) !== undefined;
  }

  /** In a range and not excluded by avoidBuggyIps: may be assigned. */
  isUsable(address: Address): boolean {
    return this.contains(address) && !this.excludes(address.family, address.value);
  }

  excludes(family: IpFamily, value: bigint): boolean {
    return this.avoidBuggyIps && isBuggyAddress(family, value);
  }

  /**
   * The lowest usable address of the family, from `from` on, for which isBlocked is false, or
   * undefined. isBlocked must only return true for addresses in use, so that the walk stays
   * bounded by the number in use.
   */
  firstAvailable(family: IpFamily, isBlocked: (value: bigint) => boolean, from?: bigint): bigint | undefined {
    for (const range of this.ranges(family)) {
      if (from !== undefined && range.last < from) continue;
      const start = from !== undefined && from > range.first ? from : range.first;
      for (let value = start; value <= range.last; value++) {
        if (this.excludes(family, value)) continue;
        if (!isBlocked(value)) return value;
      }
    }
    return undefined;
  }

  private rangeOf(address: Address): AddressRange | undefined {
    const ranges = this.ranges(address.family);
    let low = 0;
    let high = ranges.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const range = ranges[mid] as AddressRange;
      if (address.value < range.first) high = mid - 1;
      else if (address.value > range.last) low = mid + 1;
      else return range;
    }
    return undefined;
  }

  private countUsable(ranges: readonly AddressRange[]): bigint {
    let total = 0n;
    for (const range of ranges) total += rangeSize(range) - (this.avoidBuggyIps ? buggyAddressCount(range) : 0n);
    return total;
  }
}

/**
 * Which Service holds which address, and whether another Service may join it.
 *
 * Sharing follows MetalLB (metallb/metallb internal/allocator/allocator.go, checkSharing and
 * sharingOK; internal/allocator/k8salloc/k8salloc.go, Ports and BackendKey): Services may hold one
 * address together only when both carry the same metallb.io/allow-shared-ip key, no port/protocol
 * pair is used twice, and their backend keys are equal. The backend key is empty for
 * externalTrafficPolicy Cluster and the selector for Local (a Local address is announced only from
 * nodes running its endpoints, so every Service on it must select the same pods). A Service alone on
 * its address may change its own key or ports freely.
 */
import { addressKey } from './address.js';
import type { Address } from './address.js';
import type { IpFamily } from './types.js';

/** How one Service uses its addresses. */
export interface Holder {
  /** "namespace/name". */
  readonly service: string;
  /** The allow-shared-ip key; "" = not sharing. */
  readonly sharingKey: string;
  /** "" for externalTrafficPolicy Cluster, "Local:<selector>" for Local. */
  readonly backendKey: string;
  /** "TCP/80" style, sorted, unique. */
  readonly ports: readonly string[];
}

export type SharingVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'in-use' | 'sharing-conflict'; readonly message: string; readonly heldBy: readonly string[] };

interface Entry {
  readonly pool: string;
  readonly family: IpFamily;
  readonly holders: Map<string, Holder>;
}

export class IpTable {
  private readonly entries = new Map<string, Entry>();
  /** pool -> family -> distinct addresses in use. */
  private readonly counts = new Map<string, { IPv4: number; IPv6: number }>();
  /**
   * "pool|family" -> a value below which every usable address of the pool is in use: where the
   * search for a free address may start. Without it each allocation walked the pool from its
   * first address, and allocating N Services cost N^2/2 steps (10 s for 10,000).
   */
  private readonly floors = new Map<string, bigint>();

  /** May `candidate` hold `address` next to its current holders? `text` is only for messages. */
  check(address: Address, text: string, candidate: Holder): SharingVerdict {
    const entry = this.entries.get(addressKey(address.family, address.value));
    if (entry === undefined) return { ok: true };
    return verdict(entry, text, candidate);
  }

  /** For the pool walk: in use, and candidate may not join. */
  isBlocked(family: IpFamily, value: bigint, candidate: Holder): boolean {
    const entry = this.entries.get(addressKey(family, value));
    if (entry === undefined) return false;
    // Fast path for the common case, a Service that does not share: blocked unless it is the sole holder.
    if (candidate.sharingKey === '') return !(entry.holders.size === 1 && entry.holders.has(candidate.service));
    return !verdict(entry, '', candidate).ok;
  }

  add(address: Address, pool: string, holder: Holder): void {
    const key = addressKey(address.family, address.value);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { pool, family: address.family, holders: new Map() };
      this.entries.set(key, entry);
      this.bump(pool, address.family, 1);
    }
    entry.holders.set(holder.service, holder);
  }

  remove(address: Address, service: string): void {
    const key = addressKey(address.family, address.value);
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.holders.delete(service)) return;
    if (entry.holders.size === 0) {
      this.entries.delete(key);
      this.bump(entry.pool, entry.family, -1);
      // Lowering a floor is always safe; every pool's, not only the entry's, in case the address
      // now lies in a pool of another name (a pool renamed by a configuration change).
      for (const [floorKey, floor] of this.floors) {
        if (floorKey.endsWith(`|${entry.family}`) && address.value < floor) this.floors.set(floorKey, address.value);
      }
    }
  }

  /** Where a search for a free address of the pool may start (undefined: at its first address). */
  freeFloor(pool: string, family: IpFamily): bigint | undefined {
    return this.floors.get(`${pool}|${family}`);
  }

  /** A search found every usable address below `value` in use. */
  raiseFreeFloor(pool: string, family: IpFamily, value: bigint): void {
    const key = `${pool}|${family}`;
    const floor = this.floors.get(key);
    if (floor === undefined || value > floor) this.floors.set(key, value);
  }

  /** The pools' ranges changed: a floor may sit above a new range. */
  forgetFreeFloors(): void {
    this.floors.clear();
  }

  inUse(pool: string, family: IpFamily): number {
    return this.counts.get(pool)?.[family] ?? 0;
  }

  clear(): void {
    this.entries.clear();
    this.counts.clear();
    this.floors.clear();
  }

  private bump(pool: string, family: IpFamily, by: number): void {
    let count = this.counts.get(pool);
    if (count === undefined) {
      count = { IPv4: 0, IPv6: 0 };
      this.counts.set(pool, count);
    }
    count[family] += by;
  }
}

function verdict(entry: Entry, text: string, candidate: Holder): SharingVerdict {
  const others = [...entry.holders.values()].filter((h) => h.service !== candidate.service).sort((a, b) => compare(a.service, b.service));
  if (others.length === 0) return { ok: true };
  const heldBy = others.map((h) => h.service);
  const names = heldBy.join(', ');
  if (candidate.sharingKey === '') {
    return { ok: false, reason: 'in-use', heldBy, message: `${text} is in use by ${names} and this Service has no metallb.io/allow-shared-ip key` };
  }
  for (const other of others) {
    if (other.sharingKey === '') {
      return { ok: false, reason: 'in-use', heldBy, message: `${text} is in use by ${other.service}, which does not allow sharing` };
    }
    if (other.sharingKey !== candidate.sharingKey) {
      return {
        ok: false,
        reason: 'sharing-conflict',
        heldBy,
        message: `${text} is shared under key ${JSON.stringify(other.sharingKey)} by ${other.service}, not ${JSON.stringify(candidate.sharingKey)}`,
      };
    }
    if (other.backendKey !== candidate.backendKey) {
      return {
        ok: false,
        reason: 'sharing-conflict',
        heldBy,
        message: `${text} is held by ${other.service} (${describeBackend(other.backendKey)}); this Service has ${describeBackend(candidate.backendKey)}: externalTrafficPolicy Local Services may share only with the same policy and selector`,
      };
    }
    const clash = candidate.ports.find((p) => other.ports.includes(p));
    if (clash !== undefined) {
      return { ok: false, reason: 'sharing-conflict', heldBy, message: `port ${clash} on ${text} is already used by ${other.service}` };
    }
  }
  return { ok: true };
}

function describeBackend(backendKey: string): string {
  if (backendKey === '') return 'externalTrafficPolicy Cluster';
  const selector = backendKey.slice('Local:'.length);
  return `externalTrafficPolicy Local, selector {${selector}}`;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

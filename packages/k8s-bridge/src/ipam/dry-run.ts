/**
 * `k8s-bridge allocate --config FILE --services FILE`: what the controller would assign, without a
 * cluster. The Services are taken as the API server would list them at a controller start: restore()
 * keeps every address already in a status, then allocate() runs once per Service in batch order
 * (older creationTimestamp first, then namespace, then name). Entries come back in input order.
 */
import { Allocator } from './allocator.js';
import { compareForBatch, serviceKey } from './service-intent.js';
import { isAllocated } from './types.js';
import type { AllocatorOptions } from './allocator.js';
import type { AllocationError, AllocationResult, PoolSpec, ServiceSpec } from './types.js';

export { parseServices } from './service-file.js';

interface EntryBase {
  readonly namespace: string;
  readonly name: string;
  /** Restore findings for this Service: a dropped status address and why, a stale annotation. */
  readonly warnings?: readonly string[];
}

export type DryRunEntry =
  | (EntryBase & { readonly ips: readonly string[]; readonly pool: string })
  | (EntryBase & { readonly error: AllocationError });

/** Throws IpamConfigError when the pools are unusable; every Service gets an entry. */
export function allocateAll(pools: readonly PoolSpec[], services: readonly ServiceSpec[], options: AllocatorOptions = {}): DryRunEntry[] {
  const allocator = new Allocator(pools, options);
  const firstIndex = new Map<string, number>();
  services.forEach((service, i) => {
    if (!firstIndex.has(serviceKey(service))) firstIndex.set(serviceKey(service), i);
  });
  const unique = services.filter((service, i) => firstIndex.get(serviceKey(service)) === i);

  const restored = allocator.restore(unique);
  const warnings = new Map<string, string[]>();
  const warn = (key: string, message: string): void => {
    const list = warnings.get(key) ?? [];
    list.push(message);
    warnings.set(key, list);
  };
  for (const conflict of restored.conflicts) {
    warn(serviceKey(conflict), `status address ${conflict.ips.join(', ')} not kept (${conflict.reason}): ${conflict.message}`);
  }
  for (const note of restored.notes) warn(serviceKey(note), note.message);

  const results = new Map<string, AllocationResult>();
  for (const service of [...unique].sort(compareForBatch)) results.set(serviceKey(service), allocator.allocate(service));

  return services.map((service, i): DryRunEntry => {
    const key = serviceKey(service);
    const base = { namespace: service.namespace, name: service.name };
    if (firstIndex.get(key) !== i) {
      return { ...base, error: { reason: 'invalid-request', message: `${key} is listed more than once; only the first is allocated` } };
    }
    const result = results.get(key) as AllocationResult;
    const extra = warnings.has(key) ? { warnings: warnings.get(key) as string[] } : {};
    return isAllocated(result) ? { ...base, ips: result.ips, pool: result.pool, ...extra } : { ...base, error: result.error, ...extra };
  });
}

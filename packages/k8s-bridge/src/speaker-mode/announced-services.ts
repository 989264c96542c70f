/**
 * What the speaker reads from the cluster to know which addresses exist: the allocations the
 * controller published on Services (status.loadBalancer.ingress and the
 * metallb.io/ip-allocated-from-pool annotation). The speaker never allocates.
 *
 * The pool decides how an address is advertised (its BGPAdvertisements). The annotation names it;
 * when the annotation is missing or names a pool that does not hold the address (the
 * configuration changed since), the pool holding the address is used, as MetalLB's speaker
 * finds it by address.
 */
import type { V1Service } from '@kubernetes/client-node';
import type { AnnouncedService } from '../announce/bgp-routes.js';
import { canonicalAddress, rangeBounds } from '../config/addresses.js';
import type { BridgeConfig, Pool } from '../config/model.js';
import { notOursBecause } from '../ipam/service-intent.js';
import { namespacedKey, publishedAllocation, serviceSpecOf } from '../sources/kube-objects.js';

export interface SkippedService {
  readonly service: string;
  readonly reason: string;
}

export interface AnnouncedServices {
  readonly services: AnnouncedService[];
  /** Services with addresses that cannot be announced (no pool holds them), for a log line. */
  readonly skipped: SkippedService[];
}

export function announcedServicesOf(
  config: BridgeConfig,
  services: Iterable<V1Service>,
  readyEndpointNodes: ReadonlyMap<string, ReadonlySet<string>>,
): AnnouncedServices {
  const out: AnnouncedService[] = [];
  const skipped: SkippedService[] = [];
  for (const service of services) {
    const spec = serviceSpecOf(service);
    if (spec === undefined || notOursBecause(spec, config.loadBalancerClass) !== undefined) continue;
    const { ips, pool: annotated } = publishedAllocation(service);
    if (ips.length === 0) continue;
    const key = namespacedKey(spec.namespace, spec.name);
    const pool = poolHolding(config, ips, annotated);
    if (pool === undefined) {
      skipped.push({ service: key, reason: `${ips.join(', ')} ${ips.length === 1 ? 'is' : 'are'} in no configured pool` });
      continue;
    }
    out.push({
      namespace: spec.namespace,
      name: spec.name,
      labels: spec.labels ?? {},
      ips,
      pool: pool.name,
      externalTrafficPolicy: spec.spec.externalTrafficPolicy ?? 'Cluster',
      readyEndpointNodes: readyEndpointNodes.get(key) ?? new Set(),
    });
  }
  return { services: out, skipped };
}

/** The annotated pool if it holds every address, else the one pool holding them all. */
export function poolHolding(config: BridgeConfig, ips: readonly string[], annotated: string | undefined): Pool | undefined {
  const named = annotated === undefined ? undefined : config.pools.find((p) => p.name === annotated);
  if (named !== undefined && ips.every((ip) => poolHolds(named, ip))) return named;
  return config.pools.find((pool) => ips.every((ip) => poolHolds(pool, ip)));
}

function poolHolds(pool: Pool, ip: string): boolean {
  const address = canonicalAddress(ip);
  if (address === undefined) return false;
  return pool.addresses.some((range) => {
    if (range.family !== address.family) return false;
    const bounds = rangeBounds(range);
    return bounds.first <= address.value && address.value <= bounds.last;
  });
}

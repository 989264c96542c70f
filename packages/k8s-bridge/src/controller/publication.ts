/**
 * What a Service should carry after the allocator decided on it, following MetalLB's controller
 * (controller/service.go convergeBalancer, clearServiceState):
 *
 * - an allocation: its addresses in status.loadBalancer.ingress and its pool in the annotation;
 * - a failure while the allocator still holds addresses for it (an invalid new request is only
 *   reported): those addresses;
 * - a failure with nothing held: whatever we published is taken back, the Service waits;
 * - no longer type LoadBalancer: what we published is taken back;
 * - a Service of another loadBalancerClass belongs to another controller: left alone.
 *
 * Undefined means "leave the Service as it is".
 */
import type { V1Service } from '@kubernetes/client-node';
import { isAllocated } from '../ipam/types.js';
import type { Allocated, AllocationResult } from '../ipam/types.js';
import { IP_ALLOCATED_FROM_POOL } from '../kube/status.js';
import type { ServiceAssignment } from '../kube/status.js';

const CLEARED: ServiceAssignment = { ips: [], pool: undefined };

export function publicationFor(service: V1Service, result: AllocationResult, held: Allocated | undefined): ServiceAssignment | undefined {
  if (isAllocated(result)) return { ips: result.ips, pool: result.pool };
  if (held !== undefined) return { ips: held.ips, pool: held.pool };
  const publishedByUs = Object.hasOwn(service.metadata?.annotations ?? {}, IP_ALLOCATED_FROM_POOL);
  const hasAddresses = (service.status?.loadBalancer?.ingress ?? []).some((i) => i.ip !== undefined && i.ip !== '');
  if (result.error.reason === 'not-ours') {
    const type = service.spec?.type ?? 'ClusterIP';
    return type !== 'LoadBalancer' && (publishedByUs || hasAddresses) ? CLEARED : undefined;
  }
  return publishedByUs || hasAddresses ? CLEARED : undefined;
}

/**
 * The Kubernetes Event an allocation result deserves, worded as MetalLB's controller words it
 * (metallb/metallb controller/service.go: "IPAllocated" / "Assigned IP %q"; "AllocationFailed" /
 * "Failed to allocate IP for %q: %s"). A pending Service thereby says why it is pending.
 */
import { isAllocated } from './types.js';
import type { AllocationResult, ServiceRef } from './types.js';

export interface ServiceEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: 'IPAllocated' | 'AllocationFailed';
  readonly message: string;
}

/** Undefined for Services that are not ours: they get no Event from us. */
export function allocationEvent(service: ServiceRef, result: AllocationResult): ServiceEvent | undefined {
  if (isAllocated(result)) {
    return { type: 'Normal', reason: 'IPAllocated', message: `Assigned IP ${JSON.stringify(result.ips)} from pool "${result.pool}"` };
  }
  if (result.error.reason === 'not-ours') return undefined;
  return {
    type: 'Warning',
    reason: 'AllocationFailed',
    message: `Failed to allocate IP for "${service.namespace}/${service.name}" (${result.error.reason}): ${result.error.message}`,
  };
}

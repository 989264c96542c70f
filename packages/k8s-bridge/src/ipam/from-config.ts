/** The allocator's view of the validated configuration: its pools, and whose Services are ours. */
import type { BridgeConfig } from '../config/model.js';
import type { AllocatorOptions } from './allocator.js';
import type { PoolSpec } from './types.js';

export function poolSpecs(config: BridgeConfig): PoolSpec[] {
  return config.pools.map((pool) => ({
    name: pool.name,
    addresses: pool.addresses.map((range) => range.text),
    autoAssign: pool.autoAssign,
    avoidBuggyIps: pool.avoidBuggyIps,
    ...(pool.serviceAllocation === undefined ? {} : { serviceAllocation: pool.serviceAllocation }),
  }));
}

export function allocatorOptions(config: BridgeConfig): AllocatorOptions {
  return config.loadBalancerClass === undefined ? {} : { loadBalancerClass: config.loadBalancerClass };
}

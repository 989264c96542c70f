/** @metallb-ts/k8s-bridge: MetalLB's configuration, IP allocation and the speaker feed. */
export * from './config/index.js';
export { Allocator, allocateAll, parseServices, allocationEvent, IpamConfigError, ServiceFileError, ANNOTATIONS, isAllocated } from './ipam/index.js';
export type {
  AllocatorOptions,
  AllocationResult,
  DryRunEntry,
  IpamProblem,
  PoolSpec,
  ServiceEvent,
  ServiceSpec,
} from './ipam/index.js';
export { poolSpecs, allocatorOptions } from './ipam/from-config.js';
export { Controller } from './controller/controller.js';
export { SpeakerNode } from './speaker-mode/speaker-node.js';

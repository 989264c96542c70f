/** IP address management: pools, the allocator, sharing rules, and the dry run behind `k8s-bridge allocate`. */
export { Allocator } from './allocator.js';
export type { AllocatorOptions, RetryOutcome } from './allocator.js';
export { allocateAll } from './dry-run.js';
export type { DryRunEntry } from './dry-run.js';
export { parseServices } from './service-file.js';
export { allocationEvent } from './allocation-event.js';
export type { ServiceEvent } from './allocation-event.js';
export { IpamConfigError, ServiceFileError } from './errors.js';
export type { IpamProblem } from './errors.js';
export { matchesSelector, selectorProblems } from './label-selector.js';
export { ANNOTATIONS, compareForBatch } from './service-intent.js';
export type { NamespaceLabels } from './pool-selection.js';
export { isAllocated } from './types.js';
export type * from './types.js';

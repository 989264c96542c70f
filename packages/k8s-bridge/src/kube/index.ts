/** The Kubernetes side of the bridge: informers, the Service status writer, Events, leader election. */
export { ResourceInformer, objectKey, type InformerEvent, type InformerOptions, type InformerSource, type InformerStats, type Selectors } from './informer.js';
export {
  endpointSliceInformer,
  metallbInformer,
  nodeInformer,
  secretInformer,
  serviceInformer,
  METALLB_GROUP,
  METALLB_RESOURCES,
  type MetallbObject,
  type MetallbResource,
} from './informers.js';
export { clearServiceAssignment, writeServiceAssignment, IP_ALLOCATED_FROM_POOL, type ServiceAssignment, type StatusWriteOptions, type StatusWriteResult } from './status.js';
export { EventRecorder, serviceReference, type EventSource, type EventType } from './events.js';
export { LeaderElector, type LeaderElectionOptions } from './lease.js';
export { apiStatusCode, apiStatusReason, describeError, isConflict, isNotFound } from './errors.js';

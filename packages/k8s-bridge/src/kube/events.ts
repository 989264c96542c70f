/**
 * Kubernetes Events about our objects (core/v1, what `kubectl describe service` shows), e.g.
 * "IPAllocated" or "AllocationFailed" on a Service.
 *
 * Events are named `<object>.<hex nanoseconds>` like client-go's recorder, carry the reporting
 * component and instance, and are not aggregated (each call creates one Event). Event text goes
 * to anyone who can read the namespace: never put a secret in a message.
 */
import type { CoreV1Api, CoreV1Event, V1ObjectReference, V1Service } from '@kubernetes/client-node';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** The reporting component, e.g. `metallb-ts-controller`. */
  readonly component: string;
  /** The reporting instance (pod or node name). */
  readonly instance?: string;
}

/** The API server limits the message of events.k8s.io Events to 1 kB; we keep core ones as short. */
const MAX_MESSAGE = 1024;

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}

/** A reference to a Service for involvedObject (listed Services carry no kind/apiVersion). */
export function serviceReference(service: V1Service): V1ObjectReference {
  return {
    kind: 'Service',
    apiVersion: 'v1',
    namespace: service.metadata?.namespace,
    name: service.metadata?.name,
    uid: service.metadata?.uid,
    resourceVersion: service.metadata?.resourceVersion,
  };
}

export class EventRecorder {
  private sequence = 0n;

  constructor(
    private readonly core: CoreV1Api,
    private readonly source: EventSource,
    private readonly now: () => Date = () => new Date(),
    /** Called when a fire-and-forget `emit` fails. */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Creates one Event about `ref`; rejects with the client's error if the API refuses it. */
  async record(ref: V1ObjectReference, type: EventType, reason: string, message: string): Promise<CoreV1Event> {
    const name = ref.name;
    const namespace = ref.namespace ?? 'default';
    if (name === undefined || name === '') throw new Error('an Event needs the name of the object it is about');
    const at = this.now();
    // UnixNano like client-go, plus a sequence so two events in one millisecond differ.
    const nanos = BigInt(at.getTime()) * 1_000_000n + (this.sequence++ % 1_000_000n);
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${nanos.toString(16)}`, namespace },
      involvedObject: ref,
      reason,
      message: truncate(message),
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.source.component, ...(this.source.instance !== undefined ? { host: this.source.instance } : {}) },
      reportingComponent: this.source.component,
      reportingInstance: this.source.instance ?? '',
    };
    return this.core.createNamespacedEvent({ namespace, body });
  }

  /** `record` for a Service. */
  recordForService(service: V1Service, type: EventType, reason: string, message: string): Promise<CoreV1Event> {
    return this.record(serviceReference(service), type, reason, message);
  }

  /** Fire and forget: events are best effort and must never fail the work they describe. */
  emit(ref: V1ObjectReference, type: EventType, reason: string, message: string): void {
    this.record(ref, type, reason, message).catch((err: unknown) => this.onError(err));
  }

  /** `emit` for a Service. */
  emitForService(service: V1Service, type: EventType, reason: string, message: string): void {
    this.emit(serviceReference(service), type, reason, message);
  }
}

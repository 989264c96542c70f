/**
 * Publishing an allocation on its Service, as MetalLB's controller does: the IPs in
 * status.loadBalancer.ingress (through the /status subresource, the only place a status write
 * lands) and the pool in the metallb.io/ip-allocated-from-pool annotation (through the main
 * resource, which ignores status). Two writes, each a JSON merge patch, each skipped when the
 * Service already says it.
 *
 * Merge patch (RFC 7386) replaces lists whole, which is what ingress needs; it is also
 * status.loadBalancer.ingress's strategy in a strategic merge patch (an atomic list).
 *
 * By default each write carries the resourceVersion it was decided on, so a Service changed in
 * the meantime answers 409 Conflict (see isConflict) instead of being overwritten: the caller
 * decides again from the newer object.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1LoadBalancerIngress, type V1Service } from '@kubernetes/client-node';

export const IP_ALLOCATED_FROM_POOL = 'metallb.io/ip-allocated-from-pool';

export interface ServiceAssignment {
  /** IPs for status.loadBalancer.ingress, in order; empty clears the ingress. */
  readonly ips: readonly string[];
  /** The pool they came from; undefined removes the annotation. */
  readonly pool: string | undefined;
  /** status.loadBalancer.ingress[].ipMode (Kubernetes 1.30+); left unset if undefined. */
  readonly ipMode?: 'VIP' | 'Proxy';
}

export interface StatusWriteOptions {
  /** Send the Service's resourceVersion as a precondition (409 if it changed). Default true. */
  readonly precondition?: boolean;
}

export interface StatusWriteResult {
  /** The Service after the writes (the input if nothing had to be written). */
  readonly service: V1Service;
  readonly annotationWritten: boolean;
  readonly statusWritten: boolean;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function desiredIngress(assignment: ServiceAssignment): V1LoadBalancerIngress[] {
  return assignment.ips.map((ip) => (assignment.ipMode === undefined ? { ip } : { ip, ipMode: assignment.ipMode }));
}

function sameIngress(current: readonly V1LoadBalancerIngress[] | undefined, desired: readonly V1LoadBalancerIngress[]): boolean {
  const have = current ?? [];
  if (have.length !== desired.length) return false;
  return have.every((entry, i) => {
    const want = desired[i];
    // Other fields (hostname, ports) are not ours: an entry with them is not what we would write.
    return want !== undefined && entry.ip === want.ip && entry.ipMode === want.ipMode && entry.hostname === undefined && (entry.ports ?? []).length === 0;
  });
}

function identity(service: V1Service): { name: string; namespace: string } {
  const name = service.metadata?.name;
  const namespace = service.metadata?.namespace;
  if (name === undefined || namespace === undefined) throw new Error('a Service needs metadata.name and metadata.namespace');
  return { name, namespace };
}

/**
 * Makes `current` (the Service as last read) carry `assignment`. Returns the Service as the API
 * server last answered. Throws the client's ApiException on failure (409: the Service changed).
 */
export async function writeServiceAssignment(
  core: CoreV1Api,
  current: V1Service,
  assignment: ServiceAssignment,
  options: StatusWriteOptions = {},
): Promise<StatusWriteResult> {
  const { name, namespace } = identity(current);
  const precondition = options.precondition ?? true;
  let service = current;
  let annotationWritten = false;
  let statusWritten = false;

  const pool = service.metadata?.annotations?.[IP_ALLOCATED_FROM_POOL];
  if (pool !== assignment.pool) {
    const body = {
      metadata: {
        annotations: { [IP_ALLOCATED_FROM_POOL]: assignment.pool ?? null },
        ...(precondition ? { resourceVersion: service.metadata?.resourceVersion } : {}),
      },
    };
    service = await core.patchNamespacedService({ name, namespace, body }, MERGE_PATCH);
    annotationWritten = true;
  }

  const ingress = desiredIngress(assignment);
  if (!sameIngress(service.status?.loadBalancer?.ingress, ingress)) {
    const body = {
      ...(precondition ? { metadata: { resourceVersion: service.metadata?.resourceVersion } } : {}),
      status: { loadBalancer: { ingress: ingress.length > 0 ? ingress : null } },
    };
    service = await core.patchNamespacedServiceStatus({ name, namespace, body }, MERGE_PATCH);
    statusWritten = true;
  }
  return { service, annotationWritten, statusWritten };
}

/** Removes our IPs and annotation from a Service (the allocation was released). */
export function clearServiceAssignment(core: CoreV1Api, current: V1Service, options?: StatusWriteOptions): Promise<StatusWriteResult> {
  return writeServiceAssignment(core, current, { ips: [], pool: undefined }, options);
}

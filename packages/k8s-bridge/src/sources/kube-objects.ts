/**
 * The cluster's objects, as @kubernetes/client-node gives them (informer stores hold the client's
 * model classes), turned into the plain shapes the allocator and the announcer read: a Service's
 * ServiceSpec and its published allocation, a Node's NodeState, the nodes holding ready endpoints
 * of each Service, a Secret's decoded data and a namespace's labels.
 *
 * The same readings as the standalone mode's cluster file (cluster-file.ts), so that one cluster
 * state gives the same answers whichever way it arrives.
 */
import type { V1EndpointSlice, V1Namespace, V1Node, V1Secret, V1Service } from '@kubernetes/client-node';
import type { NodeState } from '../announce/bgp-routes.js';
import { ANNOTATIONS } from '../ipam/service-intent.js';
import type { IpFamily, IpFamilyPolicy, Labels, LoadBalancerIngress, ServicePort, ServiceSpec } from '../ipam/types.js';
import { SERVICE_NAME_LABEL } from './cluster-file.js';

const FAMILY_POLICIES: ReadonlySet<string> = new Set(['SingleStack', 'PreferDualStack', 'RequireDualStack']);

/** `namespace/name` of a namespaced object. */
export function namespacedKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** namespacedKey's inverse: "namespace/name" -> [namespace, name]. */
export function splitNamespacedKey(key: string): [namespace: string, name: string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** Undefined for an object without a name (the API never serves one). */
export function serviceSpecOf(service: V1Service): ServiceSpec | undefined {
  const metadata = service.metadata;
  const name = metadata?.name;
  if (name === undefined || name === '') return undefined;
  const spec = service.spec ?? {};
  const families = (spec.ipFamilies ?? []).filter((f): f is IpFamily => f === 'IPv4' || f === 'IPv6');
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({ port: p.port, ...(p.protocol === undefined ? {} : { protocol: p.protocol }), ...(p.name === undefined ? {} : { name: p.name }) }));
  const ingress: LoadBalancerIngress[] = (service.status?.loadBalancer?.ingress ?? []).map((i) => ({
    ...(i.ip === undefined ? {} : { ip: i.ip }),
    ...(i.hostname === undefined ? {} : { hostname: i.hostname }),
  }));
  const created = metadata?.creationTimestamp;
  const policy = spec.ipFamilyPolicy;
  const traffic = spec.externalTrafficPolicy;
  return {
    namespace: metadata?.namespace ?? 'default',
    name,
    ...(metadata?.labels === undefined ? {} : { labels: { ...metadata.labels } }),
    ...(metadata?.annotations === undefined ? {} : { annotations: { ...metadata.annotations } }),
    // Listed objects carry a Date, watched ones were deserialized into one too; text is accepted as well.
    ...(created === undefined ? {} : { creationTimestamp: created instanceof Date ? created.toISOString() : String(created) }),
    spec: {
      ...(spec.type === undefined ? {} : { type: spec.type }),
      ...(spec.loadBalancerIP === undefined || spec.loadBalancerIP === '' ? {} : { loadBalancerIP: spec.loadBalancerIP }),
      ...(spec.loadBalancerClass === undefined ? {} : { loadBalancerClass: spec.loadBalancerClass }),
      ...(policy !== undefined && FAMILY_POLICIES.has(policy) ? { ipFamilyPolicy: policy as IpFamilyPolicy } : {}),
      ...(families.length === 0 ? {} : { ipFamilies: families }),
      ...(spec.clusterIPs !== undefined ? { clusterIPs: [...spec.clusterIPs] } : spec.clusterIP !== undefined ? { clusterIPs: [spec.clusterIP] } : {}),
      ports,
      ...(traffic === 'Cluster' || traffic === 'Local' ? { externalTrafficPolicy: traffic } : {}),
      ...(spec.selector === undefined ? {} : { selector: { ...spec.selector } }),
    },
    ...(ingress.length === 0 ? {} : { status: { loadBalancer: { ingress } } }),
  };
}

/** What the controller published on a Service: the ingress IPs and the pool annotation. */
export interface PublishedAllocation {
  readonly ips: readonly string[];
  readonly pool: string | undefined;
}

export function publishedAllocation(service: V1Service): PublishedAllocation {
  const ips = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => ip !== undefined && ip !== '');
  const annotations = service.metadata?.annotations ?? {};
  const pool = annotations[ANNOTATIONS.ipAllocatedFromPool[0]] ?? annotations[ANNOTATIONS.ipAllocatedFromPool[1]];
  return { ips, pool };
}

export function nodeStateOf(node: V1Node): NodeState {
  const conditions = node.status?.conditions ?? [];
  const internalIp = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return {
    name: node.metadata?.name ?? '',
    labels: { ...(node.metadata?.labels ?? {}) },
    networkUnavailable: conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
    ...(internalIp === undefined ? {} : { internalIp }),
  };
}

/**
 * "namespace/service" -> nodes holding at least one ready endpoint of it, from every EndpointSlice
 * (a Service may have several). discovery.k8s.io/v1: an endpoint is ready unless
 * conditions.ready is false; one without a nodeName tells us no node.
 */
export function readyEndpointNodes(slices: Iterable<V1EndpointSlice>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined || service === '') continue;
    const key = namespacedKey(slice.metadata?.namespace ?? 'default', service);
    let nodes = out.get(key);
    if (nodes === undefined) {
      nodes = new Set();
      out.set(key, nodes);
    }
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      if (endpoint.nodeName !== undefined && endpoint.nodeName !== '') nodes.add(endpoint.nodeName);
    }
  }
  return out;
}

/** A Secret's data, base64-decoded (as the API serves `data`). Never log the result. */
export function secretDataOf(secret: V1Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) out[key] = Buffer.from(value, 'base64').toString('utf8');
  for (const [key, value] of Object.entries(secret.stringData ?? {})) out[key] = value;
  return out;
}

/** Namespace name -> labels, for pools with serviceAllocation.namespaceSelectors. */
export function namespaceLabelsOf(namespaces: Iterable<V1Namespace>): Record<string, Labels> {
  const out: Record<string, Labels> = {};
  for (const namespace of namespaces) {
    const name = namespace.metadata?.name;
    if (name !== undefined) out[name] = { ...(namespace.metadata?.labels ?? {}) };
  }
  return out;
}

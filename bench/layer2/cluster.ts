/**
 * What the Layer 2 benchmark's speakers read: the MetalLB configuration as kubespray variables
 * (metallb_protocol left out: layer2 is kubespray's default) and the cluster file standing in for
 * the API server, with every Node (each with its InternalIP: the speakers heartbeat each other
 * there) and N LoadBalancer Services, externalTrafficPolicy Cluster, each with one ready endpoint
 * on the first node, so every alive node is eligible for every Service.
 * The objects are built by the k8s-bridge benchmark's cluster.ts (the same Service and
 * EndpointSlice shapes, namespace `bench`).
 */
import { clusterText, nodeJson, serviceName, serviceWithSliceJson } from '../k8s-bridge/cluster.js';

/**
 * The pool: 198.18.0.200-198.18.0.231; Service i gets the i-th address (allocation in order).
 * With nodes node-1..3, the owners (lowest sha256("node#ip")) of .200-.205 are node-3, node-3,
 * node-2, node-3, node-3, node-1: the default 6 Services give every node one to lose.
 */
export const POOL_RANGE = '198.18.0.200-198.18.0.231';
export const MAX_SERVICES = 32;

/** kubespray group_vars for MetalLB in Layer 2 mode (strict ARP on, as kubespray requires). */
export function kubesprayVars(): string {
  return [
    '# Layer 2 benchmark: kubespray variables, metallb_protocol left at its default (layer2).',
    'kube_proxy_strict_arp: true',
    'metallb_enabled: true',
    'metallb_speaker_enabled: true',
    'metallb_ip_range:',
    `  - ${POOL_RANGE}`,
    '',
  ].join('\n');
}

export interface ClusterNode {
  readonly name: string;
  readonly address: string;
}

/** The cluster file: the Nodes and `services` Services with their EndpointSlices. */
export function clusterFile(nodes: readonly ClusterNode[], services: number): string {
  if (nodes.length === 0) throw new RangeError('at least one node');
  if (!Number.isInteger(services) || services < 1 || services > MAX_SERVICES) throw new RangeError(`1 to ${MAX_SERVICES} Services, not ${services}`);
  const endpointNode = nodes[0]?.name ?? '';
  const fragments: string[] = [];
  for (let i = 0; i < services; i++) fragments.push(serviceWithSliceJson(i, endpointNode));
  return clusterText(nodes.map((n) => nodeJson(n.name, n.address)).join(',\n'), fragments);
}

/** "bench/svc-00000": how the speakers name the i-th Service in their allocation lines. */
export function serviceKey(index: number): string {
  return `bench/${serviceName(index)}`;
}

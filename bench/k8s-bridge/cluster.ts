/**
 * The cluster file `k8s-bridge standalone --services` reads, standing in for the API server: the
 * Node the bridge plays and N LoadBalancer Services, each with an EndpointSlice holding one ready
 * endpoint on that Node (externalTrafficPolicy Cluster), so every Service is announced by it.
 * Written as compact JSON (YAML is a superset of JSON); each object is serialised once and the
 * file is a join of the pieces, so writing the k-th version costs no object building.
 */
import { rename, writeFile } from 'node:fs/promises';

export const NODE_NAME = 'node-1';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function nodeJson(name: string, internalIp: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    status: {
      addresses: [
        { type: 'InternalIP', address: internalIp },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        { type: 'NetworkUnavailable', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  });
}

/** The name of the i-th Service (0-based), namespace `bench`. */
export function serviceName(index: number): string {
  return `svc-${String(index).padStart(5, '0')}`;
}

/** The i-th Service and its EndpointSlice (one ready pod on `nodeName`), as one JSON fragment "svc,slice". */
export function serviceWithSliceJson(index: number, nodeName: string): string {
  const name = serviceName(index);
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'bench', name },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }], externalTrafficPolicy: 'Cluster' },
  };
  // Pod addresses in 10.244.0.0/16 (not announced; only the node they run on matters).
  const pod = `10.244.${Math.floor(index / 250) % 256}.${(index % 250) + 1}`;
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'bench', name: `${name}-abcde`, labels: { [SERVICE_NAME_LABEL]: name } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [pod], conditions: { ready: true }, nodeName }],
    ports: [{ port: 80, protocol: 'TCP' }],
  };
  return `${JSON.stringify(service)},\n${JSON.stringify(slice)}`;
}

/** The whole file: a v1 List of the Node and the fragments given. */
export function clusterText(node: string, fragments: readonly string[]): string {
  const items = fragments.length === 0 ? node : `${node},\n${fragments.join(',\n')}`;
  return `{"apiVersion":"v1","kind":"List","items":[\n${items}\n]}\n`;
}

let generation = 0;

/** Writes a new version beside the file and renames it over (what a tool that saves atomically does). */
export async function replaceFile(path: string, text: string): Promise<void> {
  generation += 1;
  const next = `${path}.${generation}.tmp`;
  await writeFile(next, text);
  await rename(next, path);
}

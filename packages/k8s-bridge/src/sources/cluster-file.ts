/**
 * The standalone mode's stand-in for a cluster: one YAML file (a List, or several documents) of
 * Services, EndpointSlices, Nodes and Secrets. It is read whole, checked whole, and an error
 * names the document and the field: a broken file is never half applied.
 */
import { parseAllDocuments } from 'yaml';
import type { NodeState } from '../announce/bgp-routes.js';
import { readService } from '../ipam/service-file.js';
import type { IpamProblem } from '../ipam/errors.js';
import type { ServiceSpec } from '../ipam/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ClusterState {
  readonly services: readonly ServiceSpec[];
  /** "namespace/service" -> nodes holding a ready endpoint of it. */
  readonly readyEndpointNodes: ReadonlyMap<string, ReadonlySet<string>>;
  readonly nodes: ReadonlyMap<string, NodeState>;
  /** "namespace/name" -> the Secret's data, decoded. */
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export class ClusterFileError extends Error {
  readonly code = 'ERR_CLUSTER_FILE';
  constructor(
    source: string,
    readonly problems: readonly IpamProblem[],
  ) {
    super(`invalid cluster file ${source}:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join('\n')}`);
    this.name = 'ClusterFileError';
  }
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseClusterFile(text: string, source: string): ClusterState {
  const problems: IpamProblem[] = [];
  const services: ServiceSpec[] = [];
  const readyEndpointNodes = new Map<string, Set<string>>();
  const nodes = new Map<string, NodeState>();
  const secrets = new Map<string, Record<string, string>>();
  const seenServices = new Set<string>();

  for (const [docPath, value] of documents(text, problems)) {
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) {
      problems.push({ path: docPath, reason: 'must be a Kubernetes object or a List' });
      continue;
    }
    const objects: [unknown, string][] = Array.isArray(value['items'])
      ? (value['items'] as unknown[]).map((item, i) => [item, `${docPath}, items[${i}]`])
      : [[value, docPath]];
    for (const [object, path] of objects) {
      if (!isRecord(object)) {
        problems.push({ path, reason: 'must be a Kubernetes object' });
        continue;
      }
      const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
      const namespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : 'default';
      const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
      switch (object['kind']) {
        case 'Service': {
          const service = readService(object, path, problems);
          if (service === undefined) break;
          const key = `${service.namespace}/${service.name}`;
          if (seenServices.has(key)) problems.push({ path, reason: `Service ${key} is defined twice` });
          seenServices.add(key);
          services.push(service);
          break;
        }
        case 'EndpointSlice':
          readEndpointSlice(object, namespace, path, problems, readyEndpointNodes);
          break;
        case 'Node':
          if (name === '') problems.push({ path: `${path}: metadata.name`, reason: 'is required' });
          else nodes.set(name, readNode(object, name));
          break;
        case 'Secret':
          secrets.set(`${namespace}/${name}`, readSecret(object, path, problems));
          break;
        default:
          problems.push({ path: `${path}: kind`, reason: `${JSON.stringify(object['kind'] ?? null)} is not one of Service, EndpointSlice, Node, Secret` });
      }
    }
  }
  if (problems.length > 0) throw new ClusterFileError(source, problems);
  return { services, readyEndpointNodes, nodes, secrets };
}

/**
 * The file's documents. A file that is JSON (one object or a List, as generated files often are)
 * is parsed with JSON.parse: the YAML parser takes seconds on 10,000 Services, JSON.parse ~50 ms.
 */
function documents(text: string, problems: IpamProblem[]): [string, unknown][] {
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') {
    try {
      return [['document 1', JSON.parse(text) as unknown]];
    } catch {
      // Not JSON after all (a YAML flow mapping): the YAML parser says precisely what is wrong.
    }
  }
  const out: [string, unknown][] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    const docPath = `document ${index + 1}`;
    if (doc.errors.length > 0) {
      for (const error of doc.errors) problems.push({ path: docPath, reason: error.message.split('\n')[0] ?? error.message });
      return;
    }
    out.push([docPath, doc.toJS() as unknown]);
  });
  return out;
}

/** discovery.k8s.io/v1: an endpoint is ready unless conditions.ready is false (absent means ready). */
function readEndpointSlice(object: Json, namespace: string, path: string, problems: IpamProblem[], into: Map<string, Set<string>>): void {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const labels = isRecord(metadata['labels']) ? metadata['labels'] : {};
  const service = labels[SERVICE_NAME_LABEL];
  if (typeof service !== 'string' || service === '') {
    problems.push({ path: `${path}: metadata.labels`, reason: `needs ${SERVICE_NAME_LABEL} to say whose endpoints these are` });
    return;
  }
  const key = `${namespace}/${service}`;
  const nodes = into.get(key) ?? new Set<string>();
  into.set(key, nodes);
  const endpoints = object['endpoints'];
  if (endpoints === undefined || endpoints === null) return;
  if (!Array.isArray(endpoints)) {
    problems.push({ path: `${path}: endpoints`, reason: 'must be a list' });
    return;
  }
  endpoints.forEach((endpoint: unknown, i) => {
    if (!isRecord(endpoint)) return;
    const conditions = isRecord(endpoint['conditions']) ? endpoint['conditions'] : {};
    if (conditions['ready'] === false) return;
    const nodeName = endpoint['nodeName'];
    if (typeof nodeName === 'string' && nodeName !== '') nodes.add(nodeName);
    else problems.push({ path: `${path}: endpoints[${i}].nodeName`, reason: 'is required to tell which node holds the endpoint' });
  });
}

function readNode(object: Json, name: string): NodeState {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const labels: Record<string, string> = {};
  if (isRecord(metadata['labels'])) for (const [key, value] of Object.entries(metadata['labels'])) labels[key] = String(value);
  const status = isRecord(object['status']) ? object['status'] : {};
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as unknown[]) : [];
  const networkUnavailable = conditions.some((c) => isRecord(c) && c['type'] === 'NetworkUnavailable' && c['status'] === 'True');
  const addresses = Array.isArray(status['addresses']) ? (status['addresses'] as unknown[]) : [];
  const internal = addresses.find((a) => isRecord(a) && a['type'] === 'InternalIP' && typeof a['address'] === 'string');
  const internalIp = isRecord(internal) ? (internal['address'] as string) : undefined;
  return { name, labels, networkUnavailable, ...(internalIp === undefined ? {} : { internalIp }) };
}

/** data is base64 (as the API serves it), stringData plain text. */
function readSecret(object: Json, path: string, problems: IpamProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(object['data'])) {
    for (const [key, value] of Object.entries(object['data'])) {
      if (typeof value !== 'string') problems.push({ path: `${path}: data.${key}`, reason: 'must be a base64 string' });
      else out[key] = Buffer.from(value, 'base64').toString('utf8');
    }
  }
  if (isRecord(object['stringData'])) for (const [key, value] of Object.entries(object['stringData'])) out[key] = String(value);
  return out;
}

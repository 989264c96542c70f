/**
 * Reads a YAML (or JSON) file of core/v1 Service objects for `k8s-bridge allocate`: one List object
 * (what `kubectl get svc -A -o yaml` prints), one Service, or several documents of either. Every problem
 * is collected and reported with the document, item and field it is in; nothing is guessed.
 */
import { parseAllDocuments } from 'yaml';
import { ServiceFileError } from './errors.js';
import type { IpamProblem } from './errors.js';
import type { IpFamily, IpFamilyPolicy, LoadBalancerIngress, ServicePort, ServiceSpec } from './types.js';

const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);
const FAMILY_POLICIES: ReadonlySet<string> = new Set(['SingleStack', 'PreferDualStack', 'RequireDualStack']);
const FAMILIES: ReadonlySet<string> = new Set(['IPv4', 'IPv6']);

type Json = Record<string, unknown>;

/** Throws ServiceFileError listing every problem. `source` names the file in the message. */
export function parseServices(text: string, source = 'services'): ServiceSpec[] {
  const problems: IpamProblem[] = [];
  const services: ServiceSpec[] = [];
  const where = new Map<string, string>();
  parseAllDocuments(text).forEach((doc, index) => {
    const docPath = `document ${index + 1}`;
    if (doc.errors.length > 0) {
      for (const error of doc.errors) problems.push({ path: docPath, reason: firstLine(error.message) });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isRecord(value)) {
      problems.push({ path: docPath, reason: 'must be a Service or a List of Services' });
      return;
    }
    const kind = value['kind'];
    if (typeof kind === 'string' && kind.endsWith('List') && !Array.isArray(value['items'])) {
      problems.push({ path: docPath, reason: `${kind} must have an items list` });
      return;
    }
    const objects: [unknown, string][] = isList(value)
      ? (value['items'] as unknown[]).map((item, i) => [item, `${docPath}, items[${i}]`])
      : [[value, docPath]];
    for (const [object, path] of objects) {
      // Duplicates are found by name even when a definition has other problems.
      const key = keyOf(object);
      const first = key === undefined ? undefined : where.get(key);
      if (key !== undefined && first !== undefined) {
        problems.push({ path, reason: `Service ${key} is defined twice (first in ${first})` });
        continue;
      }
      if (key !== undefined) where.set(key, path);
      const service = readService(object, path, problems);
      if (service !== undefined) services.push(service);
    }
  });
  if (problems.length > 0) throw new ServiceFileError(source, problems);
  return services;
}

function isList(value: Json): boolean {
  return Array.isArray(value['items']) && (value['kind'] === undefined || (typeof value['kind'] === 'string' && value['kind'].endsWith('List')));
}

function keyOf(object: unknown): string | undefined {
  if (!isRecord(object) || !isRecord(object['metadata'])) return undefined;
  const { name, namespace } = object['metadata'];
  if (typeof name !== 'string' || name === '') return undefined;
  return `${typeof namespace === 'string' && namespace !== '' ? namespace : 'default'}/${name}`;
}

/** One Service object (from any container: a file, a List, the API); problems are appended. */
export function readService(object: unknown, path: string, problems: IpamProblem[]): ServiceSpec | undefined {
  if (!isRecord(object)) {
    problems.push({ path, reason: 'must be a Service object' });
    return undefined;
  }
  const before = problems.length;
  if (object['kind'] !== 'Service') problems.push({ path: `${path}: kind`, reason: `must be Service (got ${JSON.stringify(object['kind'] ?? null)})` });
  if (object['apiVersion'] !== undefined && object['apiVersion'] !== 'v1') {
    problems.push({ path: `${path}: apiVersion`, reason: `must be v1 (got ${JSON.stringify(object['apiVersion'])})` });
  }
  const metadata = object['metadata'];
  if (!isRecord(metadata)) {
    problems.push({ path: `${path}: metadata`, reason: 'must be an object with a name' });
    return undefined;
  }
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    problems.push({ path: `${path}: metadata.name`, reason: 'must be a non-empty string' });
    return undefined;
  }
  const namespaceValue = metadata['namespace'] ?? 'default';
  if (typeof namespaceValue !== 'string' || namespaceValue === '') {
    problems.push({ path: `${path}: metadata.namespace`, reason: 'must be a non-empty string' });
  }
  const namespace = typeof namespaceValue === 'string' && namespaceValue !== '' ? namespaceValue : 'default';
  const at = (field: string): string => `${path} (${namespace}/${name}): ${field}`;

  const labels = stringMap(metadata['labels'], at('metadata.labels'), problems);
  const annotations = stringMap(metadata['annotations'], at('metadata.annotations'), problems);
  const creationTimestamp = timestamp(metadata['creationTimestamp'], at('metadata.creationTimestamp'), problems);

  const specValue = object['spec'] ?? {};
  if (!isRecord(specValue)) {
    problems.push({ path: at('spec'), reason: 'must be an object' });
    return undefined;
  }
  const spec: {
    -readonly [K in keyof ServiceSpec['spec']]: ServiceSpec['spec'][K];
  } = {};
  const type = optionalString(specValue['type'], at('spec.type'), problems);
  if (type !== undefined) spec.type = type;
  const loadBalancerIP = optionalString(specValue['loadBalancerIP'], at('spec.loadBalancerIP'), problems);
  if (loadBalancerIP !== undefined) spec.loadBalancerIP = loadBalancerIP;
  const loadBalancerClass = optionalString(specValue['loadBalancerClass'], at('spec.loadBalancerClass'), problems);
  if (loadBalancerClass !== undefined) spec.loadBalancerClass = loadBalancerClass;
  const policy = optionalString(specValue['ipFamilyPolicy'], at('spec.ipFamilyPolicy'), problems);
  if (policy !== undefined) {
    if (FAMILY_POLICIES.has(policy)) spec.ipFamilyPolicy = policy as IpFamilyPolicy;
    else problems.push({ path: at('spec.ipFamilyPolicy'), reason: `must be SingleStack, PreferDualStack or RequireDualStack (got ${JSON.stringify(policy)})` });
  }
  const families = ipFamilies(specValue['ipFamilies'], at('spec.ipFamilies'), problems);
  if (families !== undefined) spec.ipFamilies = families;
  const clusterIPs = stringList(specValue['clusterIPs'], at('spec.clusterIPs'), problems);
  const clusterIP = optionalString(specValue['clusterIP'], at('spec.clusterIP'), problems);
  if (clusterIPs !== undefined) spec.clusterIPs = clusterIPs;
  else if (clusterIP !== undefined) spec.clusterIPs = [clusterIP];
  const ports = servicePorts(specValue['ports'], at('spec.ports'), problems);
  if (ports !== undefined) spec.ports = ports;
  const policyText = optionalString(specValue['externalTrafficPolicy'], at('spec.externalTrafficPolicy'), problems);
  if (policyText !== undefined) {
    if (policyText === 'Cluster' || policyText === 'Local') spec.externalTrafficPolicy = policyText;
    else problems.push({ path: at('spec.externalTrafficPolicy'), reason: `must be Cluster or Local (got ${JSON.stringify(policyText)})` });
  }
  const selector = stringMap(specValue['selector'], at('spec.selector'), problems);
  if (selector !== undefined) spec.selector = selector;

  const ingress = loadBalancerIngress(object['status'], at('status'), problems);
  if (problems.length > before) return undefined;
  return {
    namespace,
    name,
    ...(labels === undefined ? {} : { labels }),
    ...(annotations === undefined ? {} : { annotations }),
    ...(creationTimestamp === undefined ? {} : { creationTimestamp }),
    spec,
    ...(ingress === undefined ? {} : { status: { loadBalancer: { ingress } } }),
  };
}

function stringMap(value: unknown, path: string, problems: IpamProblem[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    problems.push({ path, reason: 'must be a map of strings' });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') out[key] = entry;
    else problems.push({ path: `${path}.${key}`, reason: `must be a string (got ${JSON.stringify(entry)}; quote it in YAML)` });
  }
  return out;
}

function optionalString(value: unknown, path: string, problems: IpamProblem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  problems.push({ path, reason: `must be a string (got ${JSON.stringify(value)})` });
  return undefined;
}

function stringList(value: unknown, path: string, problems: IpamProblem[]): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    problems.push({ path, reason: 'must be a list of strings' });
    return undefined;
  }
  return value as string[];
}

function timestamp(value: unknown, path: string, problems: IpamProblem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value instanceof Date ? value.toISOString() : value;
  if (typeof text !== 'string' || Number.isNaN(Date.parse(text))) {
    problems.push({ path, reason: `must be an RFC 3339 time such as "2024-05-01T12:00:00Z" (got ${JSON.stringify(value)})` });
    return undefined;
  }
  return text;
}

function ipFamilies(value: unknown, path: string, problems: IpamProblem[]): IpFamily[] | undefined {
  const list = stringList(value, path, problems);
  if (list === undefined) return undefined;
  const bad = list.find((f) => !FAMILIES.has(f));
  if (bad !== undefined) problems.push({ path, reason: `entries must be IPv4 or IPv6 (got ${JSON.stringify(bad)})` });
  else if (list.length > 2 || new Set(list).size !== list.length) problems.push({ path, reason: 'at most one IPv4 and one IPv6' });
  else return list as IpFamily[];
  return undefined;
}

function servicePorts(value: unknown, path: string, problems: IpamProblem[]): ServicePort[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    problems.push({ path, reason: 'must be a list of ports' });
    return undefined;
  }
  const ports: ServicePort[] = [];
  value.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(entry)) {
      problems.push({ path: at, reason: 'must be an object with a port' });
      return;
    }
    const port = entry['port'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push({ path: `${at}.port`, reason: `must be an integer 1-65535 (got ${JSON.stringify(port ?? null)})` });
      return;
    }
    const protocol = entry['protocol'] ?? 'TCP';
    if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) {
      problems.push({ path: `${at}.protocol`, reason: `must be TCP, UDP or SCTP (got ${JSON.stringify(protocol)})` });
      return;
    }
    const name = entry['name'];
    ports.push({ port, protocol, ...(typeof name === 'string' ? { name } : {}) });
  });
  return ports;
}

function loadBalancerIngress(status: unknown, path: string, problems: IpamProblem[]): LoadBalancerIngress[] | undefined {
  if (status === undefined || status === null) return undefined;
  if (!isRecord(status)) {
    problems.push({ path, reason: 'must be an object' });
    return undefined;
  }
  const loadBalancer = status['loadBalancer'];
  if (loadBalancer === undefined || loadBalancer === null) return undefined;
  if (!isRecord(loadBalancer)) {
    problems.push({ path: `${path}.loadBalancer`, reason: 'must be an object' });
    return undefined;
  }
  const ingress = loadBalancer['ingress'];
  if (ingress === undefined || ingress === null) return undefined;
  if (!Array.isArray(ingress)) {
    problems.push({ path: `${path}.loadBalancer.ingress`, reason: 'must be a list' });
    return undefined;
  }
  const out: LoadBalancerIngress[] = [];
  ingress.forEach((entry: unknown, i) => {
    const at = `${path}.loadBalancer.ingress[${i}]`;
    if (!isRecord(entry)) {
      problems.push({ path: at, reason: 'must be an object with ip or hostname' });
      return;
    }
    const ip = optionalString(entry['ip'], `${at}.ip`, problems);
    const hostname = optionalString(entry['hostname'], `${at}.hostname`, problems);
    out.push({ ...(ip === undefined ? {} : { ip }), ...(hostname === undefined ? {} : { hostname }) });
  });
  return out;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

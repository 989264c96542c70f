/**
 * The slice of the real server's defaulting and validation that our client calls can run into.
 * Each rule here names a mistake a client could make that a real cluster would reject, so a test
 * against this server catches it too.
 */
import { isIP } from 'node:net';
import type { StatusCause } from './api-status.js';
import type { ResourceType } from './resources.js';
import type { StoredObject } from './store.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** metav1.MicroTime is parsed with RFC3339Micro: exactly six fractional digits. */
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
/** metav1.Time is parsed with RFC3339, which tolerates any fraction. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Record_ = Record<string, unknown>;

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record_)[seg];
  }
  return cur;
}

function cause(fieldPath: string, message: string, reason = 'FieldValueInvalid'): StatusCause {
  return { reason, message, field: fieldPath };
}

function checkStringMap(obj: StoredObject, path: 'labels' | 'annotations', causes: StatusCause[]): void {
  const map: unknown = obj.metadata[path];
  if (map === undefined || map === null) return;
  if (typeof map !== 'object' || Array.isArray(map)) {
    causes.push(cause(`metadata.${path}`, 'must be a map of strings'));
    return;
  }
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') causes.push(cause(`metadata.${path}[${k}]`, 'must be a string'));
  }
}

function checkTime(obj: StoredObject, path: string, micro: boolean, causes: StatusCause[]): void {
  const v = field(obj, path);
  if (v === undefined || v === null) return;
  const ok = typeof v === 'string' && (micro ? MICRO_TIME : TIME).test(v);
  if (!ok) causes.push(cause(path, `Invalid value: ${JSON.stringify(v)}: must be ${micro ? 'RFC3339 with microseconds (metav1.MicroTime)' : 'RFC3339 (metav1.Time)'}`));
}

function validateService(obj: StoredObject, causes: StatusCause[]): void {
  const type = field(obj, 'spec.type');
  if (type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    causes.push(cause('spec.type', `Unsupported value: ${JSON.stringify(type)}`, 'FieldValueNotSupported'));
  }
  const ingress = field(obj, 'status.loadBalancer.ingress');
  if (ingress === undefined || ingress === null) return;
  if (!Array.isArray(ingress)) {
    causes.push(cause('status.loadBalancer.ingress', 'must be a list'));
    return;
  }
  ingress.forEach((entry: unknown, i) => {
    const at = `status.loadBalancer.ingress[${i}]`;
    const ip = field(entry, 'ip');
    if (ip !== undefined && (typeof ip !== 'string' || isIP(ip) === 0)) causes.push(cause(`${at}.ip`, `Invalid value: ${JSON.stringify(ip)}: must be a valid IP address`));
    const mode = field(entry, 'ipMode');
    if (mode !== undefined && mode !== null) {
      if (mode !== 'VIP' && mode !== 'Proxy') causes.push(cause(`${at}.ipMode`, `Unsupported value: ${JSON.stringify(mode)}`, 'FieldValueNotSupported'));
      if (ip === undefined) causes.push(cause(`${at}.ipMode`, 'Forbidden: may not be specified when `ip` is not set', 'FieldValueForbidden'));
    }
  });
}

function validateLease(obj: StoredObject, causes: StatusCause[]): void {
  checkTime(obj, 'spec.acquireTime', true, causes);
  checkTime(obj, 'spec.renewTime', true, causes);
  const duration = field(obj, 'spec.leaseDurationSeconds');
  if (duration !== undefined && duration !== null && !(Number.isInteger(duration) && (duration as number) > 0)) {
    causes.push(cause('spec.leaseDurationSeconds', 'must be a positive integer'));
  }
  const transitions = field(obj, 'spec.leaseTransitions');
  if (transitions !== undefined && transitions !== null && !(Number.isInteger(transitions) && (transitions as number) >= 0)) {
    causes.push(cause('spec.leaseTransitions', 'must be a non-negative integer'));
  }
}

function validateEvent(obj: StoredObject, causes: StatusCause[]): void {
  const ns = field(obj, 'involvedObject.namespace');
  if (ns !== undefined && ns !== '' && ns !== obj.metadata.namespace) {
    causes.push(cause('involvedObject.namespace', 'does not match event.namespace'));
  }
  if (field(obj, 'involvedObject') === undefined) causes.push(cause('involvedObject', 'Required value', 'FieldValueRequired'));
  checkTime(obj, 'eventTime', true, causes);
  checkTime(obj, 'firstTimestamp', false, causes);
  checkTime(obj, 'lastTimestamp', false, causes);
  const type = field(obj, 'type');
  if (type !== undefined && type !== 'Normal' && type !== 'Warning') causes.push(cause('type', `Unsupported value: ${JSON.stringify(type)}`, 'FieldValueNotSupported'));
}

/** Validation common to every type, then the type's own rules. */
export function validate(type: ResourceType, obj: StoredObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name;
  if (typeof name !== 'string' || name.length === 0) causes.push(cause('metadata.name', 'Required value: name or generateName is required', 'FieldValueRequired'));
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) causes.push(cause('metadata.name', `Invalid value: ${JSON.stringify(name)}: must be a lowercase RFC 1123 subdomain`));
  checkStringMap(obj, 'labels', causes);
  checkStringMap(obj, 'annotations', causes);
  if (type.group === '' && type.plural === 'services') validateService(obj, causes);
  if (type.group === 'coordination.k8s.io' && type.plural === 'leases') validateLease(obj, causes);
  if (type.group === '' && type.plural === 'events') validateEvent(obj, causes);
  return causes;
}

/** Defaults the real server fills in on create (only those a client of ours may read back). */
export function applyCreateDefaults(type: ResourceType, obj: StoredObject): void {
  if (type.group === '' && type.plural === 'services') {
    const spec = (obj['spec'] ??= {}) as Record_;
    spec['type'] ??= 'ClusterIP';
    spec['sessionAffinity'] ??= 'None';
    if ((spec['type'] === 'LoadBalancer' || spec['type'] === 'NodePort') && spec['externalTrafficPolicy'] === undefined) {
      spec['externalTrafficPolicy'] = 'Cluster';
    }
    obj['status'] = { loadBalancer: {} };
  } else if (type.status !== 'none') {
    // Custom resources with a status subresource drop status on create.
    delete obj['status'];
  }
  if (!type.builtin) obj.metadata.generation = 1;
}

/**
 * What a write does before it reaches the store: the registry strategies of the real server in
 * small. Names (generateName), identity and immutable metadata, the resourceVersion precondition
 * (409 Conflict), unconditional updates, the /status subresource split, generation, validation,
 * AlreadyExists, and a namespace's contents going with it.
 */
import { randomBytes } from 'node:crypto';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './api-status.js';
import { apiVersionOf, findResource, RESOURCE_TYPES, resourceKey, storageVersion, type ResourceType } from './resources.js';
import type { ObjectStore, StoredObject } from './store.js';
import { validate } from './validation.js';

/** Whose write: the main resource, the /status subresource, or the test itself (no strategy). */
export type WriteMode = 'main' | 'status' | 'admin';

const NAME_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A decoded request body as an object with metadata, or 400. */
export function asStored(v: unknown, what: string): StoredObject {
  if (!isObject(v)) throw badRequest(`${what} must be a JSON object`);
  const metadata = v['metadata'] ?? {};
  if (!isObject(metadata)) throw badRequest(`${what}: metadata must be an object`);
  return { ...v, metadata: { ...metadata } } as StoredObject;
}

/** What the rest of an object is, to tell whether a write changed the spec (and so the generation). */
function withoutMetaAndStatus(obj: StoredObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

function randomSuffix(): string {
  const bytes = randomBytes(5);
  let out = '';
  for (const b of bytes) out += NAME_SUFFIX_CHARS[b % NAME_SUFFIX_CHARS.length];
  return out;
}

export class Registry {
  constructor(private readonly store: ObjectStore) {}

  typeOf(resource: string): ResourceType {
    const type = findResource(resource);
    if (type === undefined) throw new Error(`unknown resource "${resource}" (use group/plural, e.g. "services" or "metallb.io/ipaddresspools")`);
    return type;
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const obj = this.store.get(resourceKey(type.group, type.plural), type.namespaced ? namespace : undefined, name);
    if (obj === undefined) throw notFound(type.group, type.plural, name);
    return obj;
  }

  ensureNamespace(name: string): void {
    if (this.store.get('namespaces', undefined, name) === undefined) {
      this.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }
  }

  create(type: ResourceType, incoming: StoredObject): StoredObject {
    const meta = incoming.metadata;
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    delete meta.uid;
    delete meta.creationTimestamp;
    incoming.apiVersion = apiVersionOf(type, storageVersion(type));
    incoming.kind = type.kind;
    const causes = validate(type, incoming);
    if (causes.length > 0) throw invalid(type.kind, type.group, String(meta.name ?? ''), causes);
    const key = resourceKey(type.group, type.plural);
    if (this.store.get(key, meta.namespace, meta.name ?? '') !== undefined) throw alreadyExists(type.group, type.plural, meta.name ?? '');
    return this.store.create(key, incoming);
  }

  /**
   * Writes `incoming` over `old`: the resourceVersion precondition, the subresource strategy,
   * immutable metadata, generation, validation. `isPut` marks a full replacement, where a missing
   * resourceVersion means an unconditional update (refused for custom resources).
   */
  update(type: ResourceType, old: StoredObject, incoming: StoredObject, mode: WriteMode, isPut: boolean): StoredObject {
    const name = old.metadata.name ?? '';
    const rv = incoming.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (isPut && !type.unconditionalUpdate) {
        throw invalid(type.kind, type.group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
      }
    } else if (rv !== old.metadata.resourceVersion) {
      throw conflict(type.group, type.plural, name);
    }
    const uid = incoming.metadata.uid;
    if (uid !== undefined && uid !== '' && uid !== old.metadata.uid) throw conflict(type.group, type.plural, name);

    let next: StoredObject;
    if (mode === 'admin') {
      next = { ...incoming };
    } else if (mode === 'status') {
      if (type.status === 'keeps-spec') {
        next = { ...incoming };
        if (old['spec'] === undefined) delete next['spec'];
        else next['spec'] = old['spec'];
      } else {
        next = { ...old, metadata: { ...old.metadata } };
        if (incoming['status'] === undefined) delete next['status'];
        else next['status'] = incoming['status'];
      }
    } else {
      // A write to the main resource never changes status when a /status subresource exists.
      next = { ...incoming };
      if (type.status !== 'none') {
        if (old['status'] === undefined) delete next['status'];
        else next['status'] = old['status'];
      }
    }
    next.metadata = {
      ...next.metadata,
      name: old.metadata.name,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      resourceVersion: old.metadata.resourceVersion,
    };
    if (type.namespaced) next.metadata.namespace = old.metadata.namespace;
    else delete next.metadata.namespace;
    delete next.metadata.generateName;
    if (old.metadata.generateName !== undefined) next.metadata.generateName = old.metadata.generateName;
    if (!type.builtin) {
      const gen = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
      next.metadata.generation = withoutMetaAndStatus(next) === withoutMetaAndStatus(old) ? gen : gen + 1;
    }
    next.apiVersion = apiVersionOf(type, storageVersion(type));
    next.kind = type.kind;
    const causes = validate(type, next);
    if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
    return this.store.replace(resourceKey(type.group, type.plural), next);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): StoredObject | undefined {
    const key = resourceKey(type.group, type.plural);
    const last = this.store.delete(key, type.namespaced ? namespace : undefined, name);
    if (last !== undefined && key === 'namespaces') {
      // The namespace controller deletes a namespace's contents; here it happens at once.
      for (const t of RESOURCE_TYPES) {
        if (!t.namespaced) continue;
        for (const o of this.store.list(resourceKey(t.group, t.plural), name)) this.store.delete(resourceKey(t.group, t.plural), name, o.metadata.name ?? '');
      }
    }
    return last;
  }

}

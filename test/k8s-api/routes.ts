/**
 * URL routing: /api/v1/... (core group) and /apis/GROUP/VERSION/..., namespaced or not, with the
 * /status subresource; and the Kubernetes verb of a request (list and watch are both GET on a
 * collection, told apart by ?watch).
 */
import { methodNotAllowed, pathNotFound } from './api-status.js';
import { findServedResource, resourceKey, type ResourceType } from './resources.js';

export type Verb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete';
export const VERBS: readonly Verb[] = ['list', 'watch', 'get', 'create', 'update', 'patch', 'delete'];

export interface Route {
  readonly type: ResourceType;
  readonly key: string;
  readonly version: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** Parses /api/v1/... and /apis/GROUP/VERSION/... into a served resource, or throws 404. */
export function parseRoute(pathname: string): Route {
  const segs = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs[1] !== undefined) {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs[1] !== undefined && segs[2] !== undefined) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else {
    throw pathNotFound(pathname);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== undefined && findServedResource(group, version, rest[2])?.namespaced === true) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const type = plural === undefined ? undefined : findServedResource(group, version, plural);
  if (type === undefined || extra.length > 0) throw pathNotFound(pathname);
  if (type.namespaced && name !== undefined && namespace === undefined) throw pathNotFound(pathname);
  if (subresource !== undefined && (subresource !== 'status' || type.status === 'none')) throw pathNotFound(pathname);
  return { type, key: resourceKey(type.group, type.plural), version, namespace, name, subresource };
}

export function verbOf(method: string | undefined, route: Route, query: URLSearchParams): Verb {
  switch (method) {
    case 'GET': {
      if (route.name !== undefined) return 'get';
      const watch = query.get('watch');
      return watch === 'true' || watch === '1' ? 'watch' : 'list';
    }
    case 'POST':
      if (route.name === undefined && (route.namespace !== undefined || !route.type.namespaced)) return 'create';
      break;
    case 'PUT':
      if (route.name !== undefined) return 'update';
      break;
    case 'PATCH':
      if (route.name !== undefined) return 'patch';
      break;
    case 'DELETE':
      if (route.name !== undefined && route.subresource === undefined) return 'delete';
      break;
    default:
      break;
  }
  throw methodNotAllowed(String(method));
}


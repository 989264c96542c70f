/**
 * The resource types the test API server serves, and how each behaves.
 *
 * Only what our client calls need: the core and discovery types MetalLB reads, Leases for leader
 * election, Events, and MetalLB's own CRDs served as generic namespaced custom resources.
 */

/** What the /status subresource does, as the real registry strategies do it. */
export type StatusSubresource =
  /** No /status endpoint; `status` is ordinary data. */
  | 'none'
  /**
   * Core Service semantics (pkg/registry/core/service/strategy.go): a status write keeps the old
   * `spec` but applies everything else (including metadata); a main-resource write keeps the old
   * `status`.
   */
  | 'keeps-spec'
  /**
   * Custom-resource semantics: a status write changes `status` only; a main-resource write keeps
   * the old `status`.
   */
  | 'status-only';

export interface ResourceType {
  /** API group, '' for the core group served under /api/v1. */
  readonly group: string;
  /** Versions served; all share one storage (no conversion: objects only get their apiVersion rewritten). */
  readonly versions: readonly string[];
  /** The resource name used in URLs, e.g. `services`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly status: StatusSubresource;
  /**
   * Built-in types are encoded from typed lists: their list items carry no kind/apiVersion.
   * Custom resources are unstructured: their list items keep them.
   */
  readonly builtin: boolean;
  /** Whether a PUT without metadata.resourceVersion is allowed (custom resources forbid it). */
  readonly unconditionalUpdate: boolean;
}

/** The key that names a resource type in the store and in the test-control API: `group/plural`, or `plural` for core. */
export function resourceKey(group: string, plural: string): string {
  return group === '' ? plural : `${group}/${plural}`;
}

function builtin(group: string, version: string, plural: string, kind: string, namespaced: boolean, status: StatusSubresource = 'none'): ResourceType {
  return { group, versions: [version], plural, kind, namespaced, status, builtin: true, unconditionalUpdate: true };
}

function metallb(plural: string, kind: string, versions: readonly string[] = ['v1beta1']): ResourceType {
  return { group: 'metallb.io', versions, plural, kind, namespaced: true, status: 'status-only', builtin: false, unconditionalUpdate: false };
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', false),
  builtin('', 'v1', 'nodes', 'Node', false),
  builtin('', 'v1', 'services', 'Service', true, 'keeps-spec'),
  builtin('', 'v1', 'secrets', 'Secret', true),
  builtin('', 'v1', 'events', 'Event', true),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true),
  builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  metallb('ipaddresspools', 'IPAddressPool'),
  metallb('bgppeers', 'BGPPeer', ['v1beta1', 'v1beta2']),
  metallb('bgpadvertisements', 'BGPAdvertisement'),
  metallb('l2advertisements', 'L2Advertisement'),
  metallb('communities', 'Community'),
  metallb('bfdprofiles', 'BFDProfile'),
  metallb('servicel2statuses', 'ServiceL2Status'),
];

const BY_KEY = new Map<string, ResourceType>(RESOURCE_TYPES.map((r) => [resourceKey(r.group, r.plural), r]));

/** The resource type for a `group/plural` key, or for a URL's group, version and plural. */
export function findResource(key: string): ResourceType | undefined {
  return BY_KEY.get(key);
}

export function findServedResource(group: string, version: string, plural: string): ResourceType | undefined {
  const type = BY_KEY.get(resourceKey(group, plural));
  return type !== undefined && type.versions.includes(version) ? type : undefined;
}

export function apiVersionOf(type: ResourceType, version: string): string {
  return type.group === '' ? version : `${type.group}/${version}`;
}

/** The storage version: the last version listed, as the newest one MetalLB stores. */
export function storageVersion(type: ResourceType): string {
  const v = type.versions[type.versions.length - 1];
  if (v === undefined) throw new Error(`resource ${type.plural} serves no version`);
  return v;
}

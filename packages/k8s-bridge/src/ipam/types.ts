/**
 * The IPAM model: address pools as the allocator sees them, the few fields of a Kubernetes Service
 * that IP allocation reads, and the allocator's results.
 *
 * The config module maps kubespray variables and MetalLB CRDs (IPAddressPool) onto PoolSpec; the kube
 * module maps informer objects onto ServiceSpec. Field meanings follow MetalLB
 * (metallb/metallb internal/config/config.go `Pool`, `ServiceAllocation`) and core/v1 Service.
 */

export type IpFamily = 'IPv4' | 'IPv6';
export type IpFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
export type Labels = Readonly<Record<string, string>>;

/** metav1.LabelSelectorRequirement. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  /** Non-empty for In/NotIn, empty or absent for Exists/DoesNotExist. */
  readonly values?: readonly string[];
}

/** metav1.LabelSelector: matchLabels AND every matchExpression; an empty selector matches everything. */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/**
 * IPAddressPool.spec.serviceAllocation (MetalLB: "allocateTo"). A pool that has one is only used for
 * the Services it selects, and those Services try it before the general pools.
 */
export interface ServiceAllocationSpec {
  /** Lower number = tried first; 0 or absent = after every pool with a priority. */
  readonly priority?: number;
  readonly namespaces?: readonly string[];
  /** Matched against the namespace labels given in AllocatorOptions.namespaceLabels. */
  readonly namespaceSelectors?: readonly LabelSelector[];
  /** The Service must match at least one. */
  readonly serviceSelectors?: readonly LabelSelector[];
}

export interface PoolSpec {
  readonly name: string;
  /** Each entry a CIDR ("10.0.0.0/24", "2001:db8::/64") or an inclusive range "a-b" of one family. */
  readonly addresses: readonly string[];
  /** false: used only when a Service asks for the pool (annotation) or for one of its addresses. */
  readonly autoAssign: boolean;
  /** Never hand out an IPv4 address ending in .0 or .255 (any of them, not only network/broadcast). */
  readonly avoidBuggyIps: boolean;
  readonly serviceAllocation?: ServiceAllocationSpec;
}

export interface ServicePort {
  readonly port: number;
  /** TCP (the Kubernetes default), UDP or SCTP. */
  readonly protocol?: string;
  readonly name?: string;
}

export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
}

/** The fields of a core/v1 Service that allocation reads, with metadata flattened to the top. */
export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
  /** metadata.creationTimestamp (RFC 3339); orders a batch, older first. */
  readonly creationTimestamp?: string;
  readonly spec: {
    /** Only "LoadBalancer" is allocated; Kubernetes defaults an absent type to ClusterIP. */
    readonly type?: string;
    readonly loadBalancerIP?: string;
    readonly loadBalancerClass?: string;
    readonly ipFamilyPolicy?: IpFamilyPolicy;
    readonly ipFamilies?: readonly IpFamily[];
    /** Used for the Service's families when ipFamilies is absent (MetalLB reads clusterIPs). */
    readonly clusterIPs?: readonly string[];
    readonly ports?: readonly ServicePort[];
    readonly externalTrafficPolicy?: 'Cluster' | 'Local';
    readonly selector?: Labels;
  };
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] } };
}

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Why a Service got no IP. Stable strings: logs, Events and the dry-run output use them.
 * - not-ours: not type LoadBalancer, or its loadBalancerClass is not the one we serve.
 * - invalid-request: unparsable or contradictory loadBalancerIP / loadBalancerIPs annotation.
 * - unknown-pool: the address-pool annotation names no pool.
 * - pool-not-allowed: the pool's serviceAllocation (namespaces, selectors) excludes this Service.
 * - requested-ip-not-in-pool: a requested address is in no pool, is excluded by avoidBuggyIps, the
 *   addresses span two pools, or they are not in the pool the annotation asks for.
 * - requested-ip-in-use: a requested address is held by a Service that is not sharing with this one.
 * - sharing-conflict: both want to share, but keys, ports or (Local traffic policy) selectors clash.
 * - no-pool-for-family: no pool this Service may use holds the address family it needs.
 * - pool-exhausted: the pools it may use hold its family but have no free address (retried when
 *   an address is freed).
 */
export type AllocationErrorReason =
  | 'not-ours'
  | 'invalid-request'
  | 'unknown-pool'
  | 'pool-not-allowed'
  | 'requested-ip-not-in-pool'
  | 'requested-ip-in-use'
  | 'sharing-conflict'
  | 'no-pool-for-family'
  | 'pool-exhausted';

export interface AllocationError {
  readonly reason: AllocationErrorReason;
  readonly message: string;
}

export interface Allocated {
  /** Canonical text (RFC 5952 for IPv6); the Service's primary family first. */
  readonly ips: readonly string[];
  readonly pool: string;
}

export interface AllocationFailure {
  readonly error: AllocationError;
}

export type AllocationResult = Allocated | AllocationFailure;

export function isAllocated(result: AllocationResult): result is Allocated {
  return 'ips' in result;
}

/** Why an address found in a Service's status could not be kept on restore (or after a pool change). */
export type RestoreConflictReason =
  | 'invalid-ip'
  | 'family-mismatch'
  | 'ip-not-in-pool'
  | 'pool-not-allowed'
  | 'ip-in-use'
  | 'sharing-conflict'
  | 'pool-changed'
  | 'requested-ip-changed';

export interface RestoreConflict extends ServiceRef {
  /** The addresses the Service's status holds (as written there). */
  readonly ips: readonly string[];
  readonly reason: RestoreConflictReason;
  readonly message: string;
  /** For ip-in-use and sharing-conflict: the Services ("namespace/name") that keep the address. */
  readonly heldBy?: readonly string[];
}

export interface RestoredService extends ServiceRef {
  readonly ips: readonly string[];
  readonly pool: string;
}

export interface RestoreResult {
  /** Services whose status addresses were kept, in the order they were read back. */
  readonly kept: readonly RestoredService[];
  /** Status addresses dropped; each such Service is also in `pending`. */
  readonly conflicts: readonly RestoreConflict[];
  /** Services of ours without a kept address, in the order allocate() should see them. */
  readonly pending: readonly ServiceRef[];
  /** Services that are not ours (type or loadBalancerClass), never touched. */
  readonly ignored: readonly (ServiceRef & { readonly message: string })[];
  /** Facts worth a log line that changed nothing, e.g. the ip-allocated-from-pool annotation is stale. */
  readonly notes: readonly (ServiceRef & { readonly message: string })[];
}

export interface PoolUpdateResult {
  /** Allocations whose addresses now belong to a differently named pool (kept). */
  readonly moved: readonly (ServiceRef & { readonly ips: readonly string[]; readonly from: string; readonly to: string })[];
  /** Allocations no longer allowed; their Services are pending again (see Allocator.retryPending). */
  readonly released: readonly RestoreConflict[];
}

export interface PoolStats {
  readonly name: string;
  /** Addresses that may be handed out (avoidBuggyIps already subtracted); bigint: an IPv6 /64 is 2^64. */
  readonly capacity: { readonly IPv4: bigint; readonly IPv6: bigint };
  /** Distinct addresses in use (a shared address counts once). */
  readonly inUse: { readonly IPv4: number; readonly IPv6: number };
}

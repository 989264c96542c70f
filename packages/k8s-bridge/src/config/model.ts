/**
 * The one validated model k8s-bridge runs on, whichever input it came from: kubespray's flat
 * variables, kubespray's `metallb_config` dictionary, or MetalLB's own CRDs. Everything here has
 * been checked (validate.ts); code downstream never re-validates.
 *
 * It is plain data (JSON-printable, comparable with a deep equal) and already resolved the way
 * MetalLB resolves it (metallb/metallb internal/config/config.go): pool selectors of the
 * advertisements are turned into pool names, community aliases into numbers, timers defaulted.
 * What depends on the running cluster stays a selector (nodes, namespaces, services) or a
 * reference (a password Secret).
 *
 * Field names and defaults follow MetalLB's API types (metallb/metallb api/v1beta1/*_types.go and
 * api/v1beta2/bgppeer_types.go); the kubespray forms are mapped onto them as kubespray's templates
 * do (kubernetes-sigs/kubespray roles/kubernetes-apps/metallb/templates/*.j2).
 */

export type Protocol = 'layer2' | 'bgp';
export type IpFamily = 'ipv4' | 'ipv6';

/** Which kind of input the model was built from. */
export type ConfigSource = 'kubespray' | 'kubespray-metallb-config' | 'crds';

/** Kubernetes metav1.LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Non-empty for In and NotIn, empty for Exists and DoesNotExist. */
  readonly values: readonly string[];
}

/**
 * Kubernetes metav1.LabelSelector: every matchLabels pair and every expression must hold. An empty
 * selector matches everything; a list of selectors (nodeSelectors) matches when any one does,
 * and an empty list matches everything (selectors.ts: selectorMatches, anySelectorMatches).
 */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

/**
 * One entry of a pool's addresses: a CIDR ("10.5.0.0/16") or an inclusive range
 * ("10.5.0.1-10.5.0.9"), of one family. Addresses are canonical text (RFC 5952 for IPv6).
 */
export interface AddressRange {
  /** The entry as MetalLB would print it: the canonical CIDR, or "first-last". */
  readonly text: string;
  readonly family: IpFamily;
  readonly first: string;
  readonly last: string;
  /**
   * The smallest list of prefixes covering exactly first..last (MetalLB's ipaddr.Summarize):
   * one prefix for a CIDR entry. Aggregation lengths are checked against these.
   */
  readonly cidrs: readonly string[];
}

/** IPAddressPool spec.serviceAllocation: which services may take addresses from the pool. */
export interface ServiceAllocation {
  /** Lower is preferred; absent means "only when no pool with a priority fits" (MetalLB: 0 = unset). */
  readonly priority?: number;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface Pool {
  readonly name: string;
  readonly addresses: readonly AddressRange[];
  /** false: only services that ask for this pool or one of its addresses get one (default true). */
  readonly autoAssign: boolean;
  /** Skip addresses ending in .0 and .255 (IPv4 only; default false). */
  readonly avoidBuggyIps: boolean;
  /**
   * How the pool's addresses are announced, derived from the advertisements that select it:
   * ['layer2'], ['bgp'], both, or [] (allocated but announced by nobody, which is warned about).
   * A kubespray `protocol` gives exactly one; MetalLB's CRDs may give both.
   */
  readonly protocols: readonly Protocol[];
  /** metadata.labels, which ipAddressPoolSelectors match. */
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAllocation?: ServiceAllocation;
}

/** A Secret in MetalLB's namespace (type kubernetes.io/basic-auth, key "password"). */
export interface SecretRef {
  readonly name: string;
  readonly namespace?: string;
}

export interface Peer {
  readonly name: string;
  /** The address to dial. */
  readonly address: string;
  /** The peer's AS (peerASN), 1..4294967295. */
  readonly asn: number;
  /** Our AS towards this peer (myASN). */
  readonly myAsn: number;
  /** TCP port, 179 unless given (MetalLB's CRD allows 1..16384). */
  readonly port: number;
  /** Seconds: 0 or 3..65535; 90 unless given (MetalLB's native speaker default). */
  readonly holdTime: number;
  /** Seconds, below the hold time; a third of the hold time unless given. */
  readonly keepaliveTime: number;
  /** Seconds between connection attempts (connectTime), when given. */
  readonly connectTime?: number;
  readonly sourceAddress?: string;
  /** Router ID towards this peer; the node's address when absent (decided per node at run time). */
  readonly routerId?: string;
  /** The TCP-MD5 key. Never printed: output goes through redactSecrets. */
  readonly password?: string;
  /** The TCP-MD5 key kept in a Secret, read at run time. Never together with `password`. */
  readonly passwordSecret?: SecretRef;
  /** Sessions only from nodes matching one of these; empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  readonly ebgpMultiHop: boolean;
  /** Also carry the other address family on this session (MetalLB's dualStackAddressFamily). */
  readonly dualStackAddressFamily: boolean;
}

export interface BgpAdvertisement {
  readonly name: string;
  /**
   * The pools advertised, resolved: those named plus those whose labels match a pool selector;
   * every pool when the advertisement names and selects none (MetalLB's rule).
   */
  readonly pools: readonly string[];
  /** As written: ipAddressPools and ipAddressPoolSelectors. */
  readonly poolNames: readonly string[];
  readonly poolSelectors: readonly LabelSelector[];
  /** Prefix length announced for IPv4 service addresses (32 unless given). */
  readonly aggregationLength: number;
  /** Prefix length announced for IPv6 service addresses (128 unless given). */
  readonly aggregationLengthV6: number;
  /** LOCAL_PREF, sent to iBGP peers only; absent means not set (MetalLB: 0 = unset). */
  readonly localPref?: number;
  /** RFC 1997 communities as 32-bit numbers, aliases resolved. */
  readonly communities: readonly number[];
  /** RFC 8092 large communities as "global:local1:local2", aliases resolved. */
  readonly largeCommunities: readonly string[];
  /** Peer names this goes to; empty means every peer. */
  readonly peers: readonly string[];
  /** Nodes that announce (are next hops); empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Services this applies to; empty means every service of the pools. */
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface L2Advertisement {
  readonly name: string;
  /** Resolved as for BgpAdvertisement.pools. */
  readonly pools: readonly string[];
  readonly poolNames: readonly string[];
  readonly poolSelectors: readonly LabelSelector[];
  /** Interfaces to answer ARP/NDP on; empty means every interface. */
  readonly interfaces: readonly string[];
  /** Nodes that may announce; empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

/** A Kubernetes toleration, as kubespray's metallb_controller_tolerations gives them. */
export interface Toleration {
  readonly key?: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

export interface BridgeConfig {
  readonly source: ConfigSource;
  /** Where MetalLB's objects and password Secrets live (metallb-system unless given). */
  readonly namespace: string;
  readonly pools: readonly Pool[];
  readonly peers: readonly Peer[];
  readonly bgpAdvertisements: readonly BgpAdvertisement[];
  readonly l2Advertisements: readonly L2Advertisement[];
  /**
   * false: we allocate addresses only and announce nothing (kubespray's
   * metallb_speaker_enabled: false, for example when Calico advertises the service addresses).
   */
  readonly speakerEnabled: boolean;
  /** kube_proxy_strict_arp; absent when the input does not say (CRDs). */
  readonly strictArp?: boolean;
  /** kube_proxy_mode ('ipvs' is kubespray's default); absent when the input does not say. */
  readonly kubeProxyMode?: string;
  /** calico_advertise_service_loadbalancer_ips: what Calico announces instead of our speaker. */
  readonly calicoAdvertisedRanges: readonly AddressRange[];
  /** Only services of this spec.loadBalancerClass are ours (metallb_loadbalancer_class). */
  readonly loadBalancerClass?: string;
  readonly controllerTolerations: readonly Toleration[];
  /** Things that are valid but probably not what the operator wants. */
  readonly warnings: readonly string[];
}

/** What every password is printed as. */
export const MASKED_SECRET = '********';

/** The model as it may be printed or logged: every password replaced by MASKED_SECRET. */
export function redactSecrets(config: BridgeConfig): BridgeConfig {
  return {
    ...config,
    peers: config.peers.map((peer) => (peer.password === undefined ? peer : { ...peer, password: MASKED_SECRET })),
  };
}

/** The pools announced in Layer 2 mode (by ARP/NDP), by name. */
export function layer2PoolNames(config: BridgeConfig): string[] {
  return config.pools.filter((pool) => pool.protocols.includes('layer2')).map((pool) => pool.name);
}

/** The advertisements that announce `pool`, by kind. */
export function advertisementsOfPool(config: BridgeConfig, pool: string): { bgp: BgpAdvertisement[]; layer2: L2Advertisement[] } {
  return {
    bgp: config.bgpAdvertisements.filter((ad) => ad.pools.includes(pool)),
    layer2: config.l2Advertisements.filter((ad) => ad.pools.includes(pool)),
  };
}

/** The peers an advertisement goes to. */
export function peersOfAdvertisement(config: BridgeConfig, ad: BgpAdvertisement): Peer[] {
  return ad.peers.length === 0 ? [...config.peers] : config.peers.filter((peer) => ad.peers.includes(peer.name));
}

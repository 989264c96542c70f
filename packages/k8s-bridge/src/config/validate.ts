/**
 * From a draft (what one parser read, every value already checked on its own, each with the key
 * path it came from) to the validated model: the checks that need more than one object. Names
 * are unique; pools do not overlap; advertisements name pools and peers that exist; communities
 * resolve; aggregation lengths fit the pools; peers that meet on every node agree. Then the
 * warnings: pools nobody announces, Calico not covering a pool, strict ARP missing.
 *
 * The rules follow MetalLB (metallb/metallb internal/config/config.go poolsFor, peerFromCR,
 * bgpAdvertisementFromCR, validateBGPAdvPerPool; internal/config/validation.go
 * checkFRRPeersCompatible) except where MetalLB silently skips: an advertisement naming a pool
 * that does not exist is an error here, not a no-op.
 */
import type { ConfigProblem } from 'bgp-speaker';
import { rangeBounds, rangeCovered, rangesOverlap, widestPrefixLength } from './addresses.js';
import type { Checker } from './checker.js';
import { resolveCommunity } from './communities.js';
import type { CommunityValue } from './communities.js';
import type { Located } from './fields.js';
import type {
  AddressRange,
  BgpAdvertisement,
  BridgeConfig,
  ConfigSource,
  L2Advertisement,
  LabelSelector,
  Peer,
  Pool,
  Protocol,
  ServiceAllocation,
  Toleration,
} from './model.js';
import { selectorKey, selectorMatches } from './selectors.js';

export interface DraftPool {
  readonly name: string;
  readonly namePath: string;
  readonly addresses: readonly Located<AddressRange>[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIps: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAllocation?: ServiceAllocation;
}

export interface DraftPeer {
  readonly namePath: string;
  /** Paths of the fields the cross checks name. */
  readonly paths: { readonly address: string; readonly myAsn: string; readonly routerId: string; readonly ebgpMultiHop: string };
  readonly peer: Peer;
}

export interface DraftBgpAdvertisement {
  readonly name: string;
  readonly namePath: string;
  readonly poolNames: readonly Located<string>[];
  readonly poolSelectors: readonly LabelSelector[];
  readonly aggregationLength: Located<number>;
  readonly aggregationLengthV6: Located<number>;
  readonly localPref?: Located<number>;
  readonly communities: readonly Located<string>[];
  readonly peers: readonly Located<string>[];
  readonly nodeSelectors: readonly LabelSelector[];
  readonly serviceSelectors: Located<readonly LabelSelector[]>;
}

export interface DraftL2Advertisement {
  readonly name: string;
  readonly namePath: string;
  readonly poolNames: readonly Located<string>[];
  readonly poolSelectors: readonly LabelSelector[];
  readonly interfaces: readonly string[];
  readonly nodeSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface DraftCommunityAlias {
  readonly name: string;
  readonly path: string;
  readonly value: CommunityValue;
}

export interface DraftConfig {
  readonly source: ConfigSource;
  readonly namespace: string;
  readonly pools: readonly DraftPool[];
  readonly peers: readonly DraftPeer[];
  readonly bgpAdvertisements: readonly DraftBgpAdvertisement[];
  readonly l2Advertisements: readonly DraftL2Advertisement[];
  readonly communityAliases: readonly DraftCommunityAlias[];
  readonly speakerEnabled: boolean;
  readonly strictArp?: boolean;
  /** kube_proxy_mode as the input says, or kubespray's default when it is kubespray input. */
  readonly kubeProxyMode?: string;
  /** undefined: the input does not set calico_advertise_service_loadbalancer_ips at all. */
  readonly calicoAdvertisedRanges?: Located<readonly Located<AddressRange>[]>;
  readonly loadBalancerClass?: string;
  readonly controllerTolerations: readonly Toleration[];
}

/** The validated model, or every problem found (the parser's and these). */
export function resolveConfig(check: Checker, draft: DraftConfig): BridgeConfig | readonly ConfigProblem[] {
  checkUniqueNames(check, 'pool', draft.pools.map((p) => ({ name: p.name, path: p.namePath })));
  checkUniqueNames(check, 'BGP peer', draft.peers.map((p) => ({ name: p.peer.name, path: p.namePath })));
  checkUniqueNames(check, 'BGP advertisement', draft.bgpAdvertisements.map((a) => ({ name: a.name, path: a.namePath })));
  checkUniqueNames(check, 'L2 advertisement', draft.l2Advertisements.map((a) => ({ name: a.name, path: a.namePath })));
  checkPoolOverlaps(check, draft.pools);
  checkPeersSharingNodes(check, draft.peers);

  const aliases = resolveAliases(check, draft.communityAliases);
  const poolNames = new Set(draft.pools.map((p) => p.name));
  const peerNames = new Set(draft.peers.map((p) => p.peer.name));

  const l2Advertisements: L2Advertisement[] = draft.l2Advertisements.map((ad) => ({
    name: ad.name,
    pools: resolvePools(check, draft.pools, ad.poolNames, ad.poolSelectors, poolNames),
    poolNames: ad.poolNames.map((p) => p.value),
    poolSelectors: ad.poolSelectors,
    interfaces: ad.interfaces,
    nodeSelectors: ad.nodeSelectors,
    serviceSelectors: ad.serviceSelectors,
  }));
  const bgpAdvertisements: BgpAdvertisement[] = draft.bgpAdvertisements.map((ad) =>
    resolveBgpAdvertisement(check, ad, draft.pools, poolNames, peerNames, aliases),
  );
  checkAggregation(check, draft.bgpAdvertisements, bgpAdvertisements, draft.pools);
  checkLocalPrefs(check, draft.bgpAdvertisements, bgpAdvertisements);

  if (check.problems.length > 0) return check.problems;

  const pools: Pool[] = draft.pools.map((pool) => ({
    name: pool.name,
    addresses: pool.addresses.map((a) => a.value),
    autoAssign: pool.autoAssign,
    avoidBuggyIps: pool.avoidBuggyIps,
    protocols: protocolsOf(pool.name, l2Advertisements, bgpAdvertisements),
    labels: pool.labels,
    ...(pool.serviceAllocation === undefined ? {} : { serviceAllocation: pool.serviceAllocation }),
  }));
  const config: BridgeConfig = {
    source: draft.source,
    namespace: draft.namespace,
    pools,
    peers: draft.peers.map((p) => p.peer),
    bgpAdvertisements,
    l2Advertisements,
    speakerEnabled: draft.speakerEnabled,
    ...(draft.strictArp === undefined ? {} : { strictArp: draft.strictArp }),
    ...(draft.kubeProxyMode === undefined ? {} : { kubeProxyMode: draft.kubeProxyMode }),
    calicoAdvertisedRanges: draft.calicoAdvertisedRanges?.value.map((r) => r.value) ?? [],
    ...(draft.loadBalancerClass === undefined ? {} : { loadBalancerClass: draft.loadBalancerClass }),
    controllerTolerations: draft.controllerTolerations,
    warnings: [],
  };
  addWarnings(check, config, draft);
  return { ...config, warnings: [...check.warnings] };
}

function checkUniqueNames(check: Checker, what: string, items: readonly { name: string; path: string }[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const earlier = seen.get(item.name);
    if (earlier !== undefined) check.fail(item.path, `duplicate ${what} name ${JSON.stringify(item.name)} (also at ${earlier})`);
    else seen.set(item.name, item.path);
  }
}

/** MetalLB refuses any address in two pools, or twice in one (poolsFor: "overlaps with already defined CIDR"). */
function checkPoolOverlaps(check: Checker, pools: readonly DraftPool[]): void {
  const seen: { pool: string; range: Located<AddressRange>; bounds: ReturnType<typeof rangeBounds> }[] = [];
  for (const pool of pools) {
    for (const range of pool.addresses) {
      const bounds = rangeBounds(range.value);
      const clash = seen.find((s) => rangesOverlap(s.bounds, bounds));
      if (clash !== undefined) {
        const where = clash.pool === pool.name ? 'another entry of the same pool' : `pool ${JSON.stringify(clash.pool)}`;
        check.fail(range.path, `${range.value.text} overlaps ${clash.range.value.text} of ${where} (${clash.range.path}); a pool address must belong to one pool`);
      }
      seen.push({ pool: pool.name, range, bounds });
    }
  }
}

/**
 * Peers whose node selectors are the same meet on every node they select, where one speaker
 * holds both sessions: the same address twice cannot work, and the speaker has one AS and one
 * router ID per node (MetalLB's FRR mode has the same rules: validation.go peersCanRunOnSameNode).
 * Peers with different selectors may still meet on some node; that is checked per node at run time.
 */
function checkPeersSharingNodes(check: Checker, peers: readonly DraftPeer[]): void {
  peers.forEach((draft, index) => {
    const peer = draft.peer;
    const selectors = peer.nodeSelectors.map(selectorKey).sort().join('|');
    for (const earlier of peers.slice(0, index)) {
      const other = earlier.peer;
      if (other.nodeSelectors.map(selectorKey).sort().join('|') !== selectors) continue;
      if (other.address === peer.address && other.port === peer.port) {
        check.fail(draft.paths.address, `peer ${JSON.stringify(peer.name)} has the same address as ${JSON.stringify(other.name)} (${earlier.namePath}) on the same nodes`);
      }
      if (other.myAsn !== peer.myAsn) {
        check.fail(draft.paths.myAsn, `${peer.myAsn} differs from peer ${JSON.stringify(other.name)}'s myASN ${other.myAsn}; peers on the same nodes must share one local AS`);
      }
      if (other.routerId !== peer.routerId) {
        check.fail(draft.paths.routerId, `peer ${JSON.stringify(peer.name)}'s router ID differs from ${JSON.stringify(other.name)}'s; peers on the same nodes must share one router ID`);
      }
    }
    // MetalLB refuses this too (peerFromCR): multi-hop is an eBGP notion.
    if (peer.ebgpMultiHop && peer.asn === peer.myAsn) {
      check.fail(draft.paths.ebgpMultiHop, 'is set on an iBGP peer (peer ASN equals my ASN)');
    }
  });
}

function resolveAliases(check: Checker, aliases: readonly DraftCommunityAlias[]): Map<string, CommunityValue> {
  const map = new Map<string, CommunityValue>();
  const where = new Map<string, string>();
  for (const alias of aliases) {
    const earlier = where.get(alias.name);
    if (earlier !== undefined) {
      check.fail(alias.path, `duplicate community alias ${JSON.stringify(alias.name)} (also at ${earlier})`);
      continue;
    }
    where.set(alias.name, alias.path);
    map.set(alias.name, alias.value);
  }
  return map;
}

/** Named pools plus selected pools; all pools when neither is given (MetalLB's rule). */
function resolvePools(
  check: Checker,
  pools: readonly DraftPool[],
  names: readonly Located<string>[],
  selectors: readonly LabelSelector[],
  known: ReadonlySet<string>,
): string[] {
  if (names.length === 0 && selectors.length === 0) return pools.map((p) => p.name);
  for (const name of names) {
    if (!known.has(name.value)) check.fail(name.path, `names pool ${JSON.stringify(name.value)}, which is not defined`);
  }
  return pools
    .filter((p) => names.some((n) => n.value === p.name) || selectors.some((s) => selectorMatches(s, p.labels)))
    .map((p) => p.name);
}

function resolveBgpAdvertisement(
  check: Checker,
  ad: DraftBgpAdvertisement,
  pools: readonly DraftPool[],
  poolNames: ReadonlySet<string>,
  peerNames: ReadonlySet<string>,
  aliases: ReadonlyMap<string, CommunityValue>,
): BgpAdvertisement {
  for (const peer of ad.peers) {
    if (!peerNames.has(peer.value)) check.fail(peer.path, `names BGP peer ${JSON.stringify(peer.value)}, which is not defined`);
  }
  const communities: number[] = [];
  const largeCommunities: string[] = [];
  for (const text of ad.communities) {
    const resolved = resolveCommunity(text.value, aliases);
    if ('error' in resolved) check.fail(text.path, resolved.error);
    else if (resolved.kind === 'standard') {
      if (!communities.includes(resolved.value)) communities.push(resolved.value);
    } else if (!largeCommunities.includes(resolved.value)) largeCommunities.push(resolved.value);
  }
  if (ad.serviceSelectors.value.length > 0 && (ad.aggregationLength.value !== 32 || ad.aggregationLengthV6.value !== 128)) {
    check.fail(ad.serviceSelectors.path, 'cannot be combined with an aggregation length other than 32 (IPv4) and 128 (IPv6): an aggregate is not one service');
  }
  return {
    name: ad.name,
    pools: resolvePools(check, pools, ad.poolNames, ad.poolSelectors, poolNames),
    poolNames: ad.poolNames.map((p) => p.value),
    poolSelectors: ad.poolSelectors,
    aggregationLength: ad.aggregationLength.value,
    aggregationLengthV6: ad.aggregationLengthV6.value,
    ...(ad.localPref === undefined ? {} : { localPref: ad.localPref.value }),
    communities,
    largeCommunities,
    peers: ad.peers.map((p) => p.value),
    nodeSelectors: ad.nodeSelectors,
    serviceSelectors: ad.serviceSelectors.value,
  };
}

/**
 * An aggregate must contain the addresses it stands for: the aggregation length may not be
 * shorter than the widest prefix of any pool entry it covers (MetalLB validateBGPAdvPerPool).
 */
function checkAggregation(check: Checker, drafts: readonly DraftBgpAdvertisement[], ads: readonly BgpAdvertisement[], pools: readonly DraftPool[]): void {
  ads.forEach((ad, index) => {
    const draft = drafts[index] as DraftBgpAdvertisement;
    for (const pool of pools.filter((p) => ad.pools.includes(p.name))) {
      for (const range of pool.addresses) {
        const v4 = range.value.family === 'ipv4';
        const length = v4 ? ad.aggregationLength : ad.aggregationLengthV6;
        const widest = widestPrefixLength(range.value);
        if (length < widest) {
          const path = v4 ? draft.aggregationLength.path : draft.aggregationLengthV6.path;
          check.fail(path, `/${length} is shorter than /${widest} of ${range.value.text} in pool ${JSON.stringify(pool.name)}: the aggregate would cover addresses outside the pool`);
        }
      }
    }
  });
}

/**
 * Two advertisements sending the same prefix to the same peer from the same node cannot carry
 * different LOCAL_PREFs (MetalLB BGPAdvertisementsHaveCompatibleLocalPref). Nodes are known only
 * at run time, so this flags only advertisements without node selectors.
 */
function checkLocalPrefs(check: Checker, drafts: readonly DraftBgpAdvertisement[], ads: readonly BgpAdvertisement[]): void {
  ads.forEach((ad, index) => {
    const draft = drafts[index] as DraftBgpAdvertisement;
    for (const other of ads.slice(0, index)) {
      if ((ad.localPref ?? 0) === (other.localPref ?? 0)) continue;
      if (ad.serviceSelectors.length > 0 || other.serviceSelectors.length > 0) continue;
      if (ad.nodeSelectors.length > 0 || other.nodeSelectors.length > 0) continue;
      if (ad.aggregationLength !== other.aggregationLength || ad.aggregationLengthV6 !== other.aggregationLengthV6) continue;
      const sharedPeer = ad.peers.length === 0 || other.peers.length === 0 || ad.peers.some((p) => other.peers.includes(p));
      const sharedPool = ad.pools.find((p) => other.pools.includes(p));
      if (sharedPeer && sharedPool !== undefined) {
        check.fail(
          draft.localPref?.path ?? draft.namePath,
          `LOCAL_PREF ${ad.localPref ?? 'unset'} conflicts with advertisement ${JSON.stringify(other.name)} (${other.localPref ?? 'unset'}), which sends the same prefixes of pool ${JSON.stringify(sharedPool)} to the same peers`,
        );
      }
    }
  });
}

function protocolsOf(pool: string, l2: readonly L2Advertisement[], bgp: readonly BgpAdvertisement[]): Protocol[] {
  const protocols: Protocol[] = [];
  if (l2.some((ad) => ad.pools.includes(pool))) protocols.push('layer2');
  if (bgp.some((ad) => ad.pools.includes(pool))) protocols.push('bgp');
  return protocols;
}

function addWarnings(check: Checker, config: BridgeConfig, draft: DraftConfig): void {
  if (!config.speakerEnabled) {
    warnCalicoCoverage(check, config, draft);
    if (config.peers.length > 0) {
      check.warn('the speaker is disabled (metallb_speaker_enabled: false): the BGP peers are not used; addresses are allocated only');
    }
    return;
  }
  for (const pool of config.pools) {
    if (pool.protocols.length === 0) {
      check.warn(`pool ${JSON.stringify(pool.name)} is not selected by any L2Advertisement or BGPAdvertisement: its addresses are allocated but not announced`);
    }
  }
  for (const ad of config.bgpAdvertisements) {
    if (ad.pools.length > 0 && (config.peers.length === 0 || (ad.peers.length > 0 && !ad.peers.some((p) => config.peers.some((peer) => peer.name === p))))) {
      check.warn(`BGP advertisement ${JSON.stringify(ad.name)} has no peer to go to: define a BGP peer`);
    }
  }
  if (config.peers.length > 0 && !config.bgpAdvertisements.some((ad) => ad.pools.length > 0)) {
    check.warn('BGP peers are defined but no pool is advertised over BGP: the sessions will carry no routes');
  }
  const layer2 = config.l2Advertisements.some((ad) => ad.pools.length > 0);
  if (layer2 && config.kubeProxyMode === 'ipvs' && config.strictArp !== true) {
    check.warn(
      'kube_proxy_strict_arp is not true while kube-proxy runs in IPVS mode' +
        (draft.source === 'crds' ? '' : ' (kube_proxy_mode: ipvs, kubespray\'s default)') +
        ': kube-proxy binds every LoadBalancer address to the kube-ipvs0 interface, and without strict ARP ' +
        '(arp_ignore=1, arp_announce=2) every node answers ARP for them, so Layer 2 failover breaks. ' +
        'Set kube_proxy_strict_arp: true (kubespray refuses to install MetalLB without it).',
    );
  }
}

/** With the speaker disabled, Calico announces the addresses: it must cover every pool. */
function warnCalicoCoverage(check: Checker, config: BridgeConfig, draft: DraftConfig): void {
  if (draft.calicoAdvertisedRanges === undefined || draft.calicoAdvertisedRanges.value.length === 0) {
    check.warn(
      'the speaker is disabled (metallb_speaker_enabled: false) and calico_advertise_service_loadbalancer_ips is not set: ' +
        'addresses are allocated but nothing announces them',
    );
    return;
  }
  const cover = draft.calicoAdvertisedRanges.value.map((r) => rangeBounds(r.value));
  for (const pool of config.pools) {
    for (const range of pool.addresses) {
      if (!rangeCovered(rangeBounds(range), cover)) {
        check.warn(
          `calico_advertise_service_loadbalancer_ips does not cover ${range.text} of pool ${JSON.stringify(pool.name)}: ` +
            'with the speaker disabled, services given these addresses are not reachable from outside; add it to the list',
        );
      }
    }
  }
}

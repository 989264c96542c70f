/**
 * kubespray's metallb_config dictionary (kubespray v2.22 and later; kubernetes-sigs/kubespray
 * roles/kubernetes-apps/metallb/templates/pools.yaml.j2, layer2.yaml.j2, layer3.yaml.j2 and
 * docs/ingress/metallb.md): address_pools, layer2 (pool names announced by ARP/NDP), layer3
 * (defaults, communities, metallb_peers, each peer naming its pools).
 */
import type { Checker, Dict } from './checker.js';
import { join } from './checker.js';
import { parseCommunityValue } from './communities.js';
import {
  ansibleNumber,
  checkAddress,
  checkAddressRanges,
  checkAsn,
  checkDuration,
  checkObjectName,
  checkPassword,
  checkPort,
  checkRouterId,
  checkTimers,
} from './fields.js';
import type { Located } from './fields.js';
import type { DraftBgpAdvertisement, DraftCommunityAlias, DraftL2Advertisement, DraftPeer, DraftPool } from './validate.js';
import { plainBgpAdvertisement, plainL2Advertisement } from './kubespray-vars.js';
import type { Body, Vars } from './kubespray-vars.js';

/** The Community object kubespray's layer3.yaml.j2 always creates, named "well-known". */
const KUBESPRAY_WELL_KNOWN: readonly [string, string][] = [
  ['no-export', '65535:65281'],
  ['no-advertise', '65535:65282'],
  ['local-as', '65535:65283'],
  ['nopeer', '65535:65284'],
];

export function parseMetallbConfig(check: Checker, vars: Vars, config: Dict): Body {
  const pools: DraftPool[] = [];
  const poolsPath = 'metallb_config.address_pools';
  const poolsRaw = config['address_pools'] === undefined ? {} : (check.object(vars.value(config['address_pools'], poolsPath), poolsPath) ?? {});
  for (const [name, value] of Object.entries(poolsRaw)) {
    const path = join(poolsPath, name);
    // Rendered as the IPAddressPool's metadata.name.
    checkObjectName(check, name, path);
    const raw = check.object(vars.value(value, path), path, ['ip_range', 'auto_assign', 'avoid_buggy_ips']);
    if (raw === undefined) continue;
    const addresses = checkAddressRanges(check, vars.value(raw['ip_range'], `${path}.ip_range`), `${path}.ip_range`, `pool ${JSON.stringify(name)}`);
    const autoAssign = raw['auto_assign'] === undefined ? true : check.boolean(vars.value(raw['auto_assign'], `${path}.auto_assign`), `${path}.auto_assign`);
    const avoidBuggyIps =
      raw['avoid_buggy_ips'] === undefined ? false : check.boolean(vars.value(raw['avoid_buggy_ips'], `${path}.avoid_buggy_ips`), `${path}.avoid_buggy_ips`);
    pools.push({ name, namePath: path, addresses, autoAssign: autoAssign ?? true, avoidBuggyIps: avoidBuggyIps ?? false, labels: {} });
  }
  if (pools.length === 0 && check.problems.length === 0) check.fail(poolsPath, 'must define at least one pool');

  // layer2.yaml.j2: one L2Advertisement per listed pool, named after it.
  const l2Advertisements: DraftL2Advertisement[] = [];
  const layer2Path = 'metallb_config.layer2';
  const layer2 = config['layer2'] === undefined || config['layer2'] === null ? [] : (check.list(vars.value(config['layer2'], layer2Path), layer2Path) ?? []);
  layer2.forEach((item, index) => {
    const path = `${layer2Path}[${index}]`;
    const name = check.string(item, path);
    if (name !== undefined) l2Advertisements.push(plainL2Advertisement(name, path, { value: name, path }));
  });

  const layer3 = parseLayer3(check, vars, config['layer3']);
  return {
    source: 'kubespray-metallb-config',
    pools,
    peers: layer3.peers,
    bgpAdvertisements: layer3.bgpAdvertisements,
    l2Advertisements,
    communityAliases: layer3.communityAliases,
  };
}

interface Layer3 {
  readonly peers: DraftPeer[];
  readonly bgpAdvertisements: DraftBgpAdvertisement[];
  readonly communityAliases: DraftCommunityAlias[];
}

const LAYER3_PEER_KEYS = [
  'peer_address',
  'peer_asn',
  'my_asn',
  'peer_port',
  'password',
  'router_id',
  'hold_time',
  'multihop',
  'aggregation_length',
  'localpref',
  'address_pool',
  'communities',
  'source_address',
];

function parseLayer3(check: Checker, vars: Vars, value: unknown): Layer3 {
  const out: Layer3 = { peers: [], bgpAdvertisements: [], communityAliases: [] };
  if (value === undefined || value === null) return out;
  const base = 'metallb_config.layer3';
  const layer3 = check.object(vars.value(value, base), base, ['defaults', 'communities', 'metallb_peers']);
  if (layer3 === undefined) return out;

  const defaultsPath = `${base}.defaults`;
  const defaults = layer3['defaults'] === undefined ? {} : (check.object(vars.value(layer3['defaults'], defaultsPath), defaultsPath, ['peer_port', 'hold_time']) ?? {});
  const defaultPort = checkPort(check, ansibleNumber(defaults['peer_port']), `${defaultsPath}.peer_port`);
  const defaultHold =
    defaults['hold_time'] === undefined ? undefined : { value: checkDuration(check, defaults['hold_time'], `${defaultsPath}.hold_time`), path: `${defaultsPath}.hold_time` };

  // The well-known aliases first: a user alias of the same name is then reported as the duplicate MetalLB would refuse.
  for (const [name, text] of KUBESPRAY_WELL_KNOWN) {
    const parsed = parseCommunityValue(text);
    if (!('error' in parsed)) out.communityAliases.push({ name, path: "kubespray's well-known Community", value: parsed });
  }
  const communitiesPath = `${base}.communities`;
  const communities = layer3['communities'] === undefined ? {} : (check.object(vars.value(layer3['communities'], communitiesPath), communitiesPath) ?? {});
  for (const [name, text] of Object.entries(communities)) {
    const path = join(communitiesPath, name);
    const valueText = check.string(vars.value(text, path), path);
    if (valueText === undefined) continue;
    const parsed = parseCommunityValue(valueText);
    if ('error' in parsed) check.fail(path, parsed.error);
    else out.communityAliases.push({ name, path, value: parsed });
  }

  const peersPath = `${base}.metallb_peers`;
  const peers = layer3['metallb_peers'] === undefined ? {} : (check.object(vars.value(layer3['metallb_peers'], peersPath), peersPath) ?? {});
  for (const [name, peerValue] of Object.entries(peers)) {
    const path = join(peersPath, name);
    checkObjectName(check, name, path);
    const raw = check.object(vars.value(peerValue, path), path, LAYER3_PEER_KEYS);
    if (raw === undefined) continue;
    const mark = check.problems.length;
    const address = checkAddress(check, raw['peer_address'], `${path}.peer_address`);
    const asn = checkAsn(check, ansibleNumber(raw['peer_asn']), `${path}.peer_asn`);
    const myAsn = checkAsn(check, ansibleNumber(raw['my_asn']), `${path}.my_asn`);
    const port = raw['peer_port'] === undefined ? defaultPort : checkPort(check, ansibleNumber(raw['peer_port']), `${path}.peer_port`);
    const password = raw['password'] === undefined ? undefined : checkPassword(check, raw['password'], `${path}.password`);
    const routerId = raw['router_id'] === undefined ? undefined : checkRouterId(check, raw['router_id'], `${path}.router_id`);
    const hold = raw['hold_time'] === undefined ? defaultHold : { value: checkDuration(check, raw['hold_time'], `${path}.hold_time`), path: `${path}.hold_time` };
    const timers = checkTimers(check, hold, undefined);
    const ebgpMultiHop = raw['multihop'] === undefined ? false : check.boolean(raw['multihop'], `${path}.multihop`);
    if (raw['source_address'] !== undefined) {
      check.warn(
        `${path}.source_address is not applied: kubespray's layer3 template does not render it (its docs say "CURRENTLY NOT SUPPORTED"), ` +
          'and without node selectors it would bind every node\'s session to one address',
      );
    }
    const ads = layer3Advertisements(check, vars, name, path, raw);
    if (check.failedSince(mark) || timers === undefined) continue;
    out.peers.push({
      namePath: path,
      paths: { address: `${path}.peer_address`, myAsn: `${path}.my_asn`, routerId: `${path}.router_id`, ebgpMultiHop: `${path}.multihop` },
      peer: {
        name,
        address: address as string,
        asn: asn as number,
        myAsn: myAsn as number,
        port: port as number,
        ...timers,
        ...(routerId === undefined ? {} : { routerId }),
        ...(password === undefined ? {} : { password }),
        nodeSelectors: [],
        ebgpMultiHop: ebgpMultiHop as boolean,
        dualStackAddressFamily: false,
      },
    });
    out.bgpAdvertisements.push(...ads);
  }
  return out;
}

/**
 * layer3.yaml.j2 gives each peer a "<peer>-external" BGPAdvertisement of its address_pool with its
 * communities, and, when aggregation_length is at most 30, a "<peer>-local" one announcing each
 * service address as a /32 with no-advertise and LOCAL_PREF localpref (100 by default).
 *
 * Where the template and kubespray's documentation disagree, this follows the documentation
 * ("link the pool(s) specified above to the correct peer"): the advertisements go to that peer
 * only (the template leaves spec.peers empty, which in MetalLB means every peer); all of
 * `communities` apply (the template repeats the communities: key, so only the last one survived);
 * and localpref is a number (the template renders a quoted, lower-case `localpref` field, which
 * MetalLB's CRD does not know).
 */
function layer3Advertisements(check: Checker, vars: Vars, peer: string, path: string, raw: Dict): DraftBgpAdvertisement[] {
  const poolsPath = `${path}.address_pool`;
  const poolList = raw['address_pool'] === undefined ? check.fail(poolsPath, 'is required: the pools this peer gets') : check.list(vars.value(raw['address_pool'], poolsPath), poolsPath);
  const poolNames: Located<string>[] = [];
  (poolList ?? []).forEach((item, index) => {
    const name = check.string(item, `${poolsPath}[${index}]`);
    if (name !== undefined) poolNames.push({ value: name, path: `${poolsPath}[${index}]` });
  });
  // An empty ipAddressPools list would mean "every pool" to MetalLB: certainly not what was meant.
  if (poolList !== undefined && poolList.length === 0) check.fail(poolsPath, 'must name at least one pool');

  const communitiesPath = `${path}.communities`;
  const communities: Located<string>[] = [];
  const communityList = raw['communities'] === undefined ? [] : (check.list(vars.value(raw['communities'], communitiesPath), communitiesPath) ?? []);
  communityList.forEach((item, index) => {
    const text = check.string(item, `${communitiesPath}[${index}]`);
    if (text !== undefined) communities.push({ value: text, path: `${communitiesPath}[${index}]` });
  });

  const aggregationPath = `${path}.aggregation_length`;
  const aggregation = raw['aggregation_length'] === undefined ? undefined : check.integer(ansibleNumber(raw['aggregation_length']), aggregationPath, 1, 32);
  const localPrefPath = `${path}.localpref`;
  const localPref = raw['localpref'] === undefined ? 100 : check.integer(ansibleNumber(raw['localpref']), localPrefPath, 0, 0xffffffff);
  if (aggregation !== undefined && aggregation > 30) {
    check.warn(`${aggregationPath}: kubespray applies aggregation_length only when it is at most 30; /${aggregation} is announced as /32`);
  }
  const peers = [{ value: peer, path }];
  const external: DraftBgpAdvertisement = {
    ...plainBgpAdvertisement(`${peer}-external`, path, poolNames),
    aggregationLength: { value: aggregation !== undefined && aggregation <= 30 ? aggregation : 32, path: aggregationPath },
    communities,
    peers,
  };
  if (aggregation === undefined || aggregation > 30) return [external];
  const local: DraftBgpAdvertisement = {
    ...plainBgpAdvertisement(`${peer}-local`, path, poolNames),
    communities: [{ value: 'no-advertise', path }],
    ...(localPref === undefined ? {} : { localPref: { value: localPref, path: localPrefPath } }),
    peers,
  };
  return [local, external];
}

/**
 * kubespray's flat MetalLB variables (kubespray up to v2.21; kubernetes-sigs/kubespray at
 * 709ae1d24^: roles/kubernetes-apps/metallb/defaults/main.yml and templates/metallb-config.yml.j2),
 * which kubespray rendered into MetalLB's old ConfigMap: metallb_ip_range becomes the pool
 * metallb_pool_name ("loadbalanced") announced by metallb_protocol ("layer2");
 * metallb_additional_address_pools add pools; every metallb_peers entry peers for every BGP pool.
 * Objects are named as MetalLB's own ConfigMap converter names them (metallb/metallb
 * configmaptocrs/main.go): peer1, peer2..., bgpadvertisement1..., l2advertisement1....
 */
import type { Checker } from './checker.js';
import { join } from './checker.js';
import { ansibleNumber, checkAddress, checkAddressRanges, checkAsn, checkPassword, checkTimers } from './fields.js';
import type { Located } from './fields.js';
import type { Peer, Protocol } from './model.js';
import { CONFIGMAP_SELECTOR_KEYS, parseSelectorList } from './selectors.js';
import type { DraftBgpAdvertisement, DraftL2Advertisement, DraftPeer, DraftPool } from './validate.js';
import { checkProtocol, checkSameFamily, plainBgpAdvertisement, plainL2Advertisement } from './kubespray-vars.js';
import type { Body, Vars } from './kubespray-vars.js';

export function parseFlat(check: Checker, vars: Vars, speakerEnabled: boolean): Body {
  const pools: { pool: DraftPool; protocol: Protocol | undefined }[] = [];

  const name = check.string(vars.get('metallb_pool_name'), 'metallb_pool_name');
  const protocol = checkProtocol(check, vars.get('metallb_protocol'), 'metallb_protocol');
  const autoAssign = check.boolean(vars.get('metallb_auto_assign'), 'metallb_auto_assign');
  const avoidBuggyIps = check.boolean(vars.get('metallb_avoid_buggy_ips'), 'metallb_avoid_buggy_ips');
  if (!vars.has('metallb_ip_range')) {
    check.fail('metallb_ip_range', 'is required (kubespray refuses to install MetalLB without it)');
  } else if (name !== undefined) {
    const addresses = checkAddressRanges(check, vars.get('metallb_ip_range'), 'metallb_ip_range', `pool ${JSON.stringify(name)}`);
    pools.push({
      pool: { name, namePath: 'metallb_pool_name', addresses, autoAssign: autoAssign ?? true, avoidBuggyIps: avoidBuggyIps ?? false, labels: {} },
      protocol,
    });
  }

  const extraRaw = vars.get('metallb_additional_address_pools');
  const extra = extraRaw === undefined || extraRaw === null ? {} : (check.object(extraRaw, 'metallb_additional_address_pools') ?? {});
  for (const [poolName, value] of Object.entries(extra)) {
    const path = join('metallb_additional_address_pools', poolName);
    const raw = check.object(vars.value(value, path), path, ['ip_range', 'protocol', 'auto_assign', 'avoid_buggy_ips']);
    if (raw === undefined) continue;
    const addresses = checkAddressRanges(check, vars.value(raw['ip_range'], `${path}.ip_range`), `${path}.ip_range`, `pool ${JSON.stringify(poolName)}`);
    // The template renders `protocol:` unconditionally; MetalLB refused a pool without one.
    const poolProtocol =
      raw['protocol'] === undefined ? check.fail(`${path}.protocol`, 'is required (layer2 or bgp)') : checkProtocol(check, vars.value(raw['protocol'], `${path}.protocol`), `${path}.protocol`);
    const poolAutoAssign = raw['auto_assign'] === undefined ? true : check.boolean(vars.value(raw['auto_assign'], `${path}.auto_assign`), `${path}.auto_assign`);
    const poolAvoidBuggy =
      raw['avoid_buggy_ips'] === undefined ? false : check.boolean(vars.value(raw['avoid_buggy_ips'], `${path}.avoid_buggy_ips`), `${path}.avoid_buggy_ips`);
    pools.push({
      pool: { name: poolName, namePath: path, addresses, autoAssign: poolAutoAssign ?? true, avoidBuggyIps: poolAvoidBuggy ?? false, labels: {} },
      protocol: poolProtocol,
    });
  }

  const peersRaw = vars.get('metallb_peers');
  const peerList = peersRaw === undefined || peersRaw === null ? [] : (check.list(peersRaw, 'metallb_peers') ?? []);
  const peers: DraftPeer[] = [];
  peerList.forEach((value, index) => {
    const peer = parseFlatPeer(check, vars.value(value, `metallb_peers[${index}]`), `metallb_peers[${index}]`, `peer${index + 1}`);
    if (peer !== undefined) peers.push(peer);
  });
  if (protocol === 'bgp' && speakerEnabled && peerList.length === 0) {
    check.fail('metallb_peers', 'is required when metallb_protocol is bgp and the speaker is enabled (kubespray refuses this too)');
  }

  // One advertisement per pool, to every peer, as MetalLB's ConfigMap converter does.
  const bgpAdvertisements: DraftBgpAdvertisement[] = [];
  const l2Advertisements: DraftL2Advertisement[] = [];
  for (const { pool, protocol: poolProtocol } of pools) {
    const poolName: Located<string> = { value: pool.name, path: pool.namePath };
    if (poolProtocol === 'bgp') {
      bgpAdvertisements.push(plainBgpAdvertisement(`bgpadvertisement${bgpAdvertisements.length + 1}`, pool.namePath, [poolName]));
    } else if (poolProtocol === 'layer2') {
      l2Advertisements.push(plainL2Advertisement(`l2advertisement${l2Advertisements.length + 1}`, pool.namePath, poolName));
    }
  }
  return { source: 'kubespray', pools: pools.map((p) => p.pool), peers, bgpAdvertisements, l2Advertisements, communityAliases: [] };
}

function parseFlatPeer(check: Checker, value: unknown, path: string, name: string): DraftPeer | undefined {
  const raw = check.object(value, path, ['peer_address', 'peer_asn', 'my_asn', 'password', 'source_address', 'node_selectors']);
  if (raw === undefined) return undefined;
  const mark = check.problems.length;
  const address = checkAddress(check, raw['peer_address'], `${path}.peer_address`);
  const asn = checkAsn(check, ansibleNumber(raw['peer_asn']), `${path}.peer_asn`);
  const myAsn = checkAsn(check, ansibleNumber(raw['my_asn']), `${path}.my_asn`);
  const password = raw['password'] === undefined ? undefined : checkPassword(check, raw['password'], `${path}.password`);
  const sourceAddress = raw['source_address'] === undefined ? undefined : checkAddress(check, raw['source_address'], `${path}.source_address`);
  // Rendered verbatim into MetalLB's old ConfigMap, hence its match-labels spelling.
  const nodeSelectors = parseSelectorList(check, raw['node_selectors'], `${path}.node_selectors`, CONFIGMAP_SELECTOR_KEYS);
  checkSameFamily(check, address, sourceAddress, `${path}.source_address`);
  const timers = checkTimers(check, undefined, undefined);
  if (check.failedSince(mark) || timers === undefined) return undefined;
  const peer: Peer = {
    name,
    address: address as string,
    asn: asn as number,
    myAsn: myAsn as number,
    port: 179,
    ...timers,
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
    ...(password === undefined ? {} : { password }),
    nodeSelectors,
    ebgpMultiHop: false,
    dualStackAddressFamily: false,
  };
  return {
    namePath: path,
    paths: { address: `${path}.peer_address`, myAsn: `${path}.my_asn`, routerId: path, ebgpMultiHop: path },
    peer,
  };
}

/**
 * kubespray's MetalLB variables to a draft of the model, in both of kubespray's forms:
 *
 * - the flat variables of kubespray up to v2.21 (kubernetes-sigs/kubespray at 709ae1d24^:
 *   roles/kubernetes-apps/metallb/defaults/main.yml and templates/metallb-config.yml.j2), rendered
 *   into MetalLB's old ConfigMap: metallb_ip_range becomes the pool metallb_pool_name
 *   ("loadbalanced") announced by metallb_protocol ("layer2"); metallb_additional_address_pools
 *   add pools; every metallb_peers entry peers for every BGP pool. Objects are named as MetalLB's
 *   own ConfigMap converter names them (metallb/metallb configmaptocrs/main.go): peer1, peer2...,
 *   bgpadvertisement1..., l2advertisement1....
 * - the metallb_config dictionary of kubespray v2.22 and later (templates/pools.yaml.j2,
 *   layer2.yaml.j2, layer3.yaml.j2; docs/ingress/metallb.md): address_pools, layer2 (pool names
 *   announced by ARP/NDP), layer3 (defaults, communities, metallb_peers, each peer naming its pools).
 *
 * When both forms define pools or peers the input is refused: which one kubespray applies depends
 * on its version (v2.22 reads only metallb_config), and guessing wrong would silently announce
 * different addresses. Deviations from kubespray's rendering, where its templates contradict its
 * documentation, are noted where they happen (kubespray-metallb-config.ts, layer3Advertisements).
 *
 * Values may be a whole-value Jinja reference ("{{ metallb_ip_range }}", as the kubespray docs
 * show for calico_advertise_service_loadbalancer_ips); those are resolved. Other Jinja is refused.
 */
import type { Checker, Dict } from './checker.js';
import { describe } from './checker.js';
import { checkAddressRanges, checkObjectName } from './fields.js';
import type { Located } from './fields.js';
import { parseFlat } from './kubespray-flat.js';
import { parseMetallbConfig } from './kubespray-metallb-config.js';
import { Vars } from './kubespray-vars.js';
import type { Body } from './kubespray-vars.js';
import type { AddressRange, Toleration } from './model.js';
import { parseLabels } from './selectors.js';
import type { DraftConfig } from './validate.js';

/** The flat variables that define pools and peers (kubespray up to v2.21). */
const FLAT_DEFINITIONS = ['metallb_ip_range', 'metallb_additional_address_pools', 'metallb_peers'];
const FLAT_POOL_SETTINGS = ['metallb_pool_name', 'metallb_protocol', 'metallb_auto_assign', 'metallb_avoid_buggy_ips'];
const GENERAL = ['metallb_enabled', 'metallb_speaker_enabled', 'metallb_controller_tolerations', 'metallb_namespace', 'metallb_loadbalancer_class', 'metallb_config'];
/** How kubespray deploys MetalLB's pods and images: valid here, and of no effect on the model. */
const DEPLOYMENT_ONLY = [
  'metallb_log_level',
  'metallb_port',
  'metallb_memberlist_port',
  'metallb_speaker_nodeselector',
  'metallb_controller_nodeselector',
  'metallb_speaker_tolerations',
  'metallb_version',
  'metallb_image_tag',
  'metallb_speaker_image_repo',
  'metallb_controller_image_repo',
  'metallb_speaker_digest_checksum',
  'metallb_controller_digest_checksum',
];
const KNOWN_METALLB = [...FLAT_DEFINITIONS, ...FLAT_POOL_SETTINGS, ...GENERAL, ...DEPLOYMENT_ONLY];

/** Whether a mapping looks like kubespray variables: it sets at least one metallb_* variable. */
export function isKubesprayVars(document: unknown): boolean {
  return document !== null && typeof document === 'object' && !Array.isArray(document) && Object.keys(document).some((key) => key.startsWith('metallb_'));
}

export function parseKubespray(check: Checker, document: Dict): DraftConfig | undefined {
  const vars = new Vars(check, document);
  for (const key of Object.keys(document)) {
    if (key === 'matallb_auto_assign') check.fail(key, "is kubespray's deprecated misspelling; use metallb_auto_assign (kubespray refuses it too)");
    else if (key.startsWith('metallb_') && !KNOWN_METALLB.includes(key)) {
      const near = KNOWN_METALLB.find((known) => editDistance(known, key) <= 2);
      check.fail(key, `unknown MetalLB variable${near === undefined ? ` (known: ${KNOWN_METALLB.join(', ')})` : `; did you mean ${near}?`}`);
    }
  }

  const enabled = check.boolean(vars.get('metallb_enabled'), 'metallb_enabled');
  const speakerEnabled = check.boolean(vars.get('metallb_speaker_enabled'), 'metallb_speaker_enabled');
  if (enabled === false) {
    check.warn('metallb_enabled is not true: kubespray would not install MetalLB at all');
  }

  const metallbConfigRaw = vars.get('metallb_config');
  const metallbConfig =
    metallbConfigRaw === undefined || metallbConfigRaw === null
      ? undefined
      : check.object(metallbConfigRaw, 'metallb_config', ['address_pools', 'layer2', 'layer3', 'speaker', 'controller']);
  const newForm = metallbConfig !== undefined && ['address_pools', 'layer2', 'layer3'].some((k) => metallbConfig[k] !== undefined);
  const flatGiven = FLAT_DEFINITIONS.filter((name) => vars.has(name));

  let body: Body | undefined;
  if (newForm && flatGiven.length > 0) {
    check.fail(
      'metallb_config',
      `both metallb_config and the flat variables (${flatGiven.join(', ')}) define pools or peers: kubespray up to v2.21 applies ` +
        'only the flat ones and v2.22 and later only metallb_config; keep the one your kubespray version reads',
    );
  } else if (newForm && metallbConfig !== undefined) {
    const ignored = FLAT_POOL_SETTINGS.filter((name) => vars.has(name));
    if (ignored.length > 0) check.warn(`${ignored.join(', ')} ignored: with metallb_config, pools are defined in metallb_config.address_pools`);
    body = parseMetallbConfig(check, vars, metallbConfig);
  } else if (flatGiven.length > 0) {
    body = parseFlat(check, vars, speakerEnabled ?? false);
  } else {
    check.fail('', 'no address pool: set metallb_ip_range (kubespray up to v2.21) or metallb_config.address_pools (v2.22 and later)');
  }

  const controllerTolerations = parseControllerTolerations(check, vars, metallbConfig);
  if (metallbConfig?.['speaker'] !== undefined) checkPodPlacement(check, metallbConfig['speaker'], 'metallb_config.speaker');

  const namespace = checkObjectName(check, vars.get('metallb_namespace'), 'metallb_namespace');
  const lbClass = vars.get('metallb_loadbalancer_class');
  const loadBalancerClass = lbClass === '' ? undefined : check.string(lbClass, 'metallb_loadbalancer_class');
  const strictArp = check.boolean(vars.get('kube_proxy_strict_arp'), 'kube_proxy_strict_arp');
  const proxyMode = check.string(vars.get('kube_proxy_mode'), 'kube_proxy_mode');
  const proxyRemoved = check.boolean(vars.get('kube_proxy_remove'), 'kube_proxy_remove');
  const calico = parseCalicoRanges(check, vars);

  if (body === undefined || speakerEnabled === undefined || namespace === undefined) return undefined;
  return {
    source: body.source,
    namespace,
    pools: body.pools,
    peers: body.peers,
    bgpAdvertisements: body.bgpAdvertisements,
    l2Advertisements: body.l2Advertisements,
    communityAliases: body.communityAliases,
    speakerEnabled,
    ...(strictArp === undefined ? {} : { strictArp }),
    // Without kube-proxy there is no IPVS to worry about (kubespray skips its check then too).
    ...(proxyMode === undefined ? {} : { kubeProxyMode: proxyRemoved === true ? 'none' : proxyMode }),
    ...(calico === undefined ? {} : { calicoAdvertisedRanges: calico }),
    ...(loadBalancerClass === undefined ? {} : { loadBalancerClass }),
    controllerTolerations,
  };
}

/**
 * calico_advertise_service_loadbalancer_ips: the CIDRs Calico announces (Calico's
 * BGPConfiguration serviceLoadBalancerIPs, which takes CIDRs only). kubespray's default is [].
 */
function parseCalicoRanges(check: Checker, vars: Vars): Located<readonly Located<AddressRange>[]> | undefined {
  const path = 'calico_advertise_service_loadbalancer_ips';
  if (!vars.has(path)) return undefined;
  const value = vars.get(path);
  if (value === undefined) return undefined;
  const list = check.list(value, path);
  if (list === undefined) return undefined;
  const ranges = list.length === 0 ? [] : checkAddressRanges(check, list, path, 'Calico');
  ranges.forEach((range) => {
    if (range.value.text.includes('-')) check.fail(range.path, `must be a CIDR: Calico's serviceLoadBalancerIPs takes CIDRs, not ranges`);
  });
  return { value: ranges, path };
}

function parseControllerTolerations(check: Checker, vars: Vars, metallbConfig: Dict | undefined): Toleration[] {
  const nested = metallbConfig?.['controller'];
  if (nested !== undefined) {
    if (vars.has('metallb_controller_tolerations')) {
      check.warn('metallb_controller_tolerations ignored: metallb_config.controller is set, and kubespray v2.22 and later read only that');
    }
    return checkPodPlacement(check, nested, 'metallb_config.controller');
  }
  return parseTolerations(check, vars.get('metallb_controller_tolerations'), 'metallb_controller_tolerations');
}

/** metallb_config.speaker / .controller: { nodeselector, tolerations }. */
function checkPodPlacement(check: Checker, value: unknown, path: string): Toleration[] {
  const raw = check.object(value, path, ['nodeselector', 'tolerations']);
  if (raw === undefined) return [];
  if (raw['nodeselector'] !== undefined) parseLabels(check, raw['nodeselector'], `${path}.nodeselector`);
  return parseTolerations(check, raw['tolerations'], `${path}.tolerations`);
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

function parseTolerations(check: Checker, value: unknown, path: string): Toleration[] {
  const list = value === undefined || value === null ? [] : (check.list(value, path) ?? []);
  const out: Toleration[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const raw = check.object(item, itemPath, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    if (raw === undefined) return;
    const mark = check.problems.length;
    const operator = raw['operator'] === undefined ? 'Equal' : raw['operator'];
    if (operator !== 'Equal' && operator !== 'Exists') check.fail(`${itemPath}.operator`, `must be Equal or Exists, got ${describe(operator)}`);
    const key = raw['key'] === undefined || raw['key'] === '' ? undefined : check.string(raw['key'], `${itemPath}.key`);
    const tolerationValue = raw['value'] === undefined ? undefined : typeof raw['value'] === 'string' ? raw['value'] : check.fail(`${itemPath}.value`, `must be a string, got ${describe(raw['value'])}`);
    if (operator === 'Exists' && tolerationValue !== undefined && tolerationValue !== '') check.fail(`${itemPath}.value`, 'must be empty when the operator is Exists');
    if (key === undefined && operator !== 'Exists') check.fail(`${itemPath}.key`, 'may be empty only with the operator Exists');
    const effect = raw['effect'] === undefined || raw['effect'] === '' ? undefined : raw['effect'];
    if (effect !== undefined && !(EFFECTS as readonly unknown[]).includes(effect)) check.fail(`${itemPath}.effect`, `must be one of ${EFFECTS.join(', ')}, got ${describe(effect)}`);
    const seconds = raw['tolerationSeconds'] === undefined ? undefined : check.integer(raw['tolerationSeconds'], `${itemPath}.tolerationSeconds`, 0, Number.MAX_SAFE_INTEGER);
    if (check.failedSince(mark)) return;
    out.push({
      operator: operator as Toleration['operator'],
      ...(key === undefined ? {} : { key }),
      ...(tolerationValue === undefined ? {} : { value: tolerationValue }),
      ...(effect === undefined ? {} : { effect: effect as Toleration['effect'] & string }),
      ...(seconds === undefined ? {} : { tolerationSeconds: seconds }),
    });
  });
  return out;
}

/** Levenshtein distance, for "did you mean" on misspelt variable names (short strings only). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

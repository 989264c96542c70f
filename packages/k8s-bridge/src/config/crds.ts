/**
 * MetalLB's own objects (from YAML files or read from the cluster) to a draft of the model.
 *
 * Kinds and fields as MetalLB defines them (metallb/metallb, API types at commit 7938d3f8):
 *   IPAddressPool    metallb.io/v1beta1  api/v1beta1/ipaddresspool_types.go
 *   BGPPeer          metallb.io/v1beta1  api/v1beta1/bgppeer_types.go (converted as bgppeer_conversion.go does)
 *                    metallb.io/v1beta2  api/v1beta2/bgppeer_types.go
 *   BGPAdvertisement metallb.io/v1beta1  api/v1beta1/bgpadvertisement_types.go
 *   L2Advertisement  metallb.io/v1beta1  api/v1beta1/l2advertisement_types.go
 *   Community        metallb.io/v1beta1  api/v1beta1/community_types.go
 * Anything else of metallb.io (BFDProfile, the removed AddressPool...) and every field we do not
 * implement yet (bfdProfile, vrf, dynamicASN...) is reported by name rather than ignored: a
 * session without its BFD profile is not the session the operator asked for. Objects of other
 * API groups are errors naming the document.
 */
import type { Checker, Dict } from './checker.js';
import { describe, join } from './checker.js';
import { parseCommunityValue } from './communities.js';
import {
  checkAddress,
  checkAddressRanges,
  checkAsn,
  checkDuration,
  checkObjectName,
  checkPassword,
  checkRouterId,
  checkTimers,
  DEFAULT_BGP_PORT,
  MAX_PEER_PORT,
} from './fields.js';
import type { Located } from './fields.js';
import type { LabelSelector, Peer, SecretRef, ServiceAllocation } from './model.js';
import { parseLabels, parseSelectorList } from './selectors.js';
import type { DraftBgpAdvertisement, DraftCommunityAlias, DraftConfig, DraftL2Advertisement, DraftPeer, DraftPool } from './validate.js';

export const METALLB_GROUP = 'metallb.io';
export const DEFAULT_NAMESPACE = 'metallb-system';

/** The kinds read, with the versions MetalLB serves them in. */
const SUPPORTED: Readonly<Record<string, readonly string[]>> = {
  IPAddressPool: ['v1beta1'],
  BGPPeer: ['v1beta1', 'v1beta2'],
  BGPAdvertisement: ['v1beta1'],
  L2Advertisement: ['v1beta1'],
  Community: ['v1beta1'],
};

/** metallb.io kinds that are configuration we do not implement yet, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  BFDProfile: 'BFDProfile is not supported yet (no BFD sessions); remove it, and bfdProfile from the BGPPeers that name it',
  AddressPool: 'AddressPool was removed in MetalLB v0.14: use an IPAddressPool with an L2Advertisement or a BGPAdvertisement',
};

/** metallb.io kinds MetalLB writes to report state: not configuration, skipped with a warning. */
const STATUS_KINDS = ['ServiceL2Status', 'ServiceBGPStatus', 'ConfigurationState'];

/** Whether a parsed document is a MetalLB object (apiVersion metallb.io/...). */
export function isMetallbObject(document: unknown): boolean {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return false;
  const apiVersion = (document as Dict)['apiVersion'];
  return typeof apiVersion === 'string' && apiVersion.startsWith(`${METALLB_GROUP}/`);
}

interface ObjectRef {
  readonly path: string;
  readonly kind: string;
  readonly version: string;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly spec: Dict;
}

/**
 * `documents` as YAML gives them (null for empty documents, skipped); a `v1 List` (what
 * `kubectl get -o yaml` prints) is read item by item.
 */
export function parseCrds(check: Checker, documents: readonly unknown[]): DraftConfig | undefined {
  const objects: ObjectRef[] = [];
  documents.forEach((document, index) => {
    if (document === null || document === undefined) return;
    const path = `documents[${index}]`;
    const raw = document as Dict;
    if (raw !== null && typeof raw === 'object' && raw['apiVersion'] === 'v1' && raw['kind'] === 'List') {
      const items = check.list(raw['items'], `${path}.items`) ?? [];
      items.forEach((item, itemIndex) => readObject(check, item, `${path}.items[${itemIndex}]`, objects));
    } else readObject(check, document, path, objects);
  });

  const namespace = commonNamespace(check, objects);
  const pools: DraftPool[] = [];
  const peers: DraftPeer[] = [];
  const bgpAdvertisements: DraftBgpAdvertisement[] = [];
  const l2Advertisements: DraftL2Advertisement[] = [];
  const communityAliases: DraftCommunityAlias[] = [];
  for (const object of objects) {
    switch (object.kind) {
      case 'IPAddressPool':
        pushDefined(pools, parsePool(check, object));
        break;
      case 'BGPPeer':
        pushDefined(peers, parsePeer(check, object));
        break;
      case 'BGPAdvertisement':
        pushDefined(bgpAdvertisements, parseBgpAdvertisement(check, object));
        break;
      case 'L2Advertisement':
        pushDefined(l2Advertisements, parseL2Advertisement(check, object));
        break;
      case 'Community':
        communityAliases.push(...parseCommunity(check, object));
        break;
      default:
        throw new Error(`unhandled kind ${object.kind}`);
    }
  }
  if (objects.length === 0 && check.problems.length === 0) check.fail('', 'no MetalLB objects found');
  if (check.problems.length > 0) return undefined;
  return {
    source: 'crds',
    namespace: namespace ?? DEFAULT_NAMESPACE,
    pools,
    peers,
    bgpAdvertisements,
    l2Advertisements,
    communityAliases,
    speakerEnabled: true,
    controllerTolerations: [],
  };
}

function pushDefined<T>(list: T[], item: T | undefined): void {
  if (item !== undefined) list.push(item);
}

function readObject(check: Checker, document: unknown, path: string, out: ObjectRef[]): void {
  const raw = check.object(document, path);
  if (raw === undefined) return;
  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    check.fail(path, `is not a Kubernetes object: apiVersion and kind are required (got apiVersion ${describe(apiVersion)}, kind ${describe(kind)})`);
    return;
  }
  const metadataRaw = raw['metadata'];
  const nameText = metadataRaw !== null && typeof metadataRaw === 'object' ? (metadataRaw as Dict)['name'] : undefined;
  const label = `${path}(${kind}${typeof nameText === 'string' ? `/${nameText}` : ''})`;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (group !== METALLB_GROUP) {
    check.fail(label, `is not a MetalLB object (apiVersion ${apiVersion}): only ${METALLB_GROUP} objects are read here`);
    return;
  }
  if (STATUS_KINDS.includes(kind)) {
    check.warn(`${label}: ${kind} is status MetalLB writes, not configuration; skipped`);
    return;
  }
  const unsupported = UNSUPPORTED[kind];
  if (unsupported !== undefined) {
    check.fail(label, unsupported);
    return;
  }
  const versions = SUPPORTED[kind];
  if (versions === undefined) {
    check.fail(label, `${METALLB_GROUP} kind ${kind} is not supported (supported: ${Object.keys(SUPPORTED).join(', ')})`);
    return;
  }
  if (!versions.includes(version as string)) {
    check.fail(`${label}.apiVersion`, `${kind} is served as ${versions.map((v) => `${METALLB_GROUP}/${v}`).join(' and ')}, not ${apiVersion}`);
    return;
  }
  for (const key of Object.keys(raw)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) check.fail(join(label, key), 'unknown key (allowed: apiVersion, kind, metadata, spec, status)');
  }
  // Objects read back from the cluster carry uid, resourceVersion, annotations...: only these matter.
  const metadata = check.object(metadataRaw, `${label}.metadata`);
  if (metadata === undefined) return;
  const name = metadata['name'] === undefined ? check.fail(`${label}.metadata.name`, 'is required') : checkObjectName(check, metadata['name'], `${label}.metadata.name`);
  const namespace = metadata['namespace'] === undefined ? undefined : checkObjectName(check, metadata['namespace'], `${label}.metadata.namespace`);
  const labels = metadata['labels'] === undefined || metadata['labels'] === null ? {} : parseLabels(check, metadata['labels'], `${label}.metadata.labels`);
  const spec = raw['spec'] === undefined || raw['spec'] === null ? {} : check.object(raw['spec'], `${label}.spec`);
  if (name === undefined || labels === undefined || spec === undefined) return;
  out.push({ path: label, kind, version: version as string, name, ...(namespace === undefined ? {} : { namespace }), labels, spec });
}

/** MetalLB reads its objects from its own namespace only: one file, one namespace. */
function commonNamespace(check: Checker, objects: readonly ObjectRef[]): string | undefined {
  let first: ObjectRef | undefined;
  for (const object of objects) {
    if (object.namespace === undefined) continue;
    if (first === undefined) first = object;
    else if (object.namespace !== first.namespace) {
      check.fail(
        `${object.path}.metadata.namespace`,
        `is ${object.namespace}, but ${first.path} is in ${first.namespace as string}: MetalLB reads its objects from its own namespace only`,
      );
    }
  }
  return first?.namespace;
}

/** A spec field given with a value that asks for something we do not implement. */
function unsupportedField(check: Checker, spec: Dict, path: string, field: string, what: string): void {
  const value = spec[field];
  if (value === undefined || value === null || value === false || value === '' || value === 0 || (Array.isArray(value) && value.length === 0)) return;
  check.fail(join(path, field), `is not supported yet (${what})`);
}

function parsePool(check: Checker, object: ObjectRef): DraftPool | undefined {
  const path = `${object.path}.spec`;
  const spec = check.object(object.spec, path, ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation']);
  if (spec === undefined) return undefined;
  const mark = check.problems.length;
  const addresses = checkAddressRanges(check, spec['addresses'], `${path}.addresses`, `pool ${JSON.stringify(object.name)}`);
  const autoAssign = spec['autoAssign'] === undefined ? true : check.boolean(spec['autoAssign'], `${path}.autoAssign`);
  const avoidBuggyIps = spec['avoidBuggyIPs'] === undefined ? false : check.boolean(spec['avoidBuggyIPs'], `${path}.avoidBuggyIPs`);
  const serviceAllocation = spec['serviceAllocation'] === undefined ? undefined : parseServiceAllocation(check, spec['serviceAllocation'], `${path}.serviceAllocation`);
  if (check.failedSince(mark)) return undefined;
  return {
    name: object.name,
    namePath: `${object.path}.metadata.name`,
    addresses,
    autoAssign: autoAssign as boolean,
    avoidBuggyIps: avoidBuggyIps as boolean,
    labels: object.labels,
    ...(serviceAllocation === undefined ? {} : { serviceAllocation }),
  };
}

function parseServiceAllocation(check: Checker, value: unknown, path: string): ServiceAllocation | undefined {
  const raw = check.object(value, path, ['priority', 'namespaces', 'namespaceSelectors', 'serviceSelectors']);
  if (raw === undefined) return undefined;
  const priority = raw['priority'] === undefined ? undefined : check.integer(raw['priority'], `${path}.priority`, -2147483648, 2147483647);
  const namespaces = check.stringList(raw['namespaces'], `${path}.namespaces`);
  const namespaceSelectors = parseSelectorList(check, raw['namespaceSelectors'], `${path}.namespaceSelectors`);
  const serviceSelectors = parseSelectorList(check, raw['serviceSelectors'], `${path}.serviceSelectors`);
  return {
    // MetalLB's field is `int, omitempty`: 0 is the same as not set.
    ...(priority === undefined || priority === 0 ? {} : { priority }),
    namespaces,
    namespaceSelectors,
    serviceSelectors,
  };
}

const PEER_KEYS_V1BETA1 = [
  'myASN',
  'peerASN',
  'peerAddress',
  'sourceAddress',
  'peerPort',
  'holdTime',
  'keepaliveTime',
  'routerID',
  'nodeSelectors',
  'password',
  'bfdProfile',
  'ebgpMultiHop',
];
const PEER_KEYS_V1BETA2 = [
  ...PEER_KEYS_V1BETA1,
  'localASN',
  'dynamicASN',
  'interface',
  'connectTime',
  'passwordSecret',
  'enableGracefulRestart',
  'vrf',
  'disableMP',
  'dualStackAddressFamily',
];

function parsePeer(check: Checker, object: ObjectRef): DraftPeer | undefined {
  const path = `${object.path}.spec`;
  const v2 = object.version === 'v1beta2';
  const spec = check.object(object.spec, path, v2 ? PEER_KEYS_V1BETA2 : PEER_KEYS_V1BETA1);
  if (spec === undefined) return undefined;
  const mark = check.problems.length;

  unsupportedField(check, spec, path, 'bfdProfile', 'BFD; remove it to peer without BFD');
  unsupportedField(check, spec, path, 'localASN', "MetalLB's native mode does not support it either");
  unsupportedField(check, spec, path, 'dynamicASN', 'give peerASN');
  unsupportedField(check, spec, path, 'interface', 'unnumbered BGP; give peerAddress');
  unsupportedField(check, spec, path, 'vrf', 'peering from a host VRF');
  unsupportedField(check, spec, path, 'enableGracefulRestart', 'graceful restart of MetalLB sessions');
  unsupportedField(check, spec, path, 'disableMP', 'deprecated in MetalLB in favour of dualStackAddressFamily');

  const myAsn = checkAsn(check, spec['myASN'], `${path}.myASN`);
  // v1beta2 makes peerASN optional only for dynamicASN, which is refused above.
  const asn = checkAsn(check, spec['peerASN'], `${path}.peerASN`);
  const address = spec['interface'] !== undefined && spec['peerAddress'] === undefined ? undefined : checkAddress(check, spec['peerAddress'], `${path}.peerAddress`);
  const sourceAddress = spec['sourceAddress'] === undefined || spec['sourceAddress'] === '' ? undefined : checkAddress(check, spec['sourceAddress'], `${path}.sourceAddress`);
  if (address !== undefined && sourceAddress !== undefined && address.includes(':') !== sourceAddress.includes(':')) {
    check.fail(`${path}.sourceAddress`, `must be of the same address family as the peer address ${address}`);
  }
  // v1beta1 allows 0, meaning the default.
  const port =
    spec['peerPort'] === undefined || (!v2 && spec['peerPort'] === 0)
      ? DEFAULT_BGP_PORT
      : check.integer(spec['peerPort'], `${path}.peerPort`, 1, MAX_PEER_PORT, " (MetalLB's BGPPeer peerPort)");
  const hold = spec['holdTime'] === undefined ? undefined : { value: checkDuration(check, spec['holdTime'], `${path}.holdTime`), path: `${path}.holdTime` };
  const keepalive =
    spec['keepaliveTime'] === undefined ? undefined : { value: checkDuration(check, spec['keepaliveTime'], `${path}.keepaliveTime`), path: `${path}.keepaliveTime` };
  const timers = checkTimers(check, hold, keepalive);
  let connectTime: number | undefined;
  if (spec['connectTime'] !== undefined) {
    connectTime = checkDuration(check, spec['connectTime'], `${path}.connectTime`);
    // The CRD's own rule (x-kubernetes-validations on connectTime).
    if (connectTime !== undefined && (connectTime < 1 || connectTime > 65535)) {
      connectTime = check.fail(`${path}.connectTime`, `must be between 1 and 65535 seconds, got ${connectTime} s`);
    }
  }
  const routerId = spec['routerID'] === undefined || spec['routerID'] === '' ? undefined : checkRouterId(check, spec['routerID'], `${path}.routerID`);
  const nodeSelectors = parseSelectorList(check, spec['nodeSelectors'], `${path}.nodeSelectors`);
  const password = spec['password'] === undefined || spec['password'] === '' ? undefined : checkPassword(check, spec['password'], `${path}.password`);
  const passwordSecret = spec['passwordSecret'] === undefined ? undefined : parseSecretRef(check, spec['passwordSecret'], `${path}.passwordSecret`);
  if (spec['password'] !== undefined && spec['password'] !== '' && passwordSecret !== undefined) {
    check.fail(`${path}.passwordSecret`, 'give either password or passwordSecret, not both (MetalLB refuses both too)');
  }
  const ebgpMultiHop = spec['ebgpMultiHop'] === undefined ? false : check.boolean(spec['ebgpMultiHop'], `${path}.ebgpMultiHop`);
  const dualStack = spec['dualStackAddressFamily'] === undefined ? false : check.boolean(spec['dualStackAddressFamily'], `${path}.dualStackAddressFamily`);

  if (check.failedSince(mark) || timers === undefined) return undefined;
  const peer: Peer = {
    name: object.name,
    address: address as string,
    asn: asn as number,
    myAsn: myAsn as number,
    port: port as number,
    ...timers,
    ...(connectTime === undefined ? {} : { connectTime }),
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
    ...(routerId === undefined ? {} : { routerId }),
    ...(password === undefined ? {} : { password }),
    ...(passwordSecret === undefined ? {} : { passwordSecret }),
    nodeSelectors,
    ebgpMultiHop: ebgpMultiHop as boolean,
    dualStackAddressFamily: dualStack as boolean,
  };
  return {
    namePath: `${object.path}.metadata.name`,
    paths: { address: `${path}.peerAddress`, myAsn: `${path}.myASN`, routerId: `${path}.routerID`, ebgpMultiHop: `${path}.ebgpMultiHop` },
    peer,
  };
}

/** core/v1 SecretReference: {name, namespace}; the Secret is read at run time. */
function parseSecretRef(check: Checker, value: unknown, path: string): SecretRef | undefined {
  const raw = check.object(value, path, ['name', 'namespace']);
  if (raw === undefined) return undefined;
  // MetalLB treats an empty name as "no secret" (PasswordSecret.Name != "").
  if (raw['name'] === undefined || raw['name'] === '') return undefined;
  const name = checkObjectName(check, raw['name'], `${path}.name`);
  const namespace = raw['namespace'] === undefined || raw['namespace'] === '' ? undefined : checkObjectName(check, raw['namespace'], `${path}.namespace`);
  if (name === undefined) return undefined;
  return { name, ...(namespace === undefined ? {} : { namespace }) };
}

function locatedNames(check: Checker, value: unknown, path: string): Located<string>[] {
  return check.stringList(value, path).map((name, index) => ({ value: name, path: `${path}[${index}]` }));
}

function parseBgpAdvertisement(check: Checker, object: ObjectRef): DraftBgpAdvertisement | undefined {
  const path = `${object.path}.spec`;
  const spec = check.object(object.spec, path, [
    'aggregationLength',
    'aggregationLengthV6',
    'localPref',
    'communities',
    'ipAddressPools',
    'ipAddressPoolSelectors',
    'nodeSelectors',
    'peers',
    'serviceSelectors',
  ]);
  if (spec === undefined) return undefined;
  const mark = check.problems.length;
  const aggregationLength = spec['aggregationLength'] === undefined ? 32 : check.integer(spec['aggregationLength'], `${path}.aggregationLength`, 1, 32);
  const aggregationLengthV6 = spec['aggregationLengthV6'] === undefined ? 128 : check.integer(spec['aggregationLengthV6'], `${path}.aggregationLengthV6`, 0, 128);
  const localPref = spec['localPref'] === undefined ? undefined : check.integer(spec['localPref'], `${path}.localPref`, 0, 0xffffffff);
  const communities = locatedNames(check, spec['communities'], `${path}.communities`);
  const poolNames = locatedNames(check, spec['ipAddressPools'], `${path}.ipAddressPools`);
  const poolSelectors: LabelSelector[] = parseSelectorList(check, spec['ipAddressPoolSelectors'], `${path}.ipAddressPoolSelectors`);
  const nodeSelectors = parseSelectorList(check, spec['nodeSelectors'], `${path}.nodeSelectors`);
  const peers = locatedNames(check, spec['peers'], `${path}.peers`);
  const serviceSelectors = parseSelectorList(check, spec['serviceSelectors'], `${path}.serviceSelectors`);
  if (check.failedSince(mark)) return undefined;
  return {
    name: object.name,
    namePath: `${object.path}.metadata.name`,
    poolNames,
    poolSelectors,
    aggregationLength: { value: aggregationLength as number, path: `${path}.aggregationLength` },
    aggregationLengthV6: { value: aggregationLengthV6 as number, path: `${path}.aggregationLengthV6` },
    // MetalLB's field is `uint32, omitempty`: 0 is the same as not set.
    ...(localPref === undefined || localPref === 0 ? {} : { localPref: { value: localPref, path: `${path}.localPref` } }),
    communities,
    peers,
    nodeSelectors,
    serviceSelectors: { value: serviceSelectors, path: `${path}.serviceSelectors` },
  };
}

function parseL2Advertisement(check: Checker, object: ObjectRef): DraftL2Advertisement | undefined {
  const path = `${object.path}.spec`;
  const spec = check.object(object.spec, path, ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces', 'serviceSelectors', 'preferredNodeSelectors']);
  if (spec === undefined) return undefined;
  const mark = check.problems.length;
  unsupportedField(check, spec, path, 'preferredNodeSelectors', 'weighted announcer preference');
  const poolNames = locatedNames(check, spec['ipAddressPools'], `${path}.ipAddressPools`);
  const poolSelectors = parseSelectorList(check, spec['ipAddressPoolSelectors'], `${path}.ipAddressPoolSelectors`);
  const nodeSelectors = parseSelectorList(check, spec['nodeSelectors'], `${path}.nodeSelectors`);
  const interfaces = check.stringList(spec['interfaces'], `${path}.interfaces`);
  const serviceSelectors = parseSelectorList(check, spec['serviceSelectors'], `${path}.serviceSelectors`);
  if (check.failedSince(mark)) return undefined;
  return { name: object.name, namePath: `${object.path}.metadata.name`, poolNames, poolSelectors, interfaces, nodeSelectors, serviceSelectors };
}

function parseCommunity(check: Checker, object: ObjectRef): DraftCommunityAlias[] {
  const path = `${object.path}.spec`;
  const spec = check.object(object.spec, path, ['communities']);
  if (spec === undefined) return [];
  const list = spec['communities'] === undefined ? [] : (check.list(spec['communities'], `${path}.communities`) ?? []);
  const out: DraftCommunityAlias[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}.communities[${index}]`;
    const raw = check.object(item, itemPath, ['name', 'value']);
    if (raw === undefined) return;
    const name = check.string(raw['name'], `${itemPath}.name`);
    const text = check.string(raw['value'], `${itemPath}.value`);
    if (name === undefined || text === undefined) return;
    const parsed = parseCommunityValue(text);
    if ('error' in parsed) check.fail(`${itemPath}.value`, parsed.error);
    else out.push({ name, path: `${itemPath}.name`, value: parsed });
  });
  return out;
}

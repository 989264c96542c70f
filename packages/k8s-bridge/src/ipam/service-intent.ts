/**
 * What a Service asks of the allocator, read the way MetalLB's controller reads it
 * (metallb/metallb controller/service.go: getDesiredLbIPs, SharingKey, valueForAnnotation;
 * internal/allocator/k8salloc/k8salloc.go; internal/k8s/controllers/service_controller.go,
 * filterByLoadBalancerClass). The metallb.io/ annotation wins over its metallb.universe.tf/ twin
 * when both are present.
 */
import { compareAddresses, formatAddress, parseAddress } from './address.js';
import { compare } from './ip-table.js';
import type { Address } from './address.js';
import type { Holder } from './ip-table.js';
import type { IpFamily, ServiceRef, ServiceSpec } from './types.js';

/** [current, deprecated] annotation names. */
export const ANNOTATIONS = {
  addressPool: ['metallb.io/address-pool', 'metallb.universe.tf/address-pool'],
  loadBalancerIPs: ['metallb.io/loadBalancerIPs', 'metallb.universe.tf/loadBalancerIPs'],
  allowSharedIp: ['metallb.io/allow-shared-ip', 'metallb.universe.tf/allow-shared-ip'],
  /** Written by the controller next to status.loadBalancer.ingress: the pool the address came from. */
  ipAllocatedFromPool: ['metallb.io/ip-allocated-from-pool', 'metallb.universe.tf/ip-allocated-from-pool'],
} as const;

export function annotationValue(service: ServiceSpec, names: readonly [string, string]): string | undefined {
  const annotations = service.annotations ?? {};
  for (const name of names) {
    if (Object.hasOwn(annotations, name)) return annotations[name];
  }
  return undefined;
}

export function serviceKey(ref: ServiceRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/**
 * Undefined when the Service is ours; otherwise why not. MetalLB serves type LoadBalancer Services
 * without a loadBalancerClass when started without --lb-class, and only those of exactly its class
 * when started with one.
 */
export function notOursBecause(service: ServiceSpec, loadBalancerClass: string | undefined): string | undefined {
  const type = service.spec.type ?? 'ClusterIP';
  if (type !== 'LoadBalancer') return `type is ${type}, not LoadBalancer`;
  const theirs = service.spec.loadBalancerClass;
  if (theirs === undefined && loadBalancerClass !== undefined) {
    return `it has no loadBalancerClass and this controller serves only class ${JSON.stringify(loadBalancerClass)}`;
  }
  if (theirs !== undefined && theirs !== loadBalancerClass) {
    return `its loadBalancerClass ${JSON.stringify(theirs)} is not ${loadBalancerClass === undefined ? 'served by this controller (no class configured)' : JSON.stringify(loadBalancerClass)}`;
  }
  return undefined;
}

/**
 * The address families the Service needs. SingleStack (the default) wants one address of its family;
 * RequireDualStack one of each; PreferDualStack one of each if a pool can give both, else one. With
 * ipFamilies absent the families come from clusterIPs; with neither, a SingleStack Service takes IPv4
 * if its pool has it, else IPv6 (a dry-run file often leaves these out; the API server always fills them).
 */
export type FamilyRequest =
  | { readonly kind: 'single'; readonly family: IpFamily | undefined }
  | { readonly kind: 'dual'; readonly required: boolean; readonly primary: IpFamily };

export interface ServiceIntent {
  readonly key: string;
  readonly family: FamilyRequest;
  /** Requested addresses (loadBalancerIP or the loadBalancerIPs annotation); empty if none or invalid. */
  readonly requested: readonly Address[];
  /** The address-pool annotation, if set and non-empty. */
  readonly pool: string | undefined;
  readonly holder: Holder;
  /** Set when the request itself is invalid (reason invalid-request). */
  readonly problem: string | undefined;
}

export function readIntent(service: ServiceSpec): ServiceIntent {
  const key = serviceKey(service);
  const family = familyRequest(service);
  const pool = annotationValue(service, ANNOTATIONS.addressPool);
  const holder: Holder = {
    service: key,
    sharingKey: annotationValue(service, ANNOTATIONS.allowSharedIp) ?? '',
    backendKey: backendKey(service),
    ports: portKeys(service),
  };
  const requested = requestedAddresses(service);
  let problem = typeof requested === 'string' ? requested : undefined;
  if (problem === undefined && typeof requested !== 'string' && requested.length > 0) {
    const misfit = familyMisfit(requested, family);
    if (misfit !== undefined) problem = `requested ${requested.map(formatAddress).join(', ')}: ${misfit}`;
  }
  return {
    key,
    family,
    requested: typeof requested === 'string' || problem !== undefined ? [] : requested,
    pool: pool === undefined || pool === '' ? undefined : pool,
    holder,
    problem,
  };
}

function familyRequest(service: ServiceSpec): FamilyRequest {
  const families = declaredFamilies(service);
  const policy = service.spec.ipFamilyPolicy ?? 'SingleStack';
  if (policy === 'RequireDualStack') return { kind: 'dual', required: true, primary: families[0] ?? 'IPv4' };
  // PreferDualStack in a single-stack cluster gets one family in ipFamilies: MetalLB then sees a
  // single-family Service (internal/ipfamily ForService reads the clusterIPs).
  if (policy === 'PreferDualStack' && families.length !== 1) return { kind: 'dual', required: false, primary: families[0] ?? 'IPv4' };
  return { kind: 'single', family: families[0] };
}

function declaredFamilies(service: ServiceSpec): IpFamily[] {
  const declared = service.spec.ipFamilies ?? [];
  if (declared.length > 0) return [...declared];
  const fromClusterIps: IpFamily[] = [];
  for (const text of service.spec.clusterIPs ?? []) {
    const address = parseAddress(text);
    if (address !== undefined && !fromClusterIps.includes(address.family)) fromClusterIps.push(address.family);
  }
  return fromClusterIps;
}

/** MetalLB getDesiredLbIPs: the annotation (comma-separated) or spec.loadBalancerIP, never both. */
function requestedAddresses(service: ServiceSpec): Address[] | string {
  const annotation = annotationValue(service, ANNOTATIONS.loadBalancerIPs) ?? '';
  const field = service.spec.loadBalancerIP ?? '';
  if (annotation !== '' && field !== '') return `a Service can not have both ${ANNOTATIONS.loadBalancerIPs[0]} and spec.loadBalancerIP`;
  if (annotation !== '') {
    const addresses: Address[] = [];
    for (const text of annotation.split(',')) {
      const address = parseAddress(text);
      if (address === undefined) return `invalid address ${JSON.stringify(text.trim())} in ${ANNOTATIONS.loadBalancerIPs[0]}`;
      addresses.push(address);
    }
    return addresses;
  }
  if (field !== '') {
    const address = parseAddress(field);
    return address === undefined ? `invalid spec.loadBalancerIP ${JSON.stringify(field)}` : [address];
  }
  return [];
}

/**
 * Undefined when the addresses suit the Service's families; otherwise what is wrong. Used for
 * requested addresses and for addresses read back from status (MetalLB serviceFamilyChanged: a
 * PreferDualStack Service may hold one family only).
 */
export function familyMisfit(addresses: readonly Address[], family: FamilyRequest): string | undefined {
  const [first, second, ...rest] = addresses;
  if (first === undefined) return 'no address';
  if (rest.length > 0) return 'more than two addresses';
  if (second !== undefined && second.family === first.family) return `two ${first.family} addresses (dual stack needs one IPv4 and one IPv6)`;
  switch (family.kind) {
    case 'single':
      if (second !== undefined) return 'two addresses for a SingleStack Service';
      if (family.family !== undefined && first.family !== family.family) return `an ${first.family} address for an ${family.family} Service`;
      return undefined;
    case 'dual':
      if (family.required && second === undefined) return 'one address for a RequireDualStack Service (needs one IPv4 and one IPv6)';
      return undefined;
    default: {
      const unknown: never = family;
      return `unknown family request ${JSON.stringify(unknown)}`;
    }
  }
}

/** k8salloc.BackendKey, tagged so that a Local Service without a selector still differs from Cluster. */
function backendKey(service: ServiceSpec): string {
  if (service.spec.externalTrafficPolicy !== 'Local') return '';
  const selector = Object.entries(service.spec.selector ?? {})
    .sort(([a], [b]) => compare(a, b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `Local:${selector}`;
}

/** k8salloc.Ports: protocol (default TCP) and port. */
function portKeys(service: ServiceSpec): string[] {
  const keys = new Set((service.spec.ports ?? []).map((p) => `${(p.protocol ?? 'TCP').toUpperCase()}/${p.port}`));
  return [...keys].sort(compare);
}

/** Addresses in status.loadBalancer.ingress (hostname-only entries skipped), and texts that do not parse. */
export function statusAddresses(service: ServiceSpec): { addresses: Address[]; texts: string[]; invalid: string[] } {
  const addresses: Address[] = [];
  const texts: string[] = [];
  const invalid: string[] = [];
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    if (ingress.ip === undefined || ingress.ip === '') continue;
    texts.push(ingress.ip);
    const address = parseAddress(ingress.ip);
    if (address === undefined) invalid.push(ingress.ip);
    else if (!addresses.some((a) => compareAddresses(a, address) === 0)) addresses.push(address);
  }
  return { addresses, texts, invalid };
}

/**
 * The order a batch of Services is processed in: older creationTimestamp first, Services without one
 * after those with one, then namespace, then name (code-unit order). The same set of Services always
 * gives the same order, whatever order the API server lists them in.
 */
export function compareForBatch(a: ServiceSpec, b: ServiceSpec): number {
  const ta = timestampOf(a);
  const tb = timestampOf(b);
  if (ta !== tb) {
    if (ta === undefined) return 1;
    if (tb === undefined) return -1;
    return ta - tb;
  }
  return compare(a.namespace, b.namespace) || compare(a.name, b.name);
}

function timestampOf(service: ServiceSpec): number | undefined {
  if (service.creationTimestamp === undefined) return undefined;
  const ms = Date.parse(service.creationTimestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Builders for tests: a LoadBalancer Service and a pool with MetalLB's defaults. */
import type { IpFamily, IpFamilyPolicy, PoolSpec, ServiceSpec } from '../types.js';

export interface ServiceOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  type?: string;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  ipFamilyPolicy?: IpFamilyPolicy;
  ipFamilies?: IpFamily[];
  ports?: { port: number; protocol?: string }[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  selector?: Record<string, string>;
  /** status.loadBalancer.ingress ips. */
  ingress?: string[];
}

export function lbService(name: string, options: ServiceOptions = {}): ServiceSpec {
  return {
    namespace: options.namespace ?? 'default',
    name,
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
    ...(options.creationTimestamp ? { creationTimestamp: options.creationTimestamp } : {}),
    spec: {
      type: options.type ?? 'LoadBalancer',
      ports: options.ports ?? [{ port: 80, protocol: 'TCP' }],
      selector: options.selector ?? { app: name },
      ...(options.loadBalancerIP !== undefined ? { loadBalancerIP: options.loadBalancerIP } : {}),
      ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
      ...(options.ipFamilyPolicy ? { ipFamilyPolicy: options.ipFamilyPolicy } : {}),
      ...(options.ipFamilies ? { ipFamilies: options.ipFamilies } : {}),
      ...(options.externalTrafficPolicy ? { externalTrafficPolicy: options.externalTrafficPolicy } : {}),
    },
    ...(options.ingress ? { status: { loadBalancer: { ingress: options.ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

/** The Service as the controller would have written it back: status ingress set to the given ips. */
export function withIngress(service: ServiceSpec, ips: readonly string[], pool?: string): ServiceSpec {
  return {
    ...service,
    ...(pool === undefined ? {} : { annotations: { ...(service.annotations ?? {}), 'metallb.io/ip-allocated-from-pool': pool } }),
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  };
}

export function pool(name: string, addresses: string[], extra: Partial<PoolSpec> = {}): PoolSpec {
  return { name, addresses, autoAssign: true, avoidBuggyIps: false, ...extra };
}

/** A deterministic shuffle (mulberry32 + Fisher-Yates), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

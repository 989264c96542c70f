/**
 * What the kubespray parsers share: kubespray's defaults, reading variables as Ansible sees them,
 * and the draft pieces both forms build.
 */
import type { Checker, Dict } from './checker.js';
import { describe } from './checker.js';
import type { Located } from './fields.js';
import type { Protocol } from './model.js';
import type { DraftBgpAdvertisement, DraftCommunityAlias, DraftL2Advertisement, DraftPeer, DraftPool } from './validate.js';

/** kubespray's defaults for the variables read here (roles/kubernetes-apps/metallb/defaults/main.yml). */
export const DEFAULTS: Readonly<Dict> = {
  metallb_enabled: false,
  metallb_speaker_enabled: '{{ metallb_enabled }}',
  metallb_protocol: 'layer2',
  metallb_pool_name: 'loadbalanced',
  metallb_auto_assign: true,
  metallb_avoid_buggy_ips: false,
  metallb_namespace: 'metallb-system',
  metallb_loadbalancer_class: '',
  metallb_controller_tolerations: [],
  // roles/kubespray_defaults/defaults/main/main.yml and roles/kubernetes/control-plane/defaults/main/kube-proxy.yml
  kube_proxy_mode: 'ipvs',
  kube_proxy_strict_arp: false,
  kube_proxy_remove: false,
};

const JINJA_REFERENCE = /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}\s*$/;
const MAX_REFERENCE_DEPTH = 8;

/** Reads variables the way Ansible would see them: defaults filled in, plain references resolved. */
export class Vars {
  constructor(
    private readonly check: Checker,
    private readonly vars: Dict,
  ) {}

  has(name: string): boolean {
    return this.vars[name] !== undefined;
  }

  /** A top-level variable, its kubespray default when unset. */
  get(name: string): unknown {
    return this.resolve(this.vars[name] === undefined ? DEFAULTS[name] : this.vars[name], name, 0);
  }

  /** A value nested in a variable (already read with get), references resolved. */
  value(value: unknown, path: string): unknown {
    return this.resolve(value, path, 0);
  }

  private resolve(value: unknown, path: string, depth: number): unknown {
    if (typeof value !== 'string' || !value.includes('{{')) return value;
    const match = JINJA_REFERENCE.exec(value);
    if (match === null) {
      return this.check.fail(path, `Jinja expressions are not evaluated here; only a whole-value reference such as "{{ metallb_ip_range }}" is resolved`);
    }
    if (depth >= MAX_REFERENCE_DEPTH) return this.check.fail(path, `references nest more than ${MAX_REFERENCE_DEPTH} deep (a loop?)`);
    const [head, ...rest] = (match[1] as string).split('.');
    let target: unknown = this.vars[head as string] === undefined ? DEFAULTS[head as string] : this.vars[head as string];
    for (const key of rest) {
      target = this.resolve(target, path, depth + 1);
      target = target !== null && typeof target === 'object' && !Array.isArray(target) ? (target as Dict)[key] : undefined;
    }
    if (target === undefined) return this.check.fail(path, `refers to ${match[1] as string}, which is not set in this file`);
    return this.resolve(target, path, depth + 1);
  }
}

export interface Body {
  readonly source: 'kubespray' | 'kubespray-metallb-config';
  readonly pools: DraftPool[];
  readonly peers: DraftPeer[];
  readonly bgpAdvertisements: DraftBgpAdvertisement[];
  readonly l2Advertisements: DraftL2Advertisement[];
  readonly communityAliases: DraftCommunityAlias[];
}

export function plainBgpAdvertisement(name: string, path: string, pools: readonly Located<string>[]): DraftBgpAdvertisement {
  return {
    name,
    namePath: path,
    poolNames: pools,
    poolSelectors: [],
    aggregationLength: { value: 32, path },
    aggregationLengthV6: { value: 128, path },
    communities: [],
    peers: [],
    nodeSelectors: [],
    serviceSelectors: { value: [], path },
  };
}

export function plainL2Advertisement(name: string, path: string, pool: Located<string>): DraftL2Advertisement {
  return { name, namePath: path, poolNames: [pool], poolSelectors: [], interfaces: [], nodeSelectors: [], serviceSelectors: [] };
}

export function checkProtocol(check: Checker, value: unknown, path: string): Protocol | undefined {
  if (value !== 'layer2' && value !== 'bgp') return check.fail(path, `must be layer2 or bgp, got ${describe(value)}`);
  return value;
}

export function checkSameFamily(check: Checker, address: string | undefined, source: string | undefined, path: string): void {
  if (address !== undefined && source !== undefined && address.includes(':') !== source.includes(':')) {
    check.fail(path, `must be of the same address family as the peer address ${address}`);
  }
}

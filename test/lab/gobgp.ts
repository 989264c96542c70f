// Driver for GoBGP (gobgpd + the gobgp CLI over its gRPC API).
//
// gobgpd reads a TOML file for the global settings and neighbors; its own
// routes go in through `gobgp global rib add`, which the config file cannot
// hold, so restart() adds them again once the API answers. In a namespace the
// API listens on 127.0.0.1:50051 inside it and the CLI runs in the same one.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseRouter } from './router-base.js';
import { communityValue, formatCommunity, listenAddresses } from './router.js';
import type { AnnounceOptions, Family, LabRoute, NeighborState } from './router.js';

/** apipb.PeerState.SessionState numbers. */
const GOBGP_STATES: readonly NeighborState[] = ['Idle', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

const AFI_SAFI_NAMES: Readonly<Record<Family, string>> = { ipv4: 'ipv4-unicast', ipv6: 'ipv6-unicast' };

/** Path attribute type codes (RFC 4271 section 5, RFC 4760, RFC 8092) as GoBGP's JSON tags them. */
const ATTR = { asPath: 2, nextHop: 3, med: 4, localPref: 5, communities: 8, mpReach: 14, largeCommunities: 32 } as const;

interface GobgpAttrJson {
  readonly type: number;
  readonly as_paths?: readonly { readonly segment_type?: number; readonly asns?: readonly number[] }[];
  readonly nexthop?: string;
  readonly metric?: number;
  readonly value?: unknown;
  readonly communities?: readonly number[];
}

interface GobgpPathJson {
  readonly attrs?: readonly GobgpAttrJson[];
  readonly best?: boolean;
  readonly 'neighbor-ip'?: string;
  readonly 'source-id'?: string;
}

/** TOML basic strings share JSON's escapes for what we write. */
const tomlString = (s: string): string => JSON.stringify(s);

export class GobgpRouter extends BaseRouter {
  readonly kind = 'gobgp' as const;

  /** The API address as host:port. */
  get apiAddress(): string {
    const given = this.options.apiAddress;
    if (given !== undefined) return given;
    if (this.options.runner.ns !== undefined) return '127.0.0.1:50051';
    const first = listenAddresses(this.options)[0];
    if (first === undefined || first.includes(':')) throw new Error('gobgp on the host needs an IPv4 listenAddress or apiAddress');
    return `${first}:50051`;
  }

  protected async writeConfig(dir: string): Promise<void> {
    await writeFile(join(dir, 'gobgpd.toml'), this.renderConfig(), { mode: 0o600 });
  }

  renderConfig(): string {
    const o = this.options;
    const listen = listenAddresses(o);
    const lines: string[] = [
      '[global.config]',
      `  as = ${o.asn}`,
      `  router-id = ${tomlString(o.routerId)}`,
      `  port = ${o.port ?? 179}`,
    ];
    if (listen.length > 0) lines.push(`  local-address-list = [${listen.map(tomlString).join(', ')}]`);
    for (const n of o.neighbors) {
      lines.push('', '[[neighbors]]', '  [neighbors.config]');
      lines.push(`    neighbor-address = ${tomlString(n.address)}`, `    peer-as = ${n.asn}`);
      if (n.password !== undefined) lines.push(`    auth-password = ${tomlString(n.password)}`);
      if (this.disabled.has(n.address)) lines.push('    admin-down = true');
      // idle-hold-time-after-reset defaults to 30 s: GoBGP would sit out a peer's restart.
      lines.push('  [neighbors.timers.config]', '    connect-retry = 1', '    idle-hold-time-after-reset = 1');
      if (n.holdTime !== undefined) {
        lines.push(`    hold-time = ${n.holdTime}`, `    keepalive-interval = ${Math.max(1, Math.floor(n.holdTime / 3))}`);
      }
      const local = n.localAddress ?? listen.find((a) => a.includes(':') === n.address.includes(':'));
      lines.push('  [neighbors.transport.config]');
      if (local !== undefined) lines.push(`    local-address = ${tomlString(local)}`);
      if (n.passive === true) lines.push('    passive-mode = true');
      if (n.port !== undefined) lines.push(`    remote-port = ${n.port}`);
      if (n.multihop === true) lines.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', '    multihop-ttl = 2');
      for (const family of this.familiesOf(n)) {
        lines.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = ${tomlString(AFI_SAFI_NAMES[family])}`);
      }
    }
    lines.push('');
    return lines.join('\n');
  }

  protected command(dir: string): { cmd: string; args: string[] } {
    return {
      cmd: 'gobgpd',
      args: ['-f', join(dir, 'gobgpd.toml'), '--api-hosts', this.apiAddress, '--pprof-disable'],
    };
  }

  /** Runs the gobgp CLI against this instance (inside its namespace). */
  async cli(...args: string[]): Promise<string> {
    const [host, port] = splitHostPort(this.apiAddress);
    const out = await this.options.runner.exec('gobgp', ['-u', host, '-p', port, ...args], { timeoutMs: 20_000 });
    return out.stdout;
  }

  protected async ready(): Promise<boolean> {
    const out = await this.cli('-j', 'neighbor');
    return out.trim().startsWith('[') || out.trim() === 'null';
  }

  /** The config file cannot hold routes: add them once the API is up. */
  protected override async afterReady(): Promise<void> {
    for (const [prefix, attrs] of this.announced) await this.applyAnnounce(prefix, attrs);
  }

  async version(): Promise<string> {
    const out = await this.options.runner.exec('gobgpd', ['--version']);
    return /version\s+(\S+)/.exec(out.stdout)?.[1] ?? 'unknown';
  }

  protected async queryNeighborState(peer: string): Promise<NeighborState> {
    const json = JSON.parse(await this.cli('-j', 'neighbor')) as
      | readonly { state?: { neighbor_address?: string; session_state?: number | string } }[]
      | null;
    const entry = (json ?? []).find((p) => p.state?.neighbor_address === peer);
    const state = entry?.state?.session_state;
    if (typeof state === 'number') return GOBGP_STATES[state] ?? 'Idle';
    if (typeof state === 'string') {
      const byName = GOBGP_STATES.find((s) => s.toUpperCase() === state.replace(/^SESSION_STATE_/, '').toUpperCase());
      return byName ?? 'Idle';
    }
    return 'Idle';
  }

  protected async queryRoutes(family: Family): Promise<LabRoute[]> {
    const out = (await this.cli('-j', 'global', 'rib', '-a', family)).trim();
    if (out === '' || out === 'null') return [];
    const table = JSON.parse(out) as Record<string, readonly GobgpPathJson[]>;
    const routes: LabRoute[] = [];
    for (const [prefix, paths] of Object.entries(table)) for (const p of paths) routes.push(normaliseGobgpPath(prefix, p));
    return routes;
  }

  protected async applyAnnounce(prefix: string, attrs: AnnounceOptions): Promise<void> {
    const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const args = ['global', 'rib', 'add', '-a', family, prefix];
    if (attrs.nextHop !== undefined) args.push('nexthop', attrs.nextHop);
    if ((attrs.communities?.length ?? 0) > 0) {
      const values = (attrs.communities ?? []).map((c) => {
        const v = communityValue(c);
        return `${Math.floor(v / 0x10000)}:${v & 0xffff}`;
      });
      args.push('community', values.join(','));
    }
    if ((attrs.largeCommunities?.length ?? 0) > 0) args.push('large-community', (attrs.largeCommunities ?? []).join(','));
    if (attrs.med !== undefined) args.push('med', String(attrs.med));
    await this.cli(...args);
  }

  protected async applyWithdraw(prefix: string): Promise<void> {
    await this.cli('global', 'rib', 'del', '-a', prefix.includes(':') ? 'ipv6' : 'ipv4', prefix);
  }

  /**
   * Cease / Administrative Shutdown. GoBGP 3.10's `disable` ignores --reason;
   * the (deprecated) `shutdown` sends it as the RFC 9003 message.
   */
  protected async applyDisable(peer: string, message: string | undefined): Promise<void> {
    if (message === undefined) await this.cli('neighbor', peer, 'disable');
    else await this.cli('neighbor', peer, 'shutdown', '--reason', message);
  }

  protected async applyEnable(peer: string): Promise<void> {
    await this.cli('neighbor', peer, 'enable');
  }
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), address.slice(i + 1)];
}

export function normaliseGobgpPath(prefix: string, path: GobgpPathJson): LabRoute {
  let asPath: number[] = [];
  let nextHop = '';
  let med: number | undefined;
  let localPref: number | undefined;
  let communities: string[] = [];
  let largeCommunities: string[] = [];
  for (const a of path.attrs ?? []) {
    switch (a.type) {
      case ATTR.asPath:
        asPath = (a.as_paths ?? []).flatMap((s) => [...(s.asns ?? [])]);
        break;
      case ATTR.nextHop:
      case ATTR.mpReach:
        nextHop = a.nexthop ?? nextHop;
        break;
      case ATTR.med:
        med = a.metric;
        break;
      case ATTR.localPref:
        localPref = typeof a.value === 'number' ? a.value : undefined;
        break;
      case ATTR.communities:
        communities = (a.communities ?? []).map(formatCommunity);
        break;
      case ATTR.largeCommunities:
        largeCommunities = ((a.value ?? []) as readonly { ASN: number; LocalData1: number; LocalData2: number }[]).map(
          (l) => `${l.ASN}:${l.LocalData1}:${l.LocalData2}`,
        );
        break;
      default:
        break;
    }
  }
  const neighbor = path['neighbor-ip'];
  const local = neighbor === undefined || neighbor === '<nil>' || neighbor === '' || neighbor === '0.0.0.0' || neighbor === '::';
  return {
    prefix,
    nextHop,
    asPath,
    communities,
    largeCommunities,
    ...(med === undefined ? {} : { med }),
    ...(localPref === undefined ? {} : { localPref }),
    ...(local ? {} : { peer: neighbor }),
    best: path.best === true,
  };
}

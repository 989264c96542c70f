// Driver for FRR's bgpd, run alone (no zebra: -Z) in the foreground.
//
// Its folder holds bgpd.conf, the pid file and the vty socket; the folder
// belongs to frr:frr because bgpd drops to that user and exits at start when
// it cannot write its pid file. Queries go through `vtysh --vty_socket DIR`,
// which reaches the socket through the file system (no namespace needed).

import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.js';
import { BaseRouter } from './router-base.js';
import { communityValue, listenAddresses, normaliseCommunity } from './router.js';
import type { AnnounceOptions, Family, LabRoute, NeighborState } from './router.js';

const FRR_STATES: Readonly<Record<string, NeighborState>> = {
  Idle: 'Idle',
  Connect: 'Connect',
  Active: 'Active',
  OpenSent: 'OpenSent',
  OpenConfirm: 'OpenConfirm',
  Established: 'Established',
  // FRR's own states after a session ends.
  Clearing: 'Idle',
  Deleted: 'Idle',
};

const AFI_NAMES: Readonly<Record<Family, string>> = { ipv4: 'ipv4 unicast', ipv6: 'ipv6 unicast' };

/** Shape of the parts of `show bgp <afi> unicast <prefix> json` we read (FRR 8.x). */
interface FrrPrefixJson {
  readonly prefix?: string;
  readonly paths?: readonly FrrPathJson[];
}

interface FrrPathJson {
  readonly aspath?: { readonly string?: string; readonly segments?: readonly { readonly list?: readonly number[] }[] };
  readonly community?: { readonly string?: string };
  readonly largeCommunity?: { readonly string?: string };
  readonly med?: number;
  readonly metric?: number;
  readonly localpref?: number;
  readonly locPrf?: number;
  readonly nexthops?: readonly { readonly ip?: string; readonly scope?: string }[];
  readonly peer?: { readonly peerId?: string };
  readonly bestpath?: { readonly overall?: boolean };
  readonly multipath?: boolean;
  readonly sourced?: boolean;
  readonly local?: boolean;
}

async function frrIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'frr'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'frr'])).stdout.trim());
  return { uid, gid };
}

/** Outbound route-map that sets the IPv6 next hop (RouterOptions.ipv6NextHop). */
const NEXT_HOP_MAP = 'MLBT-NH6';

function routeMapName(prefix: string): string {
  return `MLBT-${prefix.replace(/[^0-9a-fA-F]/g, '-')}`;
}

export class FrrRouter extends BaseRouter {
  readonly kind = 'frr' as const;

  protected override async prepareFolder(dir: string): Promise<void> {
    const { uid, gid } = await frrIds();
    await chown(dir, uid, gid);
  }

  protected async writeConfig(dir: string): Promise<void> {
    const file = join(dir, 'bgpd.conf');
    await writeFile(file, this.renderConfig(), { mode: 0o640 });
    const { uid, gid } = await frrIds();
    await chown(file, uid, gid);
  }

  /** The whole bgpd.conf for the current options and announced routes. */
  renderConfig(): string {
    const o = this.options;
    const lines: string[] = ['frr defaults datacenter', `hostname ${o.name ?? 'frr'}`, '!'];
    for (const [prefix, attrs] of this.announced) lines.push(...this.routeMapLines(prefix, attrs), '!');
    if (o.ipv6NextHop !== undefined) {
      lines.push(`route-map ${NEXT_HOP_MAP} permit 10`, ` set ipv6 next-hop global ${o.ipv6NextHop}`, 'exit', '!');
    }
    lines.push(`router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`);
    // Without this FRR's eBGP accepts and sends nothing (RFC 8212 default).
    lines.push(' no bgp ebgp-requires-policy');
    // Our `network` routes have no IGP route behind them (there is no zebra).
    lines.push(' no bgp network import-check');
    lines.push(o.multipath === true ? ' bgp bestpath as-path multipath-relax' : ' no bgp bestpath as-path multipath-relax');
    for (const n of o.neighbors) {
      lines.push(` neighbor ${n.address} remote-as ${n.asn}`);
      if (n.password !== undefined) lines.push(` neighbor ${n.address} password ${n.password}`);
      lines.push(` neighbor ${n.address} timers connect 1`);
      if (n.port !== undefined) lines.push(` neighbor ${n.address} port ${n.port}`);
      if (n.holdTime !== undefined) {
        lines.push(` neighbor ${n.address} timers ${Math.max(1, Math.floor(n.holdTime / 3))} ${n.holdTime}`);
      }
      if (n.passive === true) lines.push(` neighbor ${n.address} passive`);
      if (n.multihop === true) lines.push(` neighbor ${n.address} ebgp-multihop 2`);
      // On the host the kernel would pick 127.0.0.1 as source; use our own address.
      const source = n.localAddress ?? listenAddresses(o).find((a) => a.includes(':') === n.address.includes(':'));
      if (source !== undefined) lines.push(` neighbor ${n.address} update-source ${source}`);
      const message = this.disabled.get(n.address);
      if (this.disabled.has(n.address)) {
        lines.push(` neighbor ${n.address} shutdown${message === undefined ? '' : ` message ${message}`}`);
      }
    }
    for (const family of ['ipv4', 'ipv6'] as const) {
      lines.push(` address-family ${AFI_NAMES[family]}`);
      for (const n of o.neighbors) {
        const on = this.families.includes(family) && this.familiesOf(n).includes(family);
        lines.push(`  ${on ? '' : 'no '}neighbor ${n.address} activate`);
        if (on && family === 'ipv6' && o.ipv6NextHop !== undefined) lines.push(`  neighbor ${n.address} route-map ${NEXT_HOP_MAP} out`);
      }
      if (o.multipath === true) lines.push('  maximum-paths 8');
      for (const [prefix, attrs] of this.announcedFor(family)) lines.push(`  ${this.networkLine(prefix, attrs)}`);
      lines.push(' exit-address-family');
    }
    lines.push('!', '');
    return lines.join('\n');
  }

  private hasAttributes(attrs: AnnounceOptions): boolean {
    return (
      attrs.nextHop !== undefined ||
      (attrs.communities?.length ?? 0) > 0 ||
      (attrs.largeCommunities?.length ?? 0) > 0 ||
      attrs.med !== undefined
    );
  }

  private networkLine(prefix: string, attrs: AnnounceOptions): string {
    return `network ${prefix}${this.hasAttributes(attrs) ? ` route-map ${routeMapName(prefix)}` : ''}`;
  }

  private routeMapLines(prefix: string, attrs: AnnounceOptions): string[] {
    if (!this.hasAttributes(attrs)) return [];
    const lines = [`route-map ${routeMapName(prefix)} permit 10`];
    if ((attrs.communities?.length ?? 0) > 0) {
      // Numbers, not names: FRR's names differ from ours (local-AS...).
      const values = (attrs.communities ?? []).map((c) => {
        const v = communityValue(c);
        return `${Math.floor(v / 0x10000)}:${v & 0xffff}`;
      });
      lines.push(` set community ${values.join(' ')}`);
    }
    if ((attrs.largeCommunities?.length ?? 0) > 0) lines.push(` set large-community ${(attrs.largeCommunities ?? []).join(' ')}`);
    if (attrs.med !== undefined) lines.push(` set metric ${attrs.med}`);
    if (attrs.nextHop !== undefined) {
      lines.push(attrs.nextHop.includes(':') ? ` set ipv6 next-hop global ${attrs.nextHop}` : ` set ip next-hop ${attrs.nextHop}`);
    }
    lines.push('exit');
    return lines;
  }

  protected command(dir: string): { cmd: string; args: string[] } {
    const listen = listenAddresses(this.options).flatMap((a) => ['-l', a]);
    return {
      cmd: '/usr/lib/frr/bgpd',
      args: [
        '-Z', // no zebra
        ...listen,
        '-p', String(this.options.port ?? 179),
        '-f', join(dir, 'bgpd.conf'),
        '-i', join(dir, 'bgpd.pid'),
        '--vty_socket', dir,
        '-A', '127.0.0.1',
        '-P', '0', // no telnet vty
        '--log', 'stdout',
      ],
    };
  }

  /** Runs vtysh commands against this instance. */
  async vtysh(...commands: string[]): Promise<string> {
    const args = ['--vty_socket', this.dir, ...commands.flatMap((c) => ['-c', c])];
    const out = await run('vtysh', args, { timeoutMs: 20_000 });
    return out.stdout;
  }

  /** Runs configuration commands (in `configure terminal`). */
  async configure(...commands: string[]): Promise<void> {
    const out = await this.vtysh('configure terminal', ...commands);
    // vtysh prints errors on stdout and still exits 0 for some of them.
    if (/% (Unknown|Invalid|Ambiguous|Command incomplete)/.test(out)) {
      throw this.failure(`configuration refused: ${out.trim()}`);
    }
  }

  protected async ready(): Promise<boolean> {
    const out = await this.vtysh('show bgp summary json');
    return out.trim().startsWith('{');
  }

  async version(): Promise<string> {
    const out = await run('/usr/lib/frr/bgpd', ['--version']);
    return /version\s+(\S+)/.exec(out.stdout)?.[1] ?? 'unknown';
  }

  protected async queryNeighborState(peer: string): Promise<NeighborState> {
    const json = JSON.parse(await this.vtysh(`show bgp neighbors ${peer} json`)) as Record<string, { bgpState?: string }>;
    const state = json[peer]?.bgpState;
    return (state === undefined ? undefined : FRR_STATES[state]) ?? 'Idle';
  }

  protected async queryRoutes(family: Family): Promise<LabRoute[]> {
    const table = JSON.parse(await this.vtysh(`show bgp ${AFI_NAMES[family]} json`)) as {
      routes?: Record<string, unknown>;
    };
    const routes: LabRoute[] = [];
    // The table view lacks communities; the per-prefix view has everything.
    for (const prefix of Object.keys(table.routes ?? {})) {
      const detail = JSON.parse(await this.vtysh(`show bgp ${AFI_NAMES[family]} ${prefix} json`)) as FrrPrefixJson;
      for (const path of detail.paths ?? []) routes.push(normaliseFrrPath(prefix, path));
    }
    return routes;
  }

  protected async applyAnnounce(prefix: string, attrs: AnnounceOptions): Promise<void> {
    await this.configure(
      ...this.routeMapLines(prefix, attrs),
      `router bgp ${this.options.asn}`,
      `address-family ${AFI_NAMES[familyOfPrefix(prefix)]}`,
      this.networkLine(prefix, attrs),
    );
  }

  protected async applyWithdraw(prefix: string): Promise<void> {
    await this.configure(
      `router bgp ${this.options.asn}`,
      `address-family ${AFI_NAMES[familyOfPrefix(prefix)]}`,
      `no network ${prefix}`,
    );
  }

  /** `neighbor X shutdown message TEXT`: Cease / Administrative Shutdown with an RFC 9003 message. */
  protected async applyDisable(peer: string, message: string | undefined): Promise<void> {
    await this.configure(
      `router bgp ${this.options.asn}`,
      `neighbor ${peer} shutdown${message === undefined ? '' : ` message ${message}`}`,
    );
  }

  protected async applyEnable(peer: string): Promise<void> {
    await this.configure(`router bgp ${this.options.asn}`, `no neighbor ${peer} shutdown`);
  }
}

function familyOfPrefix(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

export function normaliseFrrPath(prefix: string, path: FrrPathJson): LabRoute {
  const asPath =
    path.aspath?.segments !== undefined
      ? path.aspath.segments.flatMap((s) => [...(s.list ?? [])])
      : (path.aspath?.string ?? '').split(/[\s{},]+/).filter((x) => /^\d+$/.test(x)).map(Number);
  const communities = (path.community?.string ?? '').split(' ').filter((c) => c.length > 0).map(normaliseCommunity);
  const largeCommunities = (path.largeCommunity?.string ?? '').split(' ').filter((c) => c.length > 0);
  const nextHop = path.nexthops?.find((n) => n.scope !== 'link-local')?.ip ?? path.nexthops?.[0]?.ip ?? '';
  const peerId = path.peer?.peerId;
  const med = path.med ?? path.metric;
  const localPref = path.localpref ?? path.locPrf;
  return {
    prefix,
    nextHop,
    asPath,
    communities,
    largeCommunities,
    ...(med === undefined ? {} : { med }),
    ...(localPref === undefined ? {} : { localPref }),
    ...(peerId === undefined || peerId === '(unspec)' || path.sourced === true || path.local === true ? {} : { peer: peerId }),
    ...(path.bestpath?.overall === undefined ? { best: false } : { best: path.bestpath.overall }),
    ...(path.multipath === true ? { multipath: true } : {}),
  };
}

// Driver for BIRD 2 (bird + birdc over its control socket).
//
// One `protocol bgp peerN` per neighbor, the router's own routes in
// `protocol static statics4` / `statics6` (`s` and `routes` are keywords) and
// their attributes set in the BGP export filter: BIRD sends a MED to an eBGP
// peer only when an export filter set it. Changes rewrite bird.conf and run
// `birdc configure`. BIRD has no JSON output, so `show route all` is parsed.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabNode } from './netns.js';
import { run } from './proc.js';
import { BaseRouter } from './router-base.js';
import { communityValue, listenAddresses, normaliseCommunity } from './router.js';
import type { AnnounceOptions, Family, LabRoute, NeighborOptions, NeighborState } from './router.js';

const BIRD_STATES: Readonly<Record<string, NeighborState>> = {
  Idle: 'Idle',
  Connect: 'Connect',
  Active: 'Active',
  OpenSent: 'OpenSent',
  OpenConfirm: 'OpenConfirm',
  Established: 'Established',
  Close: 'Idle',
  Down: 'Idle',
};

/** RFC 6793 AS_TRANS: how a 4-octet ASN appears to a 2-octet speaker. */
export const AS_TRANS = 23456;

const TABLES: Readonly<Record<Family, string>> = { ipv4: 'master4', ipv6: 'master6' };

/** One route of `birdc show route all`, with every attribute line kept raw. */
export interface BirdRouteText {
  readonly prefix: string;
  /** Protocol the route came from: "peer1", "statics4", ... */
  readonly protocol: string;
  readonly primary: boolean;
  /** "via 192.0.2.2 on eth0", "blackhole", ... */
  readonly gateway: string;
  /** "BGP.as_path" -> "64513 64512", "Type" -> "BGP univ", ... */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Parses `birdc show route all` output (BIRD 2.0). */
export function parseBirdRoutes(text: string): BirdRouteText[] {
  const routes: { prefix: string; protocol: string; primary: boolean; gateway: string; attributes: Record<string, string> }[] = [];
  let prefix = '';
  let current: (typeof routes)[number] | undefined;
  // "198.51.100.0/24      unicast [peer1 08:12:04.509] * (100) [AS64512i]"
  // "                     unicast [peer2 08:12:04.509] (100) [AS64512i]"  (another route, same net)
  const head = /^(\S+)?\s+(\S+)\s+\[(\S+)\s[^\]]*\](\s\*)?/;
  for (const line of text.split('\n')) {
    if (line.startsWith('BIRD ') || line.startsWith('Table ') || line.trim() === '') continue;
    if (line.startsWith('\t')) {
      if (current === undefined) continue;
      const body = line.trim();
      const colon = body.indexOf(': ');
      if (colon > 0 && !body.startsWith('via ') && !body.startsWith('dev ')) {
        current.attributes[body.slice(0, colon)] = body.slice(colon + 2);
      } else if (current.gateway === '' || current.gateway === 'unicast') {
        current.gateway = body;
      }
      continue;
    }
    const m = head.exec(line);
    if (m === null) continue;
    if (m[1] !== undefined) prefix = m[1];
    current = { prefix, protocol: m[3] ?? '', primary: m[4] !== undefined, gateway: m[2] ?? '', attributes: {} };
    routes.push(current);
  }
  return routes;
}

/** "(64512,100) (65535,65281)" -> ["64512:100", "no-export"]. */
export function parseBirdCommunities(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...text.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => normaliseCommunity(`${m[1]}:${m[2]}`));
}

/** "(4200000000, 1, 2)" -> ["4200000000:1:2"]. */
export function parseBirdLargeCommunities(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...text.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}:${m[3]}`);
}

/** "64513 {64600 64601} 64512" -> [64513, 64600, 64601, 64512]. */
export function parseBirdAsPath(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text.split(/[\s{}()[\]]+/).filter((x) => /^\d+$/.test(x)).map(Number);
}

export class BirdRouter extends BaseRouter {
  readonly kind = 'bird' as const;

  get controlSocket(): string {
    return join(this.dir, 'bird.ctl');
  }

  /** The BIRD protocol name of a neighbor: peer1, peer2, ... in options order. */
  protocolName(peer: string): string {
    const index = this.options.neighbors.findIndex((n) => n.address === peer);
    if (index === -1) throw new Error(`bird: ${peer} is not a configured neighbor`);
    return `peer${index + 1}`;
  }

  protected async writeConfig(dir: string): Promise<void> {
    await writeFile(join(dir, 'bird.conf'), this.renderConfig(), { mode: 0o600 });
  }

  renderConfig(): string {
    const o = this.options;
    const lines: string[] = ['log stderr all;', `router id ${o.routerId};`, 'protocol device {}', ''];
    for (const family of this.families) lines.push(...this.staticLines(family), ...this.exportFilterLines(family), '');
    o.neighbors.forEach((n, i) => lines.push(...this.protocolLines(n, i), ''));
    return lines.join('\n');
  }

  private staticLines(family: Family): string[] {
    const suffix = family === 'ipv4' ? '4' : '6';
    const lines = [`protocol static statics${suffix} {`, `  ${family};`];
    for (const [prefix, attrs] of this.announcedFor(family)) {
      // BIRD sends its own address as next hop to an eBGP peer for a blackhole
      // route; a static `via` one of its own addresses would never be usable.
      const viaSelf = attrs.nextHop === undefined || this.ownAddresses().includes(attrs.nextHop);
      lines.push(`  route ${prefix} ${viaSelf ? 'blackhole' : `via ${attrs.nextHop ?? ''}`};`);
    }
    lines.push('}');
    return lines;
  }

  private ownAddresses(): string[] {
    const runner = this.options.runner;
    return [...listenAddresses(this.options), ...(runner instanceof LabNode ? runner.ips : [])];
  }

  /** Attributes of our own routes, set on export (MED must be set here to reach an eBGP peer). */
  private exportFilterLines(family: Family): string[] {
    const suffix = family === 'ipv4' ? '4' : '6';
    const lines = [`filter mlbt_export${suffix} {`];
    for (const [prefix, attrs] of this.announcedFor(family)) {
      const sets: string[] = [];
      if (attrs.med !== undefined) sets.push(`bgp_med = ${attrs.med};`);
      for (const c of attrs.communities ?? []) {
        const v = communityValue(c);
        sets.push(`bgp_community.add((${Math.floor(v / 0x10000)}, ${v & 0xffff}));`);
      }
      for (const l of attrs.largeCommunities ?? []) sets.push(`bgp_large_community.add((${l.split(':').join(', ')}));`);
      if (sets.length > 0) lines.push(`  if proto = "statics${suffix}" && net = ${prefix} then { ${sets.join(' ')} }`);
    }
    lines.push('  accept;', '}');
    return lines;
  }

  private protocolLines(n: NeighborOptions, index: number): string[] {
    const o = this.options;
    const port = o.port ?? 179;
    const local = n.localAddress ?? listenAddresses(o).find((a) => a.includes(':') === n.address.includes(':'));
    const lines = [`protocol bgp peer${index + 1} {`];
    lines.push(local === undefined ? `  local port ${port} as ${o.asn};` : `  local ${local} port ${port} as ${o.asn};`);
    if (n.as4 === false && n.asn > 0xffff) {
      // Seen with BIRD 2.0.12: with as4 off it refuses a neighbor AS above 65535
      // ("AS4 not available"), and with AS_TRANS configured instead it still
      // reads the peer's 4-octet AS capability and closes with "Bad peer AS".
      throw new Error(`bird: as4 off works only with a 2-octet peer AS, not ${n.asn}`);
    }
    lines.push(`  neighbor ${n.address} port ${n.port ?? 179} as ${n.asn};`);
    if (local !== undefined) lines.push('  strict bind on;');
    // On the host everything is loopback: not a directly connected peer.
    if (o.runner.ns === undefined || n.multihop === true) lines.push('  multihop;');
    if (n.password !== undefined) lines.push(`  password ${JSON.stringify(n.password)};`);
    if (n.passive === true) lines.push('  passive on;');
    if (n.holdTime !== undefined) {
      lines.push(`  hold time ${n.holdTime};`, `  keepalive time ${Math.max(1, Math.floor(n.holdTime / 3))};`);
    }
    // Quick reconnects: the defaults wait 5 s / 120 s, and 60 s after an error.
    lines.push('  connect delay time 1;', '  connect retry time 1;', '  error wait time 1, 5;');
    if (n.as4 === false) lines.push('  enable as4 off;');
    if (this.disabled.has(n.address)) lines.push('  disabled;');
    for (const family of this.familiesOf(n)) {
      if (!this.families.includes(family)) continue;
      const ext = family === 'ipv6' && n.extendedNextHop === true ? ' extended next hop on;' : '';
      lines.push(`  ${family} { import all; export filter mlbt_export${family === 'ipv4' ? '4' : '6'};${ext} };`);
    }
    lines.push('}');
    return lines;
  }

  protected command(dir: string): { cmd: string; args: string[] } {
    return {
      cmd: 'bird',
      args: ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')],
    };
  }

  /** Runs one birdc command and returns its output. */
  async birdc(...command: string[]): Promise<string> {
    const out = await run('birdc', ['-s', this.controlSocket, ...command], { timeoutMs: 20_000 });
    return out.stdout;
  }

  protected async ready(): Promise<boolean> {
    return (await this.birdc('show', 'status')).includes('Daemon is up and running');
  }

  async version(): Promise<string> {
    const out = await run('bird', ['--version'], { allowFailure: true });
    return /version\s+(\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
  }

  protected async queryNeighborState(peer: string): Promise<NeighborState> {
    const out = await this.birdc('show', 'protocols', 'all', this.protocolName(peer));
    const state = /BGP state:\s+(\S+)/.exec(out)?.[1];
    return (state === undefined ? undefined : BIRD_STATES[state]) ?? 'Idle';
  }

  /** Routes as BIRD prints them, every attribute line kept (e.g. to look for BGP.as4_path). */
  async routeTexts(family: Family): Promise<BirdRouteText[]> {
    this.assertRunning(`asking for ${family} routes`);
    return parseBirdRoutes(await this.birdc('show', 'route', 'all', 'table', TABLES[family]));
  }

  protected async queryRoutes(family: Family): Promise<LabRoute[]> {
    const texts = parseBirdRoutes(await this.birdc('show', 'route', 'all', 'table', TABLES[family]));
    return texts.map((r) => this.normalise(r));
  }

  private normalise(r: BirdRouteText): LabRoute {
    const a = r.attributes;
    const peer = /^peer(\d+)$/.exec(r.protocol);
    const neighbor = peer === null ? undefined : this.options.neighbors[Number(peer[1]) - 1];
    const med = a['BGP.med'];
    const localPref = a['BGP.local_pref'];
    const nextHop = a['BGP.next_hop']?.split(' ')[0] ?? /via (\S+)/.exec(r.gateway)?.[1] ?? '';
    return {
      prefix: r.prefix,
      nextHop,
      asPath: parseBirdAsPath(a['BGP.as_path']),
      communities: parseBirdCommunities(a['BGP.community']),
      largeCommunities: parseBirdLargeCommunities(a['BGP.large_community']),
      ...(med === undefined ? {} : { med: Number(med) }),
      ...(localPref === undefined ? {} : { localPref: Number(localPref) }),
      ...(neighbor === undefined ? {} : { peer: neighbor.address }),
      best: r.primary,
    };
  }

  /**
   * How BIRD saw the AS path of a received route, for RFC 6793 tests with a
   * 2-octet session (`as4: false`). BIRD 2.0.12 merges AS_PATH and AS4_PATH on
   * receipt (RFC 6793 section 4.2.3) and keeps no AS4_PATH of its own to show:
   * `asPath` is the merged path (4-octet ASNs restored when the sender's
   * AS4_PATH was right), `asTrans` says whether AS_TRANS (23456) is still in
   * it (the sender's AS4_PATH was missing or wrong), and `as4Path` is
   * BGP.as4_path should a BIRD version print it. Undefined if no route.
   */
  async as4PathView(
    family: Family,
    prefix: string,
  ): Promise<{ asPath: number[]; asTrans: boolean; as4Path: number[] | undefined; peer: string | undefined } | undefined> {
    const route = (await this.routeTexts(family)).find((r) => r.prefix === prefix && /^peer\d+$/.test(r.protocol));
    if (route === undefined) return undefined;
    const asPath = parseBirdAsPath(route.attributes['BGP.as_path']);
    const as4Text = route.attributes['BGP.as4_path'];
    return {
      asPath,
      asTrans: asPath.includes(AS_TRANS),
      as4Path: as4Text === undefined ? undefined : parseBirdAsPath(as4Text),
      peer: this.normalise(route).peer,
    };
  }

  /** Rewrites bird.conf and has BIRD reload it. */
  private async reconfigure(): Promise<void> {
    await this.writeConfig(this.dir);
    const out = await this.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw this.failure(`birdc configure: ${out.trim()}`);
  }

  protected async applyAnnounce(): Promise<void> {
    await this.reconfigure();
  }

  protected async applyWithdraw(): Promise<void> {
    await this.reconfigure();
  }

  /** `birdc disable peerN "TEXT"`: Cease / Administrative Shutdown with an RFC 9003 message. */
  protected async applyDisable(peer: string, message: string | undefined): Promise<void> {
    const args = ['disable', this.protocolName(peer)];
    if (message !== undefined) args.push(JSON.stringify(message));
    const out = await this.birdc(...args);
    if (!/disabled/.test(out)) throw this.failure(`birdc disable: ${out.trim()}`);
  }

  protected async applyEnable(peer: string): Promise<void> {
    const out = await this.birdc('enable', this.protocolName(peer));
    if (!/enabled/.test(out)) throw this.failure(`birdc enable: ${out.trim()}`);
  }
}

// What every router driver (FRR, GoBGP, BIRD) offers, and the normalised
// route shape all three answer with, so one test can ask any of them the same
// question ("which routes do you hold, with which AS path and communities?").

import type { Runner, Teardown } from './netns.js';

export type Family = 'ipv4' | 'ipv6';

/** RFC 4271 section 8.2.2 state names; what every driver's neighborState() returns. */
export type NeighborState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface NeighborOptions {
  /** The peer's address (also the key of MD5 in the kernel). */
  readonly address: string;
  readonly asn: number;
  /** TCP-MD5 (RFC 2385) password. Never logged. */
  readonly password?: string;
  /** Only accept connections, never connect out. */
  readonly passive?: boolean;
  /** The peer's BGP port (default 179), e.g. a speaker of ours on a high port on loopback. */
  readonly port?: number;
  /** Proposed hold time in seconds (keepalive = holdTime / 3). */
  readonly holdTime?: number;
  /** Families to activate with this peer (default: the router's families). */
  readonly families?: readonly Family[];
  /** Source address for the session (default: the listen address of the peer's family, else the kernel's choice). */
  readonly localAddress?: string;
  /**
   * Not a directly connected peer (eBGP multihop). Also keeps BIRD from adding
   * an IPv6 link-local next hop, which FRR without zebra cannot use (it answers
   * with NOTIFICATION 3/10 and drops the session).
   */
  readonly multihop?: boolean;
  /** BIRD only: advertise the 4-octet AS capability (RFC 6793); false = a 2-octet-only speaker. */
  readonly as4?: boolean;
  /**
   * BIRD only: `extended next hop on` in the IPv6 channel. Seen with BIRD 2.0.12
   * on an IPv4 session: BIRD then accepts IPv6 routes whose next hop is an
   * IPv4-mapped IPv6 address (::ffff:a.b.c.d, what GoBGP and FRR without zebra
   * send there) and sends its own that way; without it BIRD treats such routes
   * as withdrawn ("mismatched address family"). Its OPEN then carried no
   * extended-next-hop capability (RFC 8950 is about IPv4 routes with IPv6 next hops).
   */
  readonly extendedNextHop?: boolean;
}

export interface RouterOptions {
  /** Where the daemon runs: a LabNode, or `host` for loopback-only use. */
  readonly runner: Runner;
  /** A short name for logs and config (hostname). */
  readonly name?: string;
  readonly asn: number;
  readonly routerId: string;
  /**
   * Addresses to listen on. In a namespace it may be left out (listen on all);
   * on the host give the loopback address(es) this instance owns.
   */
  readonly listenAddress?: string | readonly string[];
  /** BGP port (default 179). */
  readonly port?: number;
  readonly neighbors: readonly NeighborOptions[];
  /** Families enabled on the router (default ['ipv4', 'ipv6']). */
  readonly families?: readonly Family[];
  /** FRR only: `bgp bestpath as-path multipath-relax` + `maximum-paths 8`. */
  readonly multipath?: boolean;
  /**
   * FRR only: the global IPv6 next hop to send with IPv6 routes. bgpd without
   * zebra does not know its interface addresses, so over an IPv4 session it
   * sends an IPv4-mapped next hop (::ffff:a.b.c.d), which BIRD rejects.
   */
  readonly ipv6NextHop?: string;
  /** GoBGP only: gRPC API address (default 127.0.0.1:50051 in a namespace, <listen>:50051 on the host). */
  readonly apiAddress?: string;
  /** Closes the router on teardown (needed on the host; a LabNode's lab closes its routers itself). */
  readonly teardown?: Teardown;
}

/** Attributes a driver can put on a route it originates. */
export interface AnnounceOptions {
  readonly nextHop?: string;
  /** "64512:100" or well-known names ("no-export", ...). */
  readonly communities?: readonly string[];
  /** "4200000000:1:2". */
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
}

/** One path as a router holds it, the same shape for all three routers. */
export interface LabRoute {
  /** "198.51.100.0/24", "2001:db8:100::/48". */
  readonly prefix: string;
  /** As the router reports it (an IPv4-mapped IPv6 address may show as either form). */
  readonly nextHop: string;
  /** AS_PATH flattened: AS_SEQUENCE and AS_SET members in order. */
  readonly asPath: number[];
  /** "64512:100"; well-known ones by name: "no-export", "no-advertise", ... */
  readonly communities: string[];
  /** "4200000000:1:2". */
  readonly largeCommunities: string[];
  readonly med?: number;
  readonly localPref?: number;
  /** Address of the peer the path came from; undefined for the router's own routes. */
  readonly peer?: string;
  /** Whether the router chose this path as best (if it says). */
  readonly best?: boolean;
  /** FRR only: the path is one of the equal-cost paths it uses (maximum-paths). */
  readonly multipath?: boolean;
}

/** The shape all three drivers share. */
export interface RouterDriver {
  readonly kind: 'frr' | 'gobgp' | 'bird';
  /** Writes the config into a temp folder and starts the daemon; resolves once it answers queries. */
  start(options: RouterOptions): Promise<void>;
  /** Resolves when the session with `peer` is Established; throws with logs on timeout or early exit. */
  waitEstablished(peer: string, timeoutMs?: number): Promise<void>;
  neighborState(peer: string): Promise<NeighborState>;
  /** Every path the router holds for the family (received and its own). */
  routes(family: Family): Promise<LabRoute[]>;
  /** Polls routes() until a path for `prefix` (optionally matching `match`) shows; throws with logs on timeout. */
  waitRoute(family: Family, prefix: string, timeoutMs?: number, match?: (route: LabRoute) => boolean): Promise<LabRoute>;
  /** Polls until no path for `prefix` (optionally from `peer`) is held. */
  waitNoRoute(family: Family, prefix: string, timeoutMs?: number, peer?: string): Promise<void>;
  /** Originates a route (kept across restart()). A string is the next hop. */
  announce(prefix: string, options?: string | AnnounceOptions): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** Administratively shuts the session down (Cease/Administrative Shutdown, RFC 9003 message). */
  disableNeighbor(peer: string, message?: string): Promise<void>;
  enableNeighbor(peer: string): Promise<void>;
  /** SIGKILL: the daemon dies without a NOTIFICATION. */
  kill(): Promise<void>;
  /** Starts again with the same config and announced routes. */
  restart(): Promise<void>;
  /** Stops the daemon (SIGTERM, SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** The daemon's kept output (passwords masked). */
  logs(): string;
  /** The daemon's version, e.g. "8.4.4". */
  version(): Promise<string>;
}

/** RFC 1997 / RFC 3765 / RFC 7999 / RFC 8326 / RFC 7611 well-known communities. */
const WELL_KNOWN_COMMUNITIES: ReadonlyMap<number, string> = new Map([
  [0xffff0000, 'graceful-shutdown'],
  [0xffff0001, 'accept-own'],
  [0xffff0006, 'llgr-stale'],
  [0xffff0007, 'no-llgr'],
  [0xffff029a, 'blackhole'],
  [0xffffff01, 'no-export'],
  [0xffffff02, 'no-advertise'],
  [0xffffff03, 'no-export-subconfed'],
  [0xffffff04, 'no-peer'],
]);

/** Names FRR prints for well-known communities, mapped to ours. */
const FRR_COMMUNITY_NAMES: ReadonlyMap<string, string> = new Map([
  ['local-AS', 'no-export-subconfed'],
  ['noExport', 'no-export'],
  ['noAdvertise', 'no-advertise'],
  ['noPeer', 'no-peer'],
  ['gshut', 'graceful-shutdown'],
]);

/** A 32-bit community value as "high:low", or its well-known name. */
export function formatCommunity(value: number): string {
  const name = WELL_KNOWN_COMMUNITIES.get(value >>> 0);
  if (name !== undefined) return name;
  return `${Math.floor((value >>> 0) / 0x10000)}:${(value >>> 0) & 0xffff}`;
}

/** "64512:100" or a well-known name (ours or FRR's) as the normalised string. */
export function normaliseCommunity(text: string): string {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (m !== null) return formatCommunity(Number(m[1]) * 0x10000 + Number(m[2]));
  return FRR_COMMUNITY_NAMES.get(text) ?? text;
}

/** The 32-bit value of a community given as "a:b" or a well-known name. */
export function communityValue(text: string): number {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (m !== null) return Number(m[1]) * 0x10000 + Number(m[2]);
  const normalised = FRR_COMMUNITY_NAMES.get(text) ?? text;
  for (const [value, name] of WELL_KNOWN_COMMUNITIES) if (name === normalised) return value;
  throw new Error(`unknown community: ${text}`);
}

export function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

/** Options for announce(): a bare string is the next hop. */
export function announceOptions(options: string | AnnounceOptions | undefined): AnnounceOptions {
  if (options === undefined) return {};
  return typeof options === 'string' ? { nextHop: options } : options;
}

/** The listen addresses as an array. */
export function listenAddresses(options: RouterOptions): string[] {
  const value = options.listenAddress;
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** Masks every password of the options in text (for logs and errors). */
export function maskSecrets(text: string, options: RouterOptions | undefined): string {
  let out = text;
  for (const neighbor of options?.neighbors ?? []) {
    if (neighbor.password !== undefined && neighbor.password.length > 0) {
      out = out.split(neighbor.password).join('********');
    }
  }
  return out;
}

/** Why a driver call failed, with the daemon's logs attached to the message. */
export class RouterError extends Error {
  readonly code = 'LAB_ROUTER_FAILED';
  constructor(kind: string, message: string, logs: string) {
    super(`${kind}: ${message}\n--- ${kind} logs (last lines) ---\n${logs}`);
    this.name = 'RouterError';
  }
}

/**
 * On failure of the test `t`, prints every router's logs as TAP comments
 * (the logs of the other side usually explain why a session did not come up).
 */
export function attachLogsOnFailure(
  t: { teardown(fn: () => unknown): void; passing(): boolean; comment(...args: unknown[]): void },
  routers: readonly RouterDriver[],
): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const r of routers) t.comment(`---- ${r.kind} logs ----\n${r.logs().split('\n').slice(-60).join('\n')}`);
  });
}

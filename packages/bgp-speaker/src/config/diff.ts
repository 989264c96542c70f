/**
 * The difference between the running configuration and a new one, as a reload applies it: which
 * peers to start, stop (Cease/Peer De-configured, RFC 4486) or change, which announcements to send
 * or withdraw, and which changes a running speaker cannot take at all. Pure: no I/O, no clock.
 *
 * Peers are matched by address, announcements by prefix (both unique, see validate.ts). A password
 * is compared but never shown: every text here says "password changed", never the key.
 */
import { formatCommunity } from '@metallb-ts/bgp-core';
import type { AnnouncementConfig, ExportConfig, GracefulRestartPeerConfig, ListenConfig, MaxPrefixesConfig, MetricsConfig, PeerConfig, SpeakerConfig } from './schema.js';

export interface PeerChange {
  readonly address: string;
  readonly next: PeerConfig;
  /**
   * True when something in the OPEN or the TCP connection changed (asn, port, password, timers,
   * passive, sourceAddress, families, fourOctetAs, gracefulRestart): the session must be reset for
   * it to take effect. False when only export, maxPrefixes or connectRetryTime changed, which the
   * running session takes as it is (export changes re-send the routes).
   */
  readonly resetSession: boolean;
  /** Key paths that differ: `holdTime`, `export.communities`, `maxPrefixes`, `password`. */
  readonly changedKeys: readonly string[];
  /** The same for people: `holdTime: 90 -> 30`, `password changed`. Never a secret. */
  readonly details: readonly string[];
}

export interface ConfigDiff {
  /** Changes a running speaker cannot apply (asn, routerId, listen), e.g. `asn: 4200000000 -> 64999`. */
  readonly restartRequired: readonly string[];
  readonly peersAdded: readonly PeerConfig[];
  /** Addresses of peers no longer configured. */
  readonly peersRemoved: readonly string[];
  readonly peersChanged: readonly PeerChange[];
  readonly announcementsAdded: readonly AnnouncementConfig[];
  /** Prefixes no longer announced. */
  readonly announcementsRemoved: readonly string[];
  /** The new form of announcements whose attributes changed. */
  readonly announcementsChanged: readonly AnnouncementConfig[];
  readonly metricsChanged: boolean;
  readonly isEmpty: boolean;
}

/**
 * How each peer key takes effect. A Record over keyof PeerConfig, so a key added to the schema
 * without a decision here fails to compile.
 */
const PEER_KEY_EFFECT = {
  address: 'identity',
  asn: 'session',
  port: 'session',
  password: 'session',
  holdTime: 'session',
  keepaliveTime: 'session',
  sendHoldTime: 'session',
  passive: 'session',
  sourceAddress: 'session',
  families: 'session',
  fourOctetAs: 'session',
  gracefulRestart: 'session',
  connectRetryTime: 'live',
  maxPrefixes: 'live',
  export: 'live',
} as const satisfies Record<keyof PeerConfig, 'identity' | 'session' | 'live'>;

type PeerKey = Exclude<keyof PeerConfig, 'address'>;
const PEER_KEYS = (Object.keys(PEER_KEY_EFFECT) as (keyof PeerConfig)[]).filter((key): key is PeerKey => key !== 'address');

export function diffConfig(current: SpeakerConfig, next: SpeakerConfig): ConfigDiff {
  const restartRequired: string[] = [];
  if (current.asn !== next.asn) restartRequired.push(`asn: ${current.asn} -> ${next.asn}`);
  if (current.routerId !== next.routerId) restartRequired.push(`routerId: ${current.routerId} -> ${next.routerId}`);
  if (!sameEndpoint(current.listen, next.listen)) {
    restartRequired.push(`listen: ${showEndpoint(current.listen)} -> ${showEndpoint(next.listen)}`);
  }

  const currentPeers = new Map(current.peers.map((peer) => [peer.address, peer]));
  const nextAddresses = new Set(next.peers.map((peer) => peer.address));
  const peersAdded: PeerConfig[] = [];
  const peersChanged: PeerChange[] = [];
  for (const peer of next.peers) {
    const before = currentPeers.get(peer.address);
    if (before === undefined) peersAdded.push(peer);
    else {
      const change = diffPeer(before, peer);
      if (change !== undefined) peersChanged.push(change);
    }
  }
  const peersRemoved = current.peers.filter((peer) => !nextAddresses.has(peer.address)).map((peer) => peer.address);

  const currentRoutes = new Map(current.announce.map((route) => [route.prefix, route]));
  const nextPrefixes = new Set(next.announce.map((route) => route.prefix));
  const announcementsAdded: AnnouncementConfig[] = [];
  const announcementsChanged: AnnouncementConfig[] = [];
  for (const route of next.announce) {
    const before = currentRoutes.get(route.prefix);
    if (before === undefined) announcementsAdded.push(route);
    else if (!sameAnnouncement(before, route)) announcementsChanged.push(route);
  }
  const announcementsRemoved = current.announce.filter((route) => !nextPrefixes.has(route.prefix)).map((route) => route.prefix);

  const metricsChanged = !sameEndpoint(current.metrics, next.metrics);
  const isEmpty =
    restartRequired.length === 0 &&
    peersAdded.length === 0 &&
    peersRemoved.length === 0 &&
    peersChanged.length === 0 &&
    announcementsAdded.length === 0 &&
    announcementsRemoved.length === 0 &&
    announcementsChanged.length === 0 &&
    !metricsChanged;

  return {
    restartRequired,
    peersAdded,
    peersRemoved,
    peersChanged,
    announcementsAdded,
    announcementsRemoved,
    announcementsChanged,
    metricsChanged,
    isEmpty,
  };
}

/** One line for a log: `peers +1 -0 ~2 (1 reset), announcements +3 -1 ~0, metrics changed`. */
export function summarizeDiff(diff: ConfigDiff): string {
  if (diff.isEmpty) return 'no change';
  const resets = diff.peersChanged.filter((change) => change.resetSession).length;
  const parts = [
    `peers +${diff.peersAdded.length} -${diff.peersRemoved.length} ~${diff.peersChanged.length}` + (resets > 0 ? ` (${resets} reset)` : ''),
    `announcements +${diff.announcementsAdded.length} -${diff.announcementsRemoved.length} ~${diff.announcementsChanged.length}`,
  ];
  if (diff.metricsChanged) parts.push('metrics changed');
  if (diff.restartRequired.length > 0) parts.push(`restart required (${diff.restartRequired.join('; ')})`);
  return parts.join(', ');
}

function diffPeer(current: PeerConfig, next: PeerConfig): PeerChange | undefined {
  const changedKeys: string[] = [];
  const details: string[] = [];
  let resetSession = false;
  for (const key of PEER_KEYS) {
    const found = diffPeerKey(key, current, next);
    if (found.length === 0) continue;
    if (PEER_KEY_EFFECT[key] === 'session') resetSession = true;
    for (const [path, detail] of found) {
      changedKeys.push(path);
      details.push(detail);
    }
  }
  if (changedKeys.length === 0) return undefined;
  return { address: next.address, next, resetSession, changedKeys, details };
}

/** The [key path, description] pairs that differ for one peer key; empty when equal. */
function diffPeerKey(key: PeerKey, current: PeerConfig, next: PeerConfig): [string, string][] {
  switch (key) {
    case 'password':
      return diffPassword(current.password, next.password);
    case 'families':
      return sameMembers(current.families, next.families) ? [] : [[key, `families: ${showList(current.families)} -> ${showList(next.families)}`]];
    case 'gracefulRestart':
      return diffGracefulRestart(current.gracefulRestart, next.gracefulRestart);
    case 'maxPrefixes':
      return diffMaxPrefixes(current.maxPrefixes, next.maxPrefixes);
    case 'export':
      return diffExport(current.export, next.export);
    case 'asn':
    case 'port':
    case 'holdTime':
    case 'keepaliveTime':
    case 'sendHoldTime':
    case 'connectRetryTime':
    case 'passive':
    case 'sourceAddress':
    case 'fourOctetAs':
      return current[key] === next[key] ? [] : [[key, `${key}: ${show(current[key])} -> ${show(next[key])}`]];
    default:
      return assertNever(key);
  }
}

function diffPassword(current: string | undefined, next: string | undefined): [string, string][] {
  if (current === next) return [];
  if (current === undefined) return [['password', 'password set']];
  if (next === undefined) return [['password', 'password removed']];
  return [['password', 'password changed']];
}

function diffGracefulRestart(current: GracefulRestartPeerConfig | undefined, next: GracefulRestartPeerConfig | undefined): [string, string][] {
  // Absent and `enabled: false` advertise the same OPEN (no capability): not a change.
  const before = current?.enabled === true ? current : undefined;
  const after = next?.enabled === true ? next : undefined;
  if (before === undefined && after === undefined) return [];
  if (before === undefined || after === undefined) {
    return [['gracefulRestart', `gracefulRestart: ${before === undefined ? 'off' : `restartTime ${before.restartTime}`} -> ${after === undefined ? 'off' : `restartTime ${after.restartTime}`}`]];
  }
  return before.restartTime === after.restartTime
    ? []
    : [['gracefulRestart.restartTime', `gracefulRestart.restartTime: ${before.restartTime} -> ${after.restartTime}`]];
}

function diffMaxPrefixes(current: MaxPrefixesConfig | undefined, next: MaxPrefixesConfig | undefined): [string, string][] {
  if (current === undefined && next === undefined) return [];
  if (current === undefined || next === undefined) {
    const describe = (value: MaxPrefixesConfig | undefined) => (value === undefined ? '(none)' : `limit ${value.limit}, restartTime ${value.restartTime}`);
    return [['maxPrefixes', `maxPrefixes: ${describe(current)} -> ${describe(next)}`]];
  }
  const found: [string, string][] = [];
  if (current.limit !== next.limit) found.push(['maxPrefixes.limit', `maxPrefixes.limit: ${current.limit} -> ${next.limit}`]);
  if (current.restartTime !== next.restartTime) {
    found.push(['maxPrefixes.restartTime', `maxPrefixes.restartTime: ${current.restartTime} -> ${next.restartTime}`]);
  }
  return found;
}

function diffExport(current: ExportConfig, next: ExportConfig): [string, string][] {
  const found: [string, string][] = [];
  if (!sameMembers(current.communities, next.communities)) {
    found.push(['export.communities', `export.communities: ${showCommunities(current.communities)} -> ${showCommunities(next.communities)}`]);
  }
  if (!sameMembers(current.largeCommunities, next.largeCommunities)) {
    found.push(['export.largeCommunities', `export.largeCommunities: ${showList(current.largeCommunities)} -> ${showList(next.largeCommunities)}`]);
  }
  for (const key of ['localPref', 'med', 'nextHopIpv4', 'nextHopIpv6', 'asPathPrepend'] as const) {
    if (current[key] !== next[key]) found.push([`export.${key}`, `export.${key}: ${show(current[key])} -> ${show(next[key])}`]);
  }
  return found;
}

function sameAnnouncement(current: AnnouncementConfig, next: AnnouncementConfig): boolean {
  return (
    current.family === next.family &&
    current.nextHop === next.nextHop &&
    current.localPref === next.localPref &&
    current.med === next.med &&
    sameMembers(current.communities, next.communities) &&
    sameMembers(current.largeCommunities, next.largeCommunities) &&
    (current.peers === undefined) === (next.peers === undefined) &&
    sameMembers(current.peers ?? [], next.peers ?? [])
  );
}

/**
 * Equal as multisets. Communities and families are sets on the wire (RFC 1997, RFC 4760): a
 * reordered list in the file must not reset a session or re-send a route.
 */
function sameMembers<T extends string | number>(current: readonly T[], next: readonly T[]): boolean {
  if (current.length !== next.length) return false;
  const counts = new Map<T, number>();
  for (const item of current) counts.set(item, (counts.get(item) ?? 0) + 1);
  for (const item of next) {
    const count = counts.get(item);
    if (count === undefined || count === 0) return false;
    counts.set(item, count - 1);
  }
  return true;
}

/** listen and metrics: an address and a port, or absent. */
function sameEndpoint(current: ListenConfig | MetricsConfig | undefined, next: ListenConfig | MetricsConfig | undefined): boolean {
  if (current === undefined || next === undefined) return current === next;
  return current.address === next.address && current.port === next.port;
}

function showEndpoint(endpoint: ListenConfig | undefined): string {
  if (endpoint === undefined) return '(none)';
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}

function show(value: string | number | boolean | undefined): string {
  return value === undefined ? '(none)' : String(value);
}

function showList(values: readonly string[]): string {
  return `[${values.join(', ')}]`;
}

function showCommunities(values: readonly number[]): string {
  return showList(values.map(formatCommunity));
}

function assertNever(value: never): never {
  throw new Error(`unhandled peer key ${String(value)}`);
}

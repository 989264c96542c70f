/**
 * Turns a parsed YAML document into a SpeakerConfig, or a ConfigError listing every problem with
 * its key path. Unknown keys are errors too: a misspelt `pasword` must not silently run a session
 * without authentication.
 */
import { isIP, isIPv4 } from 'node:net';
import { normalizePrefix, parseCommunity, parseLargeCommunity, prefixFamily } from '@metallb-ts/bgp-core';
import type { AddressFamily } from '@metallb-ts/bgp-core';
import { ConfigChecker as Checker, describeValue as describe, joinPath as join } from './checker.js';
import type { ConfigDict as Dict } from './checker.js';
import type { ConfigProblem } from './errors.js';
import type { AnnouncementConfig, ExportConfig, GracefulRestartPeerConfig, ListenConfig, MaxPrefixesConfig, MetricsConfig, PeerConfig, SpeakerConfig } from './schema.js';

/** RFC 2385 keys are limited by Linux's TCP_MD5SIG_MAXKEYLEN. */
const MAX_PASSWORD_OCTETS = 80;
const DEFAULT_HOLD_TIME = 90;
const DEFAULT_CONNECT_RETRY_TIME = 5;
const ALL_FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];
const DEFAULT_MAX_PREFIXES_RESTART_TIME = 60;
const DEFAULT_GRACEFUL_RESTART_TIME = 120;
const NO_EXPORT: ExportConfig = { communities: [], largeCommunities: [], asPathPrepend: 0 };


/** Reads files named by the config (passwordFile); injected so validation stays testable. */
export type ReadFile = (path: string) => string;

export function validateConfig(document: unknown, readFile: ReadFile): SpeakerConfig | readonly ConfigProblem[] {
  const check = new Checker();
  const root = check.object(document, '', ['asn', 'routerId', 'listen', 'metrics', 'peers', 'announce']);
  if (root === undefined) return check.problems;

  const asn = root['asn'] === undefined ? check.fail('asn', 'is required') : check.integer(root['asn'], 'asn', 1, 0xffffffff);
  const routerId = validateRouterId(check, root['routerId']);
  const listen = root['listen'] === undefined ? undefined : validateListen(check, root['listen']);
  const metrics = root['metrics'] === undefined ? undefined : validateMetrics(check, root['metrics']);

  const peers: PeerConfig[] = [];
  const peerList = root['peers'] === undefined ? [] : (check.list(root['peers'], 'peers') ?? []);
  const seen = new Map<string, number>();
  peerList.forEach((raw, index) => {
    const path = `peers[${index}]`;
    const peer = validatePeer(check, raw, path, readFile);
    if (peer === undefined) return;
    const earlier = seen.get(peer.address);
    // Linux keys TCP-MD5 and our session table by peer address: two peers at one address cannot both work.
    if (earlier !== undefined) check.fail(`${path}.address`, `${peer.address} is already peers[${earlier}]`);
    else seen.set(peer.address, index);
    peers.push(peer);
  });

  const announce: AnnouncementConfig[] = [];
  const announceList = root['announce'] === undefined ? [] : (check.list(root['announce'], 'announce') ?? []);
  const seenPrefixes = new Map<string, number>();
  announceList.forEach((raw, index) => {
    const path = `announce[${index}]`;
    const route = validateAnnouncement(check, raw, path);
    if (route === undefined) return;
    const earlier = seenPrefixes.get(route.prefix);
    if (earlier !== undefined) check.fail(`${path}.prefix`, `${route.prefix} is already announce[${earlier}]`);
    else seenPrefixes.set(route.prefix, index);
    announce.push(route);
  });

  if (check.problems.length > 0 || asn === undefined || routerId === undefined) return check.problems;
  return { asn, routerId, ...(listen === undefined ? {} : { listen }), ...(metrics === undefined ? {} : { metrics }), peers, announce };
}

/**
 * One route given to the library (Speaker.announce) or the control socket: the same checks as an
 * `announce` entry of the config, with problems named under `path`.
 */
export function validateRoute(value: unknown, path = 'route'): AnnouncementConfig | readonly ConfigProblem[] {
  const check = new Checker();
  const route = validateAnnouncement(check, value, path);
  return route === undefined || check.problems.length > 0 ? check.problems : route;
}

function validateRouterId(check: Checker, value: unknown): string | undefined {
  if (value === undefined) return check.fail('routerId', 'is required (an IPv4 address, RFC 4271 section 4.2)');
  const text = check.string(value, 'routerId');
  if (text === undefined) return undefined;
  if (!isIPv4(text)) return check.fail('routerId', `must be an IPv4 dotted quad, got ${JSON.stringify(text)}`);
  if (text === '0.0.0.0') return check.fail('routerId', 'must not be 0.0.0.0 (RFC 6286 section 2.1)');
  return text;
}

function validateListen(check: Checker, value: unknown): ListenConfig | undefined {
  const listen = check.object(value, 'listen', ['address', 'port']);
  if (listen === undefined) return undefined;
  const address = check.address(listen['address'], 'listen.address');
  const port = listen['port'] === undefined ? 179 : check.integer(listen['port'], 'listen.port', 1, 65535);
  return address === undefined || port === undefined ? undefined : { address, port };
}

function validateMetrics(check: Checker, value: unknown): MetricsConfig | undefined {
  const metrics = check.object(value, 'metrics', ['address', 'port']);
  if (metrics === undefined) return undefined;
  const address = check.address(metrics['address'], 'metrics.address');
  const port = metrics['port'] === undefined ? 7472 : check.integer(metrics['port'], 'metrics.port', 1, 65535);
  return address === undefined || port === undefined ? undefined : { address, port };
}

function validateMaxPrefixes(check: Checker, value: unknown, path: string): MaxPrefixesConfig | undefined {
  // A bare number is the limit; the mapping form also sets the restart time.
  if (typeof value === 'number') {
    const limit = check.integer(value, path, 1, 0xffffffff);
    return limit === undefined ? undefined : { limit, restartTime: DEFAULT_MAX_PREFIXES_RESTART_TIME };
  }
  const raw = check.object(value, path, ['limit', 'restartTime']);
  if (raw === undefined) return undefined;
  const limit = raw['limit'] === undefined ? check.fail(`${path}.limit`, 'is required') : check.integer(raw['limit'], `${path}.limit`, 1, 0xffffffff);
  const restartTime =
    raw['restartTime'] === undefined ? DEFAULT_MAX_PREFIXES_RESTART_TIME : check.integer(raw['restartTime'], `${path}.restartTime`, 1, 86400);
  return limit === undefined || restartTime === undefined ? undefined : { limit, restartTime };
}

function validateGracefulRestart(check: Checker, value: unknown, path: string): GracefulRestartPeerConfig | undefined {
  const raw = check.object(value, path, ['enabled', 'restartTime']);
  if (raw === undefined) return undefined;
  const enabled = raw['enabled'] === undefined ? true : check.boolean(raw['enabled'], `${path}.enabled`);
  // RFC 4724 section 3: the Restart Time is 12 bits.
  const restartTime =
    raw['restartTime'] === undefined ? DEFAULT_GRACEFUL_RESTART_TIME : check.integer(raw['restartTime'], `${path}.restartTime`, 1, 4095);
  return enabled === undefined || restartTime === undefined ? undefined : { enabled, restartTime };
}

function validateExport(check: Checker, value: unknown, path: string, peerAddress: string | undefined): ExportConfig | undefined {
  const raw = check.object(value, path, ['communities', 'largeCommunities', 'localPref', 'med', 'nextHopIpv4', 'nextHopIpv6', 'asPathPrepend']);
  if (raw === undefined) return undefined;
  const before = check.problems.length;
  const communities = validateCommunities(check, raw['communities'], `${path}.communities`);
  const largeCommunities = validateLargeCommunities(check, raw['largeCommunities'], `${path}.largeCommunities`);
  const localPref = raw['localPref'] === undefined ? undefined : check.integer(raw['localPref'], `${path}.localPref`, 0, 0xffffffff);
  const med = raw['med'] === undefined ? undefined : check.integer(raw['med'], `${path}.med`, 0, 0xffffffff);
  const asPathPrepend = raw['asPathPrepend'] === undefined ? 0 : check.integer(raw['asPathPrepend'], `${path}.asPathPrepend`, 0, 32);
  let nextHopIpv4: string | undefined;
  let nextHopIpv6: string | undefined;
  if (raw['nextHopIpv4'] !== undefined) {
    nextHopIpv4 = check.address(raw['nextHopIpv4'], `${path}.nextHopIpv4`);
    if (nextHopIpv4 !== undefined && !isIPv4(nextHopIpv4)) check.fail(`${path}.nextHopIpv4`, 'must be an IPv4 address');
  }
  if (raw['nextHopIpv6'] !== undefined) {
    nextHopIpv6 = check.address(raw['nextHopIpv6'], `${path}.nextHopIpv6`);
    if (nextHopIpv6 !== undefined && isIP(nextHopIpv6) !== 6) check.fail(`${path}.nextHopIpv6`, 'must be an IPv6 address');
    else if (nextHopIpv6 !== undefined && nextHopIpv6.toLowerCase().startsWith('fe80:')) {
      check.fail(`${path}.nextHopIpv6`, 'must be a global address, not link-local (RFC 2545 section 3)');
    }
  }
  void peerAddress;
  if (check.problems.length > before) return undefined;
  return {
    communities,
    largeCommunities,
    asPathPrepend: asPathPrepend as number,
    ...(localPref === undefined ? {} : { localPref }),
    ...(med === undefined ? {} : { med }),
    ...(nextHopIpv4 === undefined ? {} : { nextHopIpv4 }),
    ...(nextHopIpv6 === undefined ? {} : { nextHopIpv6 }),
  };
}

function validateCommunities(check: Checker, value: unknown, path: string): number[] {
  const communities: number[] = [];
  const list = value === undefined ? [] : (check.list(value, path) ?? []);
  list.forEach((item, index) => {
    try {
      communities.push(parseCommunity(String(item)));
    } catch (error) {
      check.fail(`${path}[${index}]`, (error as Error).message);
    }
  });
  return communities;
}

function validateLargeCommunities(check: Checker, value: unknown, path: string): string[] {
  const communities: string[] = [];
  const list = value === undefined ? [] : (check.list(value, path) ?? []);
  list.forEach((item, index) => {
    try {
      parseLargeCommunity(String(item));
      communities.push(String(item));
    } catch (error) {
      check.fail(`${path}[${index}]`, (error as Error).message);
    }
  });
  return communities;
}

function validatePeer(check: Checker, value: unknown, path: string, readFile: ReadFile): PeerConfig | undefined {
  const keys = ['address', 'asn', 'port', 'password', 'passwordFile', 'holdTime', 'keepaliveTime', 'sendHoldTime', 'connectRetryTime', 'passive', 'sourceAddress', 'families', 'fourOctetAs', 'maxPrefixes', 'gracefulRestart', 'export'];
  const raw = check.object(value, path, keys);
  if (raw === undefined) return undefined;
  const before = check.problems.length;

  const address = raw['address'] === undefined ? check.fail(`${path}.address`, 'is required') : check.address(raw['address'], `${path}.address`);
  const asn = raw['asn'] === undefined ? check.fail(`${path}.asn`, 'is required') : check.integer(raw['asn'], `${path}.asn`, 1, 0xffffffff);
  const port = raw['port'] === undefined ? 179 : check.integer(raw['port'], `${path}.port`, 1, 65535);
  const holdTime = raw['holdTime'] === undefined ? DEFAULT_HOLD_TIME : validateHoldTime(check, raw['holdTime'], `${path}.holdTime`);
  const keepaliveTime = validateKeepalive(check, raw['keepaliveTime'], holdTime, `${path}.keepaliveTime`);
  const sendHoldTime = raw['sendHoldTime'] === undefined ? undefined : validateSendHoldTime(check, raw['sendHoldTime'], holdTime, `${path}.sendHoldTime`);
  const connectRetryTime =
    raw['connectRetryTime'] === undefined ? DEFAULT_CONNECT_RETRY_TIME : check.integer(raw['connectRetryTime'], `${path}.connectRetryTime`, 1, 65535);
  const passive = raw['passive'] === undefined ? false : check.boolean(raw['passive'], `${path}.passive`);
  const password = validatePassword(check, raw, path, readFile);
  const families = validateFamilies(check, raw['families'], `${path}.families`);
  const fourOctetAs = raw['fourOctetAs'] === undefined ? true : check.boolean(raw['fourOctetAs'], `${path}.fourOctetAs`);
  const maxPrefixes = raw['maxPrefixes'] === undefined ? undefined : validateMaxPrefixes(check, raw['maxPrefixes'], `${path}.maxPrefixes`);
  const gracefulRestart =
    raw['gracefulRestart'] === undefined ? undefined : validateGracefulRestart(check, raw['gracefulRestart'], `${path}.gracefulRestart`);
  const exportConfig = raw['export'] === undefined ? NO_EXPORT : validateExport(check, raw['export'], `${path}.export`, address);

  let sourceAddress: string | undefined;
  if (raw['sourceAddress'] !== undefined) {
    sourceAddress = check.address(raw['sourceAddress'], `${path}.sourceAddress`);
    if (sourceAddress !== undefined && address !== undefined && isIP(sourceAddress) !== isIP(address)) {
      check.fail(`${path}.sourceAddress`, `must be of the same address family as the peer address ${address}`);
    }
  }

  if (check.problems.length > before) return undefined;
  return {
    address: address as string,
    asn: asn as number,
    port: port as number,
    holdTime: holdTime as number,
    keepaliveTime: keepaliveTime as number,
    connectRetryTime: connectRetryTime as number,
    passive: passive as boolean,
    families: families as readonly AddressFamily[],
    fourOctetAs: fourOctetAs as boolean,
    export: exportConfig as ExportConfig,
    ...(sendHoldTime === undefined ? {} : { sendHoldTime }),
    ...(maxPrefixes === undefined ? {} : { maxPrefixes }),
    ...(gracefulRestart === undefined ? {} : { gracefulRestart }),
    ...(password === undefined ? {} : { password }),
    ...(sourceAddress === undefined ? {} : { sourceAddress }),
  };
}

/** RFC 9687 section 4: 0 (off), or above the hold time. */
function validateSendHoldTime(check: Checker, value: unknown, holdTime: number | undefined, path: string): number | undefined {
  const seconds = check.integer(value, path, 0, 0x7fffffff);
  if (seconds === undefined || seconds === 0 || holdTime === undefined) return seconds;
  if (seconds <= holdTime) return check.fail(path, `must be 0 or above the hold time (${holdTime} s; RFC 9687 section 4), got ${seconds}`);
  return seconds;
}

function validateHoldTime(check: Checker, value: unknown, path: string): number | undefined {
  const seconds = check.integer(value, path, 0, 65535);
  // RFC 4271 section 4.2: the Hold Time MUST be either zero or at least three seconds.
  if (seconds === 1 || seconds === 2) return check.fail(path, `must be 0 or at least 3 seconds (RFC 4271 section 4.2), got ${seconds}`);
  return seconds;
}

function validateKeepalive(check: Checker, value: unknown, holdTime: number | undefined, path: string): number | undefined {
  if (holdTime === undefined) return undefined;
  if (value === undefined) return Math.floor(holdTime / 3);
  const seconds = check.integer(value, path, 0, 21845);
  if (seconds !== undefined && holdTime > 0 && seconds >= holdTime) {
    return check.fail(path, `must be less than the hold time (${holdTime} s)`);
  }
  return seconds;
}

function validatePassword(check: Checker, raw: Dict, path: string, readFile: ReadFile): string | undefined {
  const inline = raw['password'];
  const file = raw['passwordFile'];
  if (inline !== undefined && file !== undefined) {
    return check.fail(`${path}.password`, 'give either password or passwordFile, not both');
  }
  let password: string | undefined;
  if (inline !== undefined) {
    // A number in YAML (password: 12345) is a plausible mistake; say so rather than coerce, and
    // never echo the value: it is a secret even when it is the wrong type.
    if (typeof inline !== 'string' || inline === '') {
      return check.fail(`${path}.password`, `must be a non-empty string (quote it in YAML), got ${typeof inline}`);
    }
    password = inline;
  } else if (file !== undefined) {
    const filePath = check.string(file, `${path}.passwordFile`);
    if (filePath === undefined) return undefined;
    try {
      password = readFile(filePath).replace(/\r?\n$/, '');
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      return check.fail(`${path}.passwordFile`, `cannot read ${JSON.stringify(filePath)} (${reason})`);
    }
    if (password === '') return check.fail(`${path}.passwordFile`, `${JSON.stringify(filePath)} is empty`);
  }
  if (password !== undefined && Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_OCTETS) {
    return check.fail(`${path}.password`, `must be at most ${MAX_PASSWORD_OCTETS} octets (TCP-MD5 key limit)`);
  }
  return password;
}

function validateFamilies(check: Checker, value: unknown, path: string): readonly AddressFamily[] | undefined {
  if (value === undefined) return ALL_FAMILIES;
  const list = check.list(value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) return check.fail(path, 'must name at least one of ipv4, ipv6');
  const families: AddressFamily[] = [];
  list.forEach((item, index) => {
    if (item !== 'ipv4' && item !== 'ipv6') check.fail(`${path}[${index}]`, `must be ipv4 or ipv6, got ${describe(item)}`);
    else if (!families.includes(item)) families.push(item);
  });
  return families;
}

function validateAnnouncement(check: Checker, value: unknown, path: string): AnnouncementConfig | undefined {
  const raw = check.object(value, path, ['prefix', 'nextHop', 'communities', 'largeCommunities', 'localPref', 'med', 'peers']);
  if (raw === undefined) return undefined;
  const before = check.problems.length;

  let prefix: string | undefined;
  let family: AddressFamily | undefined;
  const prefixText = raw['prefix'] === undefined ? check.fail(`${path}.prefix`, 'is required') : check.string(raw['prefix'], `${path}.prefix`);
  if (prefixText !== undefined) {
    try {
      prefix = normalizePrefix(prefixText);
      family = prefixFamily(prefix);
    } catch (error) {
      check.fail(`${path}.prefix`, (error as Error).message);
    }
  }

  let nextHop: string | undefined = 'self';
  if (raw['nextHop'] !== undefined && raw['nextHop'] !== 'self') {
    nextHop = check.address(raw['nextHop'], `${path}.nextHop`);
    if (nextHop !== undefined && family !== undefined && (isIP(nextHop) === 4) !== (family === 'ipv4')) {
      check.fail(`${path}.nextHop`, `must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address for ${prefix}`);
    }
  }

  const communities = validateCommunities(check, raw['communities'], `${path}.communities`);
  const largeCommunities = validateLargeCommunities(check, raw['largeCommunities'], `${path}.largeCommunities`);

  const localPref = raw['localPref'] === undefined ? undefined : check.integer(raw['localPref'], `${path}.localPref`, 0, 0xffffffff);
  const med = raw['med'] === undefined ? undefined : check.integer(raw['med'], `${path}.med`, 0, 0xffffffff);
  let peers: string[] | undefined;
  if (raw['peers'] !== undefined) {
    peers = [];
    (check.list(raw['peers'], `${path}.peers`) ?? []).forEach((item, index) => {
      const address = check.address(item, `${path}.peers[${index}]`);
      if (address !== undefined) peers?.push(address);
    });
  }

  if (check.problems.length > before) return undefined;
  return {
    ...(peers === undefined ? {} : { peers }),
    prefix: prefix as string,
    family: family as AddressFamily,
    nextHop: nextHop as string,
    communities,
    largeCommunities,
    ...(localPref === undefined ? {} : { localPref }),
    ...(med === undefined ? {} : { med }),
  };
}



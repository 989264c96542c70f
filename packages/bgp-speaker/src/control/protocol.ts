/**
 * The control socket speaks newline-delimited JSON: one request object per line, one reply per line.
 * Kept tiny and explicit so `socat` or `nc -U` can drive it by hand too.
 *
 * Every request is validated here, on both sides: the CLI checks what it is about to send (a bad
 * prefix is a usage error before any socket is opened) and the server checks what it received (a
 * hand-written line never reaches the speaker half-checked). Errors name the field and the reason;
 * they never repeat a value of a field we do not know, so a secret pasted into the wrong place is
 * not echoed back.
 */
import { isIP } from 'node:net';
import { normalizePrefix, parseCommunity, parseLargeCommunity, prefixFamily } from '@metallb-ts/bgp-core';
// Type only: the route travels in the speaker's own library form, so the handler passes it straight on.
import type { RouteInput } from '../speaker.js';

export type NeighborAction = 'reset' | 'shutdown' | 'enable';
export const NEIGHBOR_ACTIONS: readonly NeighborAction[] = ['reset', 'shutdown', 'enable'];

export type ControlRequest =
  | { readonly command: 'neighbors' }
  /** No peer: the routes we originate. `received`: the peer's Adj-RIB-In. `advertised`: what we sent that peer. */
  | { readonly command: 'routes'; readonly received?: string; readonly advertised?: string }
  | { readonly command: 'announce'; readonly route: RouteInput }
  | { readonly command: 'withdraw'; readonly prefix: string }
  | { readonly command: 'neighbor'; readonly address: string; readonly action: NeighborAction; readonly message?: string };

export type ControlCommand = ControlRequest['command'];
const COMMANDS: readonly ControlCommand[] = ['neighbors', 'routes', 'announce', 'withdraw', 'neighbor'];

export type ControlReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string };

export const DEFAULT_CONTROL_PATH = '/run/bgp-speaker.sock';

/**
 * RFC 9003 section 2: the Shutdown Communication is at most 255 octets of UTF-8. Checked here so
 * the operator hears about a long message before the session goes down, not after.
 */
export const MAX_SHUTDOWN_MESSAGE_OCTETS = 255;

const UINT32_MAX = 0xffffffff;

/** A request that is not one we accept; the message names the field and what is wrong with it. */
export class ControlRequestError extends Error {
  readonly code = 'ERR_CONTROL_REQUEST';
}

/** Parses and validates one request line. Throws ControlRequestError, never anything else. */
export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ControlRequestError('request is not valid JSON');
  }
  return validateControlRequest(value);
}

/**
 * Validates a request object and returns it in canonical form (prefixes normalized, absent optional
 * fields left out). Throws ControlRequestError naming the first problem.
 */
export function validateControlRequest(value: unknown): ControlRequest {
  const request = object(value, 'request');
  const command = request['command'];
  switch (command) {
    case 'neighbors':
      onlyFields(request, 'request', ['command']);
      return { command };
    case 'routes':
      return validateRoutes(request);
    case 'announce':
      onlyFields(request, 'request', ['command', 'route']);
      return { command, route: validateRoute(request['route']) };
    case 'withdraw':
      onlyFields(request, 'request', ['command', 'prefix']);
      return { command, prefix: prefix(request['prefix'], 'prefix') };
    case 'neighbor':
      return validateNeighbor(request);
    default:
      throw new ControlRequestError(
        typeof command === 'string'
          ? `unknown command ${quote(command)} (known: ${COMMANDS.join(', ')})`
          : `"command" must be one of ${COMMANDS.join(', ')}`,
      );
  }
}

function validateRoutes(request: Record<string, unknown>): ControlRequest {
  onlyFields(request, 'request', ['command', 'received', 'advertised']);
  const received = request['received'] === undefined ? undefined : address(request['received'], 'received');
  const advertised = request['advertised'] === undefined ? undefined : address(request['advertised'], 'advertised');
  if (received !== undefined && advertised !== undefined) {
    throw new ControlRequestError('"received" and "advertised" cannot be asked for together: one peer, one direction');
  }
  if (received !== undefined) return { command: 'routes', received };
  if (advertised !== undefined) return { command: 'routes', advertised };
  return { command: 'routes' };
}

function validateNeighbor(request: Record<string, unknown>): ControlRequest {
  onlyFields(request, 'request', ['command', 'address', 'action', 'message']);
  const peer = address(request['address'], 'address');
  const action = request['action'];
  if (typeof action !== 'string' || !(NEIGHBOR_ACTIONS as readonly string[]).includes(action)) {
    throw new ControlRequestError(
      `"action" must be one of ${NEIGHBOR_ACTIONS.join(', ')}${typeof action === 'string' ? `, got ${quote(action)}` : ''}`,
    );
  }
  const message = request['message'];
  if (message === undefined) return { command: 'neighbor', address: peer, action: action as NeighborAction };
  // Only Administrative Shutdown carries the operator's text to the peer (RFC 9003 section 2); the
  // speaker's reset has no message, so accepting one there would silently drop it.
  if (action !== 'shutdown') throw new ControlRequestError(`"message" is only sent with shutdown, not with ${action}`);
  if (typeof message !== 'string') throw new ControlRequestError(`"message" must be a string, got ${describe(message)}`);
  const octets = Buffer.byteLength(message, 'utf8');
  if (octets > MAX_SHUTDOWN_MESSAGE_OCTETS) {
    throw new ControlRequestError(`"message" is ${octets} octets of UTF-8; RFC 9003 allows at most ${MAX_SHUTDOWN_MESSAGE_OCTETS}`);
  }
  return { command: 'neighbor', address: peer, action: 'shutdown', message };
}

function validateRoute(value: unknown): RouteInput {
  const raw = object(value, 'route');
  onlyFields(raw, 'route', ['prefix', 'nextHop', 'communities', 'largeCommunities', 'localPref', 'med']);
  const canonical = prefix(raw['prefix'], 'route.prefix');
  const family = prefixFamily(canonical);

  let nextHop: string | undefined;
  if (raw['nextHop'] !== undefined && raw['nextHop'] !== 'self') {
    nextHop = address(raw['nextHop'], 'route.nextHop');
    if ((isIP(nextHop) === 4) !== (family === 'ipv4')) {
      throw new ControlRequestError(`"route.nextHop" must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address for ${canonical}`);
    }
  } else if (raw['nextHop'] === 'self') {
    nextHop = 'self';
  }

  const communities = textList(raw['communities'], 'route.communities', parseCommunity);
  const largeCommunities = textList(raw['largeCommunities'], 'route.largeCommunities', parseLargeCommunity);
  const localPref = raw['localPref'] === undefined ? undefined : uint32(raw['localPref'], 'route.localPref');
  const med = raw['med'] === undefined ? undefined : uint32(raw['med'], 'route.med');

  return {
    prefix: canonical,
    ...(nextHop === undefined ? {} : { nextHop }),
    ...(communities === undefined ? {} : { communities }),
    ...(largeCommunities === undefined ? {} : { largeCommunities }),
    ...(localPref === undefined ? {} : { localPref }),
    ...(med === undefined ? {} : { med }),
  };
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ControlRequestError(`${name === 'request' ? 'request' : `"${name}"`} must be a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Unknown fields are refused (a typo such as "recieved" would otherwise ask for something else); only their names are shown. */
function onlyFields(value: Record<string, unknown>, name: string, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const where = name === 'request' ? '' : ` in "${name}"`;
      throw new ControlRequestError(`unknown field ${quote(key)}${where} (known: ${known.join(', ')})`);
    }
  }
}

function prefix(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new ControlRequestError(`"${name}" must be a prefix such as 10.5.0.1/32, got ${describe(value)}`);
  try {
    return normalizePrefix(value);
  } catch (error) {
    throw new ControlRequestError(`"${name}": ${(error as Error).message}`);
  }
}

function address(value: unknown, name: string): string {
  if (typeof value !== 'string' || isIP(value) === 0) {
    throw new ControlRequestError(`"${name}" must be an IPv4 or IPv6 address, got ${describe(value)}`);
  }
  return value;
}

function uint32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new ControlRequestError(`"${name}" must be an integer from 0 to ${UINT32_MAX}, got ${describe(value)}`);
  }
  return value;
}

/** A list of strings each accepted by `parse` (which throws a message naming the bad text). */
function textList(value: unknown, name: string, parse: (text: string) => unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new ControlRequestError(`"${name}" must be a list of strings, got ${describe(value)}`);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string') throw new ControlRequestError(`"${name}[${index}]" must be a string, got ${describe(item)}`);
    try {
      parse(item);
    } catch (error) {
      throw new ControlRequestError(`"${name}[${index}]": ${(error as Error).message}`);
    }
    return item;
  });
}

const MAX_QUOTED = 64;

/** A user-supplied value for an error message, cut short so a pasted blob does not flood the reply. */
function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return quote(value);
  return `${typeof value} ${String(value)}`;
}

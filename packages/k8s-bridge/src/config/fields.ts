/**
 * Checks of single values shared by the kubespray and the CRD parsers, so that an ASN, a hold
 * time or a pool address means the same thing, with the same message, whichever form it came in.
 * Cross-object checks (overlaps, references, duplicates) are in validate.ts.
 */
import { parseAddressRange } from './addresses.js';
import { canonicalAddress } from './addresses.js';
import type { Checker } from './checker.js';
import { describe } from './checker.js';
import { parseDurationSeconds } from './duration.js';
import type { AddressRange } from './model.js';

/** MetalLB's native speaker default (metallb/metallb internal/bgp/native/native.go). */
export const DEFAULT_HOLD_TIME = 90;
export const DEFAULT_BGP_PORT = 179;
/** MetalLB's BGPPeer CRD: peerPort minimum 1 (v1beta2; 0 in v1beta1 means the default), maximum 16384. */
export const MAX_PEER_PORT = 16384;
/** RFC 2385 keys are limited by Linux's TCP_MD5SIG_MAXKEYLEN, as bgp-speaker checks too. */
export const MAX_PASSWORD_OCTETS = 80;
export const MAX_ASN = 0xffffffff;

export interface Located<T> {
  readonly value: T;
  readonly path: string;
}

/** A 4-octet AS number, 1..4294967295 (RFC 6793; 0 is reserved, RFC 7607). */
export function checkAsn(check: Checker, value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return check.fail(path, 'is required');
  return check.integer(value, path, 1, MAX_ASN);
}

export function checkPort(check: Checker, value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return DEFAULT_BGP_PORT;
  return check.integer(value, path, 1, MAX_PEER_PORT, " (MetalLB's BGPPeer peerPort)");
}

/** An IPv4 or IPv6 address in canonical text. */
export function checkAddress(check: Checker, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return check.fail(path, 'is required: a peer without an address cannot be dialled');
  const text = check.string(value, path);
  if (text === undefined) return undefined;
  const address = canonicalAddress(text.trim());
  if (address === undefined) return check.fail(path, `must be an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
  return address.text;
}

/** A BGP router ID: an IPv4 dotted quad other than 0.0.0.0 (RFC 6286 section 2.1). */
export function checkRouterId(check: Checker, value: unknown, path: string): string | undefined {
  const text = check.string(value, path);
  if (text === undefined) return undefined;
  const address = canonicalAddress(text.trim());
  if (address === undefined || address.family !== 'ipv4') return check.fail(path, `must be an IPv4 dotted quad (RFC 4271 section 4.2), got ${JSON.stringify(text)}`);
  if (address.value === 0n) return check.fail(path, 'must not be 0.0.0.0 (RFC 6286 section 2.1)');
  return address.text;
}

/** A metav1.Duration of whole seconds; numbers are refused because the API server refuses them too. */
export function checkDuration(check: Checker, value: unknown, path: string): number | undefined {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? ` (write "${value}s")` : '';
    return check.fail(path, `must be a duration such as "90s"${hint}, got ${describe(value)}`);
  }
  const parsed = parseDurationSeconds(value.trim());
  if ('error' in parsed) return check.fail(path, parsed.error);
  return parsed.seconds;
}

/**
 * Hold and keepalive times with MetalLB's defaulting (internal/config/config.go parseTimers):
 * neither given, 90 s and 30 s; only the hold time, a third of it; only the keepalive, three
 * times it. The hold time must be 0 or at least 3 s (RFC 4271 section 4.2); the keepalive below
 * it (RFC 4271 section 10 suggests a third); with a hold time of 0 no keepalives are sent.
 */
export function checkTimers(
  check: Checker,
  hold: Located<number | undefined> | undefined,
  keepalive: Located<number | undefined> | undefined,
): { holdTime: number; keepaliveTime: number } | undefined {
  if (hold !== undefined && hold.value === undefined) return undefined;
  if (keepalive !== undefined && keepalive.value === undefined) return undefined;
  const holdGiven = hold?.value;
  const keepaliveGiven = keepalive?.value;
  const holdTime = holdGiven ?? (keepaliveGiven === undefined ? DEFAULT_HOLD_TIME : keepaliveGiven * 3);
  const keepaliveTime = keepaliveGiven ?? Math.floor(holdTime / 3);
  const holdPath = hold?.path ?? keepalive?.path ?? '';
  if (holdTime > 65535) return check.fail(holdPath, `must be at most 65535 seconds (a 16-bit field, RFC 4271 section 4.2), got ${holdTime} s`);
  if (holdTime === 1 || holdTime === 2) {
    return check.fail(holdPath, `must be 0 or at least 3 seconds (RFC 4271 section 4.2), got ${holdTime} s`);
  }
  if (keepalive !== undefined) {
    if (holdTime === 0 && keepaliveTime !== 0) {
      return check.fail(keepalive.path, 'must be 0 when the hold time is 0 (no keepalives are sent, RFC 4271 section 4.4)');
    }
    if (holdTime > 0 && keepaliveTime >= holdTime) {
      return check.fail(keepalive.path, `must be less than the hold time (${holdTime} s)`);
    }
  }
  return { holdTime, keepaliveTime };
}

/** A TCP-MD5 key. Never echoed: it is a secret even when it has the wrong type. */
export function checkPassword(check: Checker, value: unknown, path: string): string | undefined {
  if (typeof value !== 'string' || value === '') {
    return check.fail(path, `must be a non-empty string (quote it in YAML), got ${value === null ? 'null' : typeof value}`);
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_PASSWORD_OCTETS) {
    return check.fail(path, `must be at most ${MAX_PASSWORD_OCTETS} octets (TCP-MD5 key limit)`);
  }
  return value;
}

/** A pool's address entries; a CIDR with host bits set is taken as its network, with a warning. */
export function checkAddressRanges(check: Checker, value: unknown, path: string, owner: string): Located<AddressRange>[] {
  if (value === undefined || value === null) {
    check.fail(path, 'is required: a pool needs at least one CIDR or range');
    return [];
  }
  const list = check.list(value, path);
  if (list === undefined) return [];
  if (list.length === 0) check.fail(path, 'must list at least one CIDR or range');
  const out: Located<AddressRange>[] = [];
  list.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    const text = check.string(item, itemPath);
    if (text === undefined) return;
    const parsed = parseAddressRange(text);
    if ('error' in parsed) {
      check.fail(itemPath, parsed.error);
      return;
    }
    if (parsed.hostBitsCleared) {
      check.warn(`${itemPath}: ${JSON.stringify(text)} has host bits set; ${owner} covers all of ${parsed.range.text}`);
    }
    out.push({ value: parsed.range, path: itemPath });
  });
  return out;
}

/** A Kubernetes object name (DNS-1123 subdomain), as metadata.name must be. */
export function checkObjectName(check: Checker, value: unknown, path: string): string | undefined {
  const text = check.string(value, path);
  if (text === undefined) return undefined;
  if (text.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(text)) {
    return check.fail(path, `${JSON.stringify(text)} is not a valid Kubernetes object name (lower-case letters, digits, - and ., alphanumeric at both ends)`);
  }
  return text;
}

/**
 * kubespray renders numbers into the manifests unquoted, so a quoted "64512" in the inventory
 * still reaches MetalLB as a number; accept it the same way.
 */
export function ansibleNumber(value: unknown): unknown {
  return typeof value === 'string' && /^[0-9]{1,10}$/.test(value.trim()) ? Number(value.trim()) : value;
}

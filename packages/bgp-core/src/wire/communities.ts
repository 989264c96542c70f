/**
 * Community text as operators write it in configuration and read it in output:
 * RFC 1997 communities ("64512:100" or a well-known name) and RFC 8092 large communities
 * ("4200000000:1:2"). Errors are plain Errors with a message fit for a config error.
 */
import { WellKnownCommunity } from './constants.js';
import type { LargeCommunity } from './types.js';

/** Well-known community names, as IANA and the common router CLIs spell them. */
const NAME_TO_VALUE: ReadonlyMap<string, number> = new Map([
  ['no-export', WellKnownCommunity.NO_EXPORT],
  ['no-advertise', WellKnownCommunity.NO_ADVERTISE],
  ['no-export-subconfed', WellKnownCommunity.NO_EXPORT_SUBCONFED],
  ['no-peer', WellKnownCommunity.NO_PEER],
  ['blackhole', WellKnownCommunity.BLACKHOLE],
  ['graceful-shutdown', WellKnownCommunity.GRACEFUL_SHUTDOWN],
  ['accept-own', WellKnownCommunity.ACCEPT_OWN],
  ['llgr-stale', WellKnownCommunity.LLGR_STALE],
  ['no-llgr', WellKnownCommunity.NO_LLGR],
]);

const VALUE_TO_NAME: ReadonlyMap<number, string> = new Map([...NAME_TO_VALUE].map(([name, value]) => [value, name]));

/** A decimal number without sign or leading zeros, at most `max`; -1 when it is not one. */
function parseDecimal(text: string, max: number): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return -1;
  const value = Number(text);
  return value <= max ? value : -1;
}

/**
 * "ASN:value" (each 0-65535) or a well-known name ("no-export", "blackhole", ...; case and
 * underscores are forgiven: "NO_EXPORT" works) to the 32-bit community value.
 */
export function parseCommunity(text: string): number {
  const named = NAME_TO_VALUE.get(text.toLowerCase().replaceAll('_', '-'));
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length === 2) {
    const high = parseDecimal(parts[0] as string, 0xffff);
    const low = parseDecimal(parts[1] as string, 0xffff);
    if (high >= 0 && low >= 0) return (high * 0x10000 + low) >>> 0;
  }
  throw new Error(
    `"${text}" is not a community: expected ASN:value with both parts 0-65535, or one of ${[...NAME_TO_VALUE.keys()].join(', ')}`,
  );
}

/** The 32-bit community as text: a well-known name when it has one, else "high:low". */
export function formatCommunity(value: number): string {
  const name = VALUE_TO_NAME.get(value >>> 0);
  if (name !== undefined) return name;
  return `${value >>> 16}:${value & 0xffff}`;
}

/** "global:local1:local2", each part 0-4294967295 (RFC 8092 section 2). */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.split(':');
  if (parts.length === 3) {
    const globalAdmin = parseDecimal(parts[0] as string, 0xffffffff);
    const localData1 = parseDecimal(parts[1] as string, 0xffffffff);
    const localData2 = parseDecimal(parts[2] as string, 0xffffffff);
    if (globalAdmin >= 0 && localData1 >= 0 && localData2 >= 0) return { globalAdmin, localData1, localData2 };
  }
  throw new Error(`"${text}" is not a large community: expected global:local1:local2 with each part 0-4294967295`);
}

export function formatLargeCommunity(community: LargeCommunity): string {
  return `${community.globalAdmin}:${community.localData1}:${community.localData2}`;
}

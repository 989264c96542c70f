/**
 * How a route is shown to operators (`routes --json`, the library's read API): plain JSON with
 * RFC names, no wire details.
 */
import { asPathToArray, formatCommunity, formatLargeCommunity } from '@metallb-ts/bgp-core';
import type { PathAttributes } from '@metallb-ts/bgp-core';

export interface RouteView {
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly asPath: readonly number[];
  readonly origin: 'igp' | 'egp' | 'incomplete' | null;
  readonly med: number | null;
  readonly localPref: number | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** Kept from a peer that is restarting (RFC 4724); present only when true. */
  readonly stale?: true;
}

const ORIGIN_NAMES = ['igp', 'egp', 'incomplete'] as const;

export function routeView(prefix: string, attributes: PathAttributes, nextHop: string | undefined): RouteView {
  return {
    prefix,
    nextHop: nextHop ?? null,
    asPath: attributes.asPath === undefined ? [] : asPathToArray(attributes.asPath),
    origin: attributes.origin === undefined ? null : (ORIGIN_NAMES[attributes.origin] ?? null),
    med: attributes.med ?? null,
    localPref: attributes.localPref ?? null,
    communities: (attributes.communities ?? []).map(formatCommunity),
    largeCommunities: (attributes.largeCommunities ?? []).map(formatLargeCommunity),
  };
}

/**
 * Export policy of RFC 4271 section 5.1: which attributes a route carries to one peer.
 * eBGP: our AS prepended to an empty path (plus any configured prepends), no LOCAL_PREF (5.1.5);
 * iBGP: an empty AS_PATH and LOCAL_PREF. The path is always the true one: for a peer without
 * 4-octet AS support the UPDATE packer writes AS_TRANS in AS_PATH and the real path in AS4_PATH
 * (RFC 6793 section 4.2.2).
 *
 * The peer's `export` settings add to the route's own attributes: communities are joined, and
 * LOCAL_PREF, MED and the next hop apply where the route does not set its own.
 */
import { AsPathSegmentType, Origin, parseLargeCommunity } from '@metallb-ts/bgp-core';
import type { AsPathSegment, PathAttributes } from '@metallb-ts/bgp-core';
import type { AnnouncementConfig, ExportConfig } from '../config/schema.js';

export interface ExportContext {
  readonly localAsn: number;
  readonly peerAsn: number;
  readonly export: ExportConfig;
}

/** iBGP peers get LOCAL_PREF 100 unless the route or the peer says otherwise (the common default). */
const DEFAULT_LOCAL_PREF = 100;

export interface ExportedRoute {
  /** Attributes without the next hop for IPv6 (the packer puts it in MP_REACH_NLRI). */
  readonly attributes: PathAttributes;
  /** Equal for routes that can share one UPDATE towards this peer. */
  readonly key: string;
}

/** The next hop the route asks for towards this peer: an address, or `self` still to resolve. */
export function wantedNextHop(route: AnnouncementConfig, exportConfig: ExportConfig): string {
  if (route.nextHop !== 'self') return route.nextHop;
  const configured = route.family === 'ipv4' ? exportConfig.nextHopIpv4 : exportConfig.nextHopIpv6;
  return configured ?? 'self';
}

export function exportRoute(route: AnnouncementConfig, context: ExportContext, nextHop: string): ExportedRoute {
  const ibgp = context.localAsn === context.peerAsn;
  const peerExport = context.export;
  const asPath: AsPathSegment[] = ibgp
    ? []
    : [{ type: AsPathSegmentType.AS_SEQUENCE, asns: new Array<number>(1 + peerExport.asPathPrepend).fill(context.localAsn) }];
  const communities = union(route.communities, peerExport.communities);
  const largeCommunities = union(route.largeCommunities, peerExport.largeCommunities);
  const med = route.med ?? peerExport.med;
  const localPref = ibgp ? (route.localPref ?? peerExport.localPref ?? DEFAULT_LOCAL_PREF) : undefined;
  const attributes: PathAttributes = {
    origin: Origin.IGP,
    asPath,
    ...(route.family === 'ipv4' ? { nextHop } : {}),
    ...(med === undefined ? {} : { med }),
    ...(localPref === undefined ? {} : { localPref }),
    ...(communities.length === 0 ? {} : { communities }),
    ...(largeCommunities.length === 0 ? {} : { largeCommunities: largeCommunities.map(parseLargeCommunity) }),
  };
  const key = `${route.family}|${nextHop}|${med ?? ''}|${localPref ?? ''}|${communities.join(',')}|${largeCommunities.join(',')}|${asPath[0]?.asns.length ?? 0}`;
  return { attributes, key };
}

function union<T>(own: readonly T[], added: readonly T[]): readonly T[] {
  if (added.length === 0) return own;
  return [...own, ...added.filter((value) => !own.includes(value))];
}

/**
 * Export policy of RFC 4271 section 5.1: which attributes a route carries to one peer.
 * eBGP: our AS prepended to an empty path, no LOCAL_PREF (5.1.5); iBGP: an empty AS_PATH and LOCAL_PREF.
 * The path is always the true one: for a peer without 4-octet AS support the UPDATE packer writes
 * AS_TRANS in AS_PATH and the real path in AS4_PATH (RFC 6793 section 4.2.2).
 */
import { AsPathSegmentType, Origin, parseLargeCommunity } from '@metallb-ts/bgp-core';
import type { AsPathSegment, PathAttributes } from '@metallb-ts/bgp-core';
import type { AnnouncementConfig } from '../config/schema.js';

export interface ExportContext {
  readonly localAsn: number;
  readonly peerAsn: number;
}

/** iBGP peers get LOCAL_PREF 100 unless the announcement says otherwise (the common default). */
const DEFAULT_LOCAL_PREF = 100;

/**
 * The attributes of one announcement towards one peer, without the next hop (the packer puts it in
 * NEXT_HOP or MP_REACH_NLRI by family). Announcements with equal attributes give equal keys, so the
 * caller can group their prefixes into shared UPDATEs.
 */
export function exportAttributes(route: AnnouncementConfig, context: ExportContext, nextHopV4: string | undefined): PathAttributes {
  const ibgp = context.localAsn === context.peerAsn;
  const asPath: AsPathSegment[] = ibgp ? [] : [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [context.localAsn] }];
  return {
    origin: Origin.IGP,
    asPath,
    ...(nextHopV4 === undefined ? {} : { nextHop: nextHopV4 }),
    ...(route.med === undefined ? {} : { med: route.med }),
    ...(ibgp ? { localPref: route.localPref ?? DEFAULT_LOCAL_PREF } : {}),
    ...(route.communities.length === 0 ? {} : { communities: route.communities }),
    ...(route.largeCommunities.length === 0 ? {} : { largeCommunities: route.largeCommunities.map(parseLargeCommunity) }),
  };
}

/** A grouping key for routes that can share one UPDATE towards a peer. */
export function attributeGroupKey(route: AnnouncementConfig, nextHop: string): string {
  return JSON.stringify([route.family, nextHop, route.med ?? null, route.localPref ?? null, route.communities, route.largeCommunities]);
}

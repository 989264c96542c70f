/**
 * MetalLB's BGP metrics, name for name, so its dashboards and alerts keep working unchanged.
 *
 * Matched against MetalLB's own source, github.com/metallb/metallb:
 *  - internal/bgp/metrics/metrics.go: namespace "metallb", subsystem "bgp", and the names and help
 *    texts of session_up, updates_total and announced_prefixes_total;
 *  - internal/bgp/native/stats.go (native BGP mode): their types (session_up, announced_prefixes_total
 *    and pending_prefixes_total gauges, updates_total a counter), pending_prefixes_total's help, and
 *    the single label `peer`, whose value is the session's PeerAddress, built by the speaker's BGP
 *    controller as net.JoinHostPort(ip, port): "192.0.2.1:179", "[2001:db8::1]:179";
 *  - frr-tools/metrics/collector/bgp.go (FRR mode, the frr-metrics sidecar): the message counters
 *    (opens_sent, opens_received, notifications_sent, updates_total_received, keepalives_sent,
 *    keepalives_received, route_refresh_sent, total_sent, total_received), all counters, with the
 *    labels `peer` and `vrf`, peer formatted "%s:%d" (an IPv6 address without brackets) and vrf the
 *    FRR VRF name ("default" for the default VRF).
 *
 * Neither mode exports all of these: native mode has no message counters, FRR mode no pending
 * prefixes. We export the union. The label style follows native mode unless asked for FRR's.
 */
import type { PeerStats } from './peer-stats.js';

export type MetricKind = 'gauge' | 'counter';

export interface MetalLbMetric {
  /** Full name, "metallb_bgp_" included. */
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly value: (peer: PeerStats) => number;
}

export const METALLB_BGP_METRICS: readonly MetalLbMetric[] = [
  // internal/bgp/metrics/metrics.go + internal/bgp/native/stats.go
  { name: 'metallb_bgp_session_up', help: 'BGP session state (1 is up, 0 is down)', kind: 'gauge', value: (p) => (p.sessionUp ? 1 : 0) },
  { name: 'metallb_bgp_updates_total', help: 'Number of BGP UPDATE messages sent', kind: 'counter', value: (p) => p.sent.update },
  {
    name: 'metallb_bgp_announced_prefixes_total',
    help: 'Number of prefixes currently being advertised on the BGP session',
    kind: 'gauge',
    value: (p) => p.announcedPrefixes,
  },
  {
    name: 'metallb_bgp_pending_prefixes_total',
    help: 'Number of prefixes that should be advertised on the BGP session',
    kind: 'gauge',
    value: (p) => p.pendingPrefixes,
  },
  // frr-tools/metrics/collector/bgp.go
  { name: 'metallb_bgp_opens_sent', help: 'Number of BGP open messages sent', kind: 'counter', value: (p) => p.sent.open },
  { name: 'metallb_bgp_opens_received', help: 'Number of BGP open messages received', kind: 'counter', value: (p) => p.received.open },
  { name: 'metallb_bgp_notifications_sent', help: 'Number of BGP notification messages sent', kind: 'counter', value: (p) => p.sent.notification },
  {
    name: 'metallb_bgp_updates_total_received',
    help: 'Number of BGP UPDATE messages received',
    kind: 'counter',
    value: (p) => p.received.update,
  },
  { name: 'metallb_bgp_keepalives_sent', help: 'Number of BGP keepalive messages sent', kind: 'counter', value: (p) => p.sent.keepalive },
  {
    name: 'metallb_bgp_keepalives_received',
    help: 'Number of BGP keepalive messages received',
    kind: 'counter',
    value: (p) => p.received.keepalive,
  },
  {
    name: 'metallb_bgp_route_refresh_sent',
    help: 'Number of BGP route refresh messages sent',
    kind: 'counter',
    value: (p) => p.sent.routeRefresh,
  },
  { name: 'metallb_bgp_total_sent', help: 'Number of total BGP messages sent', kind: 'counter', value: (p) => p.sent.total },
  { name: 'metallb_bgp_total_received', help: 'Number of total BGP messages received', kind: 'counter', value: (p) => p.received.total },
];

/**
 * How the labels look. 'native' (the default): `peer` only, as MetalLB's native speaker writes
 * it. 'frr': `peer` and `vrf`, as MetalLB's frr-metrics writes them, for dashboards built on FRR mode.
 */
export type LabelStyle = 'native' | 'frr';

/** FRR's name for the default VRF; this speaker has no other. */
export const DEFAULT_VRF = 'default';

export function labelNames(style: LabelStyle): readonly string[] {
  return style === 'frr' ? ['peer', 'vrf'] : ['peer'];
}

/** The label values for one peer, in the style asked for. */
export function peerLabels(peer: Pick<PeerStats, 'address' | 'port'>, style: LabelStyle): Record<string, string> {
  if (style === 'frr') return { peer: `${peer.address}:${peer.port}`, vrf: DEFAULT_VRF };
  // net.JoinHostPort: brackets around an IPv6 address.
  const host = peer.address.includes(':') ? `[${peer.address}]` : peer.address;
  return { peer: `${host}:${peer.port}` };
}

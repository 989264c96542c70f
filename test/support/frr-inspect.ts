/**
 * What FRR says about one neighbour and one prefix, read from its JSON as it is (FRR 8.4), for
 * the production tests: message counters, the last NOTIFICATION, and per-path flags (multipath,
 * stale) that the lab's normalised LabRoute does not carry. Also an FRR with graceful restart in
 * its own config file, so that a restart() of the daemon keeps it.
 */
import { FrrRouter } from '../lab/frr.js';
import type { Family } from '../lab/router.js';

/** `show bgp neighbors ADDRESS json` -> messageStats. */
export interface FrrMessageStats {
  readonly opensSent: number;
  readonly opensRecv: number;
  readonly notificationsSent: number;
  readonly notificationsRecv: number;
  readonly updatesSent: number;
  readonly updatesRecv: number;
  readonly keepalivesSent: number;
  readonly keepalivesRecv: number;
  readonly routeRefreshSent: number;
  readonly routeRefreshRecv: number;
  readonly totalSent: number;
  readonly totalRecv: number;
}

/** The parts of `show bgp neighbors ADDRESS json` the tests read. */
export interface FrrNeighborDetail {
  readonly bgpState: string;
  /** Seconds since epoch when the session came up (only while Established). */
  readonly bgpTimerUpEstablishedEpoch?: number;
  readonly bgpTimerUpMsec?: number;
  readonly connectionsEstablished: number;
  readonly connectionsDropped: number;
  readonly messageStats: FrrMessageStats;
  /** "0602": code and subcode of the last NOTIFICATION sent or received, two hex digits each. */
  readonly lastErrorCodeSubcode?: string;
  /** "Cease/Administrative Shutdown". */
  readonly lastNotificationReason?: string;
  /** The RFC 9003 shutdown communication of the last NOTIFICATION received. */
  readonly lastShutdownDescription?: string;
  /** "BGP Notification received", "BGP Notification send", ... */
  readonly lastResetDueTo?: string;
  readonly gracefulRestartInfo?: {
    readonly localGrMode?: string;
    readonly remoteGrMode?: string;
    readonly rBit?: boolean;
    readonly nBit?: boolean;
    readonly endOfRibRecv?: Record<string, unknown>;
    readonly endOfRibSend?: Record<string, unknown>;
    readonly timers?: { readonly configuredRestartTimer?: number; readonly receivedRestartTimer?: number };
  };
  readonly neighborCapabilities?: Record<string, unknown>;
}

export async function frrNeighbor(frr: FrrRouter, address: string): Promise<FrrNeighborDetail> {
  const text = await frr.vtysh(`show bgp neighbors ${address} json`);
  const json = JSON.parse(text) as Record<string, FrrNeighborDetail | undefined>;
  const detail = json[address];
  if (detail === undefined) throw new Error(`FRR has no neighbor ${address}: ${text.slice(0, 300)}`);
  return detail;
}

/** One path of `show bgp <afi> unicast PREFIX json`, with the flags FRR sets on it. */
export interface FrrPath {
  /** The neighbour it came from. */
  readonly peer: string | undefined;
  readonly nextHop: string | undefined;
  readonly asPath: string;
  readonly best: boolean;
  /** One of the equal-cost paths FRR uses (maximum-paths); the best one is flagged too when there are several. */
  readonly multipath: boolean;
  /** Kept for a restarting neighbour (RFC 4724 helper), not yet refreshed. */
  readonly stale: boolean;
  readonly valid: boolean;
}

interface FrrPathJson {
  readonly aspath?: { readonly string?: string };
  readonly nexthops?: readonly { readonly ip?: string }[];
  readonly peer?: { readonly peerId?: string };
  readonly bestpath?: { readonly overall?: boolean };
  readonly multipath?: boolean;
  readonly stale?: boolean;
  readonly valid?: boolean;
}

const AFI: Readonly<Record<Family, string>> = { ipv4: 'ipv4 unicast', ipv6: 'ipv6 unicast' };

/** Every path FRR holds for `prefix` (an empty list when it holds none). */
export async function frrPaths(frr: FrrRouter, prefix: string): Promise<FrrPath[]> {
  const family: Family = prefix.includes(':') ? 'ipv6' : 'ipv4';
  const text = await frr.vtysh(`show bgp ${AFI[family]} ${prefix} json`);
  const json = JSON.parse(text.trim() === '' ? '{}' : text) as { readonly paths?: readonly FrrPathJson[] };
  return (json.paths ?? []).map((p) => ({
    peer: p.peer?.peerId,
    nextHop: p.nexthops?.[0]?.ip,
    asPath: p.aspath?.string ?? '',
    best: p.bestpath?.overall === true,
    multipath: p.multipath === true,
    stale: p.stale === true,
    valid: p.valid === true,
  }));
}

export interface FrrGracefulRestartOptions {
  /** `bgp graceful-restart restart-time`: what FRR asks its peers to wait for it (seconds). */
  readonly restartTime: number;
  /** `bgp graceful-restart preserve-fw-state`: the F bit in FRR's capability (RFC 4724 section 3). */
  readonly preserveForwardingState?: boolean;
}

/**
 * FRR with `bgp graceful-restart` (both roles: FRR restarts gracefully, and helps its peers) in
 * bgpd.conf itself, so that restart() of the daemon keeps it. FRR's default is helper only.
 */
export class GracefulRestartFrr extends FrrRouter {
  constructor(private readonly gr: FrrGracefulRestartOptions) {
    super();
  }

  override renderConfig(): string {
    const lines = super.renderConfig().split('\n');
    const at = lines.findIndex((line) => line.startsWith(' bgp router-id '));
    if (at === -1) throw new Error('FRR config without bgp router-id');
    const gr = [' bgp graceful-restart', ` bgp graceful-restart restart-time ${this.gr.restartTime}`];
    if (this.gr.preserveForwardingState === true) gr.push(' bgp graceful-restart preserve-fw-state');
    lines.splice(at + 1, 0, ...gr);
    return lines.join('\n');
  }
}

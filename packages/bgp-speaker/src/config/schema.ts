/**
 * The validated speaker configuration: what `bgp-speaker run --config FILE` runs. Everything here
 * has been checked (see validate.ts); code downstream never re-validates.
 */
import type { AddressFamily } from '@metallb-ts/bgp-core';

export interface ListenConfig {
  readonly address: string;
  readonly port: number;
}

/** RFC 4486: over `limit` received prefixes, Cease/Maximum Number of Prefixes Reached. */
export interface MaxPrefixesConfig {
  readonly limit: number;
  /** Seconds the peer stays down after that before we try again. */
  readonly restartTime: number;
}

/** RFC 4724 graceful restart, both roles. */
export interface GracefulRestartPeerConfig {
  readonly enabled: boolean;
  /** Seconds the peer may keep our routes while we restart (the Restart Time we advertise). */
  readonly restartTime: number;
}

/**
 * What this peer gets on top of each route's own attributes: communities are added, the others
 * apply where the route does not set its own. LOCAL_PREF goes to iBGP peers only.
 */
export interface ExportConfig {
  readonly communities: readonly number[];
  readonly largeCommunities: readonly string[];
  readonly localPref?: number;
  readonly med?: number;
  /** Next hop for IPv4 routes whose own next hop is `self`. */
  readonly nextHopIpv4?: string;
  /** Next hop for IPv6 routes whose own next hop is `self`; a global address (RFC 2545). */
  readonly nextHopIpv6?: string;
  /** How many extra times our AS is prepended (eBGP). */
  readonly asPathPrepend: number;
}

export interface PeerConfig {
  readonly address: string;
  readonly asn: number;
  readonly port: number;
  /** The TCP-MD5 key (RFC 2385). Never logged: use `describePeer` for anything printed. */
  readonly password?: string;
  /** Seconds; 0 (no keepalives, no hold timer) or 3..65535 (RFC 4271 section 4.2). */
  readonly holdTime: number;
  /** Seconds; a third of the hold time unless given (RFC 4271 section 10). */
  readonly keepaliveTime: number;
  /** Seconds between connection attempts (RFC 4271 ConnectRetryTime). */
  readonly connectRetryTime: number;
  /**
   * RFC 9687 SendHoldTime, seconds: a session on which nothing we send can leave for this long
   * (the peer stopped reading) is closed. 0 disables it; absent: max(8 minutes, 2 x hold time).
   */
  readonly sendHoldTime?: number;
  readonly passive: boolean;
  readonly sourceAddress?: string;
  /** The address families to negotiate (Multiprotocol capability, RFC 4760). */
  readonly families: readonly AddressFamily[];
  /**
   * Send the 4-octet AS capability (RFC 6793). Default true; false only for a 2-octet-only peer
   * that refuses the capability: it then knows us as AS_TRANS (23456), and our real AS path
   * travels in AS4_PATH.
   */
  readonly fourOctetAs: boolean;
  readonly maxPrefixes?: MaxPrefixesConfig;
  readonly gracefulRestart?: GracefulRestartPeerConfig;
  readonly export: ExportConfig;
}

export interface AnnouncementConfig {
  /** A canonical CIDR prefix. */
  readonly prefix: string;
  readonly family: AddressFamily;
  /** `self` or an address of the prefix's family. */
  readonly nextHop: 'self' | string;
  /** RFC 1997 communities as 32-bit numbers. */
  readonly communities: readonly number[];
  /** RFC 8092 large communities as "global:local1:local2" text, validated. */
  readonly largeCommunities: readonly string[];
  /** Sent to iBGP peers only (RFC 4271 section 5.1.5). */
  readonly localPref?: number;
  readonly med?: number;
  /** Only these peers (addresses) get the route; absent: every peer. */
  readonly peers?: readonly string[];
}

export interface MetricsConfig {
  readonly address: string;
  readonly port: number;
}

export interface SpeakerConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly listen?: ListenConfig;
  /** Prometheus metrics over HTTP, when present. */
  readonly metrics?: MetricsConfig;
  readonly peers: readonly PeerConfig[];
  readonly announce: readonly AnnouncementConfig[];
}

/** A peer as it may be shown anywhere: everything but the password. */
export function describePeer(peer: PeerConfig): Omit<PeerConfig, 'password'> & { passwordSet: boolean } {
  const { password, ...rest } = peer;
  return { ...rest, passwordSet: password !== undefined };
}

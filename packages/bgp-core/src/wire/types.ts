/**
 * The typed BGP messages the codec reads and writes. Plain readonly data: no methods, no I/O.
 *
 * Prefixes are canonical CIDR strings ("10.5.0.1/32", "2001:db8::/32"): compact in memory, usable
 * directly as Map keys by the RIBs, and what operators read in logs and control output. The codec
 * masks host bits on decode, so one prefix always has one spelling.
 */
import type { AsPathSegmentTypeCode, OriginCode } from './constants.js';
import type { BgpWireError } from './errors.js';

/** What a session negotiated, passed to every decode/encode call; the codec keeps no state of its own. */
export interface CodecOptions {
  /** RFC 6793: both sides sent the 4-octet AS capability, so AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** RFC 8654: both sides sent the extended message capability, so UPDATEs may be up to 65535 octets. */
  readonly extendedMessage: boolean;
  /**
   * RFC 7313: both sides sent the enhanced route refresh capability, so a ROUTE-REFRESH of the
   * wrong length is answered with ROUTE-REFRESH Message Error/Invalid Message Length (section 5)
   * instead of the header's Bad Message Length. Absent means false.
   */
  readonly enhancedRouteRefresh?: boolean;
}

/** Before the OPEN exchange (and for OPEN itself): 2-octet AS_PATH, 4096-octet messages. */
export const DEFAULT_CODEC_OPTIONS: CodecOptions = { fourOctetAs: false, extendedMessage: false };

export type AddressFamily = 'ipv4' | 'ipv6';

/** An AFI/SAFI pair as carried on the wire (RFC 4760). */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

// ---------------------------------------------------------------------------------------------
// OPEN and capabilities (RFC 4271 section 4.2, RFC 5492)

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  /** Cisco's pre-standard code 128; treated like route-refresh. */
  | { readonly kind: 'route-refresh-cisco' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  | { readonly kind: 'extended-message' }
  | {
      readonly kind: 'graceful-restart';
      /** The Restart State (R) bit: the sender has restarted (RFC 4724 section 3). */
      readonly restarting: boolean;
      /** The Graceful Notification (N) bit of RFC 8538. */
      readonly notification: boolean;
      /** Seconds, 12 bits. */
      readonly restartTime: number;
      readonly families: readonly {
        readonly afi: number;
        readonly safi: number;
        /** The Forwarding State (F) bit. */
        readonly forwardingPreserved: boolean;
      }[];
    }
  /** Anything we do not understand is kept byte for byte (RFC 5492 section 3). */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field as sent (AS_TRANS when the real ASN needs 4 octets). */
  readonly myAsn: number;
  readonly holdTime: number;
  /** The BGP Identifier as a dotted quad. */
  readonly routerId: string;
  readonly capabilities: readonly Capability[];
  /**
   * Optional parameters other than capabilities (type != 2), kept so the FSM can answer them with
   * OPEN/Unsupported Optional Parameter (RFC 4271 section 6.2).
   */
  readonly unknownParameters: readonly { readonly type: number; readonly value: Uint8Array }[];
}

// ---------------------------------------------------------------------------------------------
// UPDATE (RFC 4271 section 4.3, RFC 4760)

export interface AsPathSegment {
  readonly type: AsPathSegmentTypeCode;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

/** A large community (RFC 8092) as its three 32-bit parts. */
export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** One next hop, or for IPv6 a global and a link-local one (RFC 2545 section 3). */
  readonly nextHops: readonly string[];
  readonly nlri: readonly string[];
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly string[];
}

/** An attribute we do not interpret, kept byte for byte so it can be passed on. */
export interface RawAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}

/**
 * The path attributes of one UPDATE. A field is present only when the attribute was present.
 * AS_PATH holds what was on the wire; `reconstructAsPath` (RFC 6793 section 4.2.3) merges AS4_PATH.
 */
export interface PathAttributes {
  readonly origin?: OriginCode;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities as 32-bit numbers. */
  readonly communities?: readonly number[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /** RFC 4360 extended communities, 8 octets each. */
  readonly extendedCommunities?: readonly Uint8Array[];
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Optional transitive attributes we do not know, to pass on with the Partial bit set; others we do not know are dropped. */
  readonly unknown?: readonly RawAttribute[];
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 withdrawn routes from the Withdrawn Routes field. */
  readonly withdrawn: readonly string[];
  readonly attributes: PathAttributes;
  /** IPv4 NLRI from the end of the message. */
  readonly nlri: readonly string[];
  /**
   * Errors that did not end the session (RFC 7606): `attribute-discard` ones (the attribute is
   * already left out of `attributes`) and `treat-as-withdraw` ones. When any is treat-as-withdraw,
   * the receiver must handle every prefix of `nlri` and `mpReach.nlri` as withdrawn. Absent when
   * the message was clean.
   */
  readonly problems?: readonly BgpWireError[];
}

// ---------------------------------------------------------------------------------------------
// NOTIFICATION, KEEPALIVE, ROUTE-REFRESH

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /**
   * RFC 9003: for Cease/Administrative Shutdown and Cease/Administrative Reset, the UTF-8
   * shutdown communication decoded from `data`, when it is well formed.
   */
  readonly shutdownMessage?: string;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype: 0 normal request, 1 Beginning of RR, 2 End of RR. */
  readonly subtype: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

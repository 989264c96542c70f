/**
 * The OPEN exchange: our OPEN built from config, the peer's OPEN checked (RFC 4271 section 6.2,
 * RFC 6793, RFC 6286, RFC 5492) and both combined into what the session negotiated.
 *
 * Pure functions of (message, config). A failed check is a BgpWireError carrying the exact
 * NOTIFICATION, so the FSM answers it like any decode error.
 */
import { Afi, AS_TRANS, BGP_VERSION, CapabilityCode, ErrorCode, OpenSubcode, Safi } from '../wire/constants.js';
import { BgpWireError } from '../wire/errors.js';
import type { AddressFamily, Capability, CodecOptions, OpenMessage } from '../wire/types.js';
import { parseDottedQuad } from './config.js';
import type { OpenConfig } from './config.js';

export type GracefulRestartCapability = Extract<Capability, { kind: 'graceful-restart' }>;

/** What both sides agreed on; handed to the session layer with `session-established`. */
export interface Negotiated {
  /** min(ours, theirs); 0 means no hold timer and no keepalives (RFC 4271 section 4.2). */
  readonly holdTimeSeconds: number;
  /** 0 when holdTimeSeconds is 0; otherwise at least 1 and at most a third of the hold time. */
  readonly keepaliveSeconds: number;
  readonly fourOctetAs: boolean;
  readonly extendedMessage: boolean;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** Unicast families both sides offered, in our configured order. */
  readonly families: readonly AddressFamily[];
  /** The peer's Graceful Restart capability (RFC 4724), or undefined when it sent none. */
  readonly peerGracefulRestart: GracefulRestartCapability | undefined;
  readonly peerRouterId: string;
  /** The peer's real AS: from the 4-octet AS capability when sent, else the 2-octet field. */
  readonly peerAsn: number;
  /** What the codec needs from now on. */
  readonly codecOptions: CodecOptions;
}

export type OpenCheck =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly error: BgpWireError };

const FAMILY_AFI: Readonly<Record<AddressFamily, number>> = { ipv4: Afi.IPV4, ipv6: Afi.IPV6 };

function familyOf(afi: number, safi: number): AddressFamily | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 'ipv4';
  if (afi === Afi.IPV6) return 'ipv6';
  return undefined;
}

function isExtendedMessageOffered(config: OpenConfig): boolean {
  return config.extendedMessage ?? true;
}

/**
 * Our OPEN (RFC 4271 section 4.2): version 4, My AS (AS_TRANS when our AS needs 4 octets, RFC 6793
 * section 4.1), hold time, identifier, and the capabilities: multiprotocol per family (RFC 4760),
 * route refresh (RFC 2918), enhanced route refresh (RFC 7313), 4-octet AS (RFC 6793), extended
 * message (RFC 8654) and graceful restart (RFC 4724) when configured.
 */
export function buildOpen(config: OpenConfig): OpenMessage {
  const capabilities: Capability[] = config.families.map((family) => ({
    kind: 'multiprotocol',
    afi: FAMILY_AFI[family],
    safi: Safi.UNICAST,
  }));
  capabilities.push({ kind: 'route-refresh' }, { kind: 'enhanced-route-refresh' });
  if (config.advertiseFourOctetAs ?? true) capabilities.push({ kind: 'four-octet-as', asn: config.localAsn });
  if (isExtendedMessageOffered(config)) capabilities.push({ kind: 'extended-message' });
  const gr = config.gracefulRestart;
  if (gr !== undefined) {
    capabilities.push({
      kind: 'graceful-restart',
      restarting: gr.restarting ?? false,
      notification: gr.notification ?? false,
      restartTime: gr.restartTimeSeconds,
      families: config.families.map((family) => ({
        afi: FAMILY_AFI[family],
        safi: Safi.UNICAST,
        forwardingPreserved: gr.forwardingPreserved ?? false,
      })),
    });
  }
  return {
    type: 'open',
    version: BGP_VERSION,
    myAsn: config.localAsn > 0xffff ? AS_TRANS : config.localAsn,
    holdTime: config.holdTimeSeconds,
    routerId: config.routerId,
    capabilities,
    unknownParameters: [],
  };
}

function openError(code: string, subcode: number, message: string, data?: Uint8Array): OpenCheck {
  const notification = data === undefined ? { code: ErrorCode.OPEN_MESSAGE, subcode } : { code: ErrorCode.OPEN_MESSAGE, subcode, data };
  return { ok: false, error: new BgpWireError(code, message, notification) };
}

function badPeerAs(why: string): OpenCheck {
  return openError('ERR_BGP_BAD_PEER_AS', OpenSubcode.BAD_PEER_AS, `bad peer AS: ${why}`);
}

/** RFC 6793 section 4.1: the peer's real AS, or a complaint about an inconsistent OPEN. */
function peerAsnOf(open: OpenMessage): number | string {
  const fourOctet = open.capabilities.find((cap) => cap.kind === 'four-octet-as');
  if (fourOctet === undefined) {
    // A 2-octet-only speaker cannot have AS 23456 as its own (RFC 6793 section 9 reserves it).
    if (open.myAsn === AS_TRANS) return 'AS_TRANS in My Autonomous System without the 4-octet AS capability';
    return open.myAsn;
  }
  if (fourOctet.asn === AS_TRANS) return 'AS_TRANS in the 4-octet AS capability';
  // A 2-octet AS must be the same in both places; a 4-octet one goes with AS_TRANS in the field
  // (some speakers put other values there, so only the 2-octet case is a contradiction).
  if (fourOctet.asn <= 0xffff && open.myAsn !== fourOctet.asn) {
    return `My Autonomous System ${open.myAsn} contradicts the 4-octet AS capability ${fourOctet.asn}`;
  }
  return fourOctet.asn;
}

function expectedPeerAsn(config: OpenConfig, peerAsn: number): boolean {
  if (config.peerAsn === 'internal') return peerAsn === config.localAsn;
  if (config.peerAsn === 'external') return peerAsn !== config.localAsn;
  return peerAsn === config.peerAsn;
}

/** RFC 5492 section 5: the Data of Unsupported Capability lists the capabilities we needed. */
function multiprotocolCapabilityBytes(families: readonly AddressFamily[]): Uint8Array {
  const bytes = new Uint8Array(families.length * 6);
  families.forEach((family, i) => {
    const afi = FAMILY_AFI[family];
    bytes.set([CapabilityCode.MULTIPROTOCOL, 4, afi >> 8, afi & 0xff, 0, Safi.UNICAST], i * 6);
  });
  return bytes;
}

/**
 * RFC 4271 section 10 suggests a third of the hold time; a configured keepalive is used when it
 * is shorter, never longer (a keepalive slower than the peer's hold time would end the session).
 */
function keepaliveFor(holdTimeSeconds: number, configured: number | undefined): number {
  if (holdTimeSeconds === 0) return 0;
  const third = Math.max(1, Math.floor(holdTimeSeconds / 3));
  return configured === undefined ? third : Math.max(1, Math.min(configured, third));
}

/**
 * Checks the peer's OPEN in the order of RFC 4271 section 6.2 (version, My AS, hold time, BGP
 * identifier, optional parameters), then requires a common address family (RFC 5492 section 5),
 * and returns what was negotiated.
 */
export function validateOpen(open: OpenMessage, config: OpenConfig): OpenCheck {
  if (open.version !== BGP_VERSION) {
    // The data is the 2-octet version we support (the largest below theirs, or our smallest).
    return openError(
      'ERR_BGP_UNSUPPORTED_VERSION',
      OpenSubcode.UNSUPPORTED_VERSION_NUMBER,
      `unsupported BGP version ${open.version}`,
      Uint8Array.of(0, BGP_VERSION),
    );
  }

  const peerAsn = peerAsnOf(open);
  if (typeof peerAsn === 'string') return badPeerAs(peerAsn);
  // RFC 7607: AS 0 is never a valid peer AS.
  if (peerAsn === 0) return badPeerAs('AS 0');
  if (!expectedPeerAsn(config, peerAsn)) {
    const expected = typeof config.peerAsn === 'number' ? String(config.peerAsn) : `an ${config.peerAsn} AS`;
    return badPeerAs(`peer is AS ${peerAsn}, expected ${expected}`);
  }

  if (open.holdTime === 1 || open.holdTime === 2) {
    return openError('ERR_BGP_UNACCEPTABLE_HOLD_TIME', OpenSubcode.UNACCEPTABLE_HOLD_TIME, `unacceptable hold time ${open.holdTime}`);
  }

  const peerId = parseDottedQuad(open.routerId);
  if (peerId === undefined || peerId === 0) {
    return openError('ERR_BGP_BAD_BGP_IDENTIFIER', OpenSubcode.BAD_BGP_IDENTIFIER, `bad BGP identifier ${open.routerId}`);
  }
  // RFC 6286 section 2.2: identifiers need only be unique within an AS, so equality is an error
  // for iBGP only.
  if (peerAsn === config.localAsn && peerId === parseDottedQuad(config.routerId)) {
    const why = `iBGP peer uses our own BGP identifier ${open.routerId}`;
    return openError('ERR_BGP_BAD_BGP_IDENTIFIER', OpenSubcode.BAD_BGP_IDENTIFIER, why);
  }

  const firstUnknown = open.unknownParameters[0];
  if (firstUnknown !== undefined) {
    const why = `unsupported OPEN optional parameter type ${firstUnknown.type}`;
    return openError('ERR_BGP_UNSUPPORTED_OPTIONAL_PARAMETER', OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, why);
  }

  // RFC 4760 section 8: a speaker that sends no multiprotocol capability speaks IPv4 unicast only.
  const peerFamilies = new Set<AddressFamily>();
  let sentMultiprotocol = false;
  let peerFourOctet = false;
  let peerExtendedMessage = false;
  let peerRouteRefresh = false;
  let peerEnhancedRouteRefresh = false;
  let peerGracefulRestart: GracefulRestartCapability | undefined;
  for (const cap of open.capabilities) {
    switch (cap.kind) {
      case 'multiprotocol': {
        sentMultiprotocol = true;
        const family = familyOf(cap.afi, cap.safi);
        if (family !== undefined) peerFamilies.add(family);
        break;
      }
      case 'four-octet-as':
        peerFourOctet = true;
        break;
      case 'extended-message':
        peerExtendedMessage = true;
        break;
      case 'route-refresh':
      case 'route-refresh-cisco':
        peerRouteRefresh = true;
        break;
      case 'enhanced-route-refresh':
        peerEnhancedRouteRefresh = true;
        break;
      case 'graceful-restart':
        // RFC 4724 section 3: one instance; if several arrive, the first is used.
        peerGracefulRestart ??= cap;
        break;
      case 'unknown':
        // RFC 5492 section 3: capabilities we do not know are ignored.
        break;
      default: {
        const unreachable: never = cap;
        throw new Error(`unhandled capability ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (!sentMultiprotocol) peerFamilies.add('ipv4');
  const families = config.families.filter((family) => peerFamilies.has(family));
  if (families.length === 0) {
    return openError(
      'ERR_BGP_UNSUPPORTED_CAPABILITY',
      OpenSubcode.UNSUPPORTED_CAPABILITY,
      `no address family in common (we offer ${config.families.join(', ')})`,
      multiprotocolCapabilityBytes(config.families),
    );
  }

  const holdTimeSeconds = Math.min(config.holdTimeSeconds, open.holdTime);
  // Both sides must have sent the capability (RFC 6793 section 3); without ours the session is
  // 2-octet even when the peer sent it.
  const fourOctetAs = peerFourOctet && (config.advertiseFourOctetAs ?? true);
  const extendedMessage = peerExtendedMessage && isExtendedMessageOffered(config);
  const enhancedRouteRefresh = peerEnhancedRouteRefresh;
  return {
    ok: true,
    negotiated: {
      holdTimeSeconds,
      keepaliveSeconds: keepaliveFor(holdTimeSeconds, config.keepaliveSeconds),
      fourOctetAs,
      extendedMessage,
      routeRefresh: peerRouteRefresh,
      enhancedRouteRefresh,
      families,
      peerGracefulRestart,
      peerRouterId: open.routerId,
      peerAsn,
      codecOptions: { fourOctetAs, extendedMessage, enhancedRouteRefresh },
    },
  };
}

/**
 * What one session needs to know: what goes into our OPEN and what we accept in the peer's
 * (OpenConfig), plus the FSM's timing (FsmConfig). Times are in seconds, as operators write them.
 */
import type { AddressFamily } from '../wire/types.js';

/** RFC 4724: our Graceful Restart capability. */
export interface GracefulRestartConfig {
  /** Restart Time, seconds, 12 bits (0..4095). */
  readonly restartTimeSeconds: number;
  /** The Restart State (R) bit: set in the first OPEN after we restarted. */
  readonly restarting?: boolean;
  /** The Graceful Notification (N) bit of RFC 8538. */
  readonly notification?: boolean;
  /** The Forwarding State (F) bit, the same for every configured family. */
  readonly forwardingPreserved?: boolean;
}

/**
 * The peer's AS: a number, or (like MetalLB's `dynamicASN`) any AS that makes the session iBGP
 * ('internal', i.e. our own) or eBGP ('external', anything else).
 */
export type PeerAsnConfig = number | 'internal' | 'external';

export interface OpenConfig {
  /** Our AS, 1..4294967295; sent as AS_TRANS in the 2-octet field when above 65535 (RFC 6793). */
  readonly localAsn: number;
  readonly peerAsn: PeerAsnConfig;
  /** Our BGP Identifier as a dotted quad, not 0.0.0.0 (RFC 6286). */
  readonly routerId: string;
  /** Hold Time we offer: 0 (no hold timer, no keepalives) or 3..65535 (RFC 4271 section 4.2). */
  readonly holdTimeSeconds: number;
  /** Keepalive interval; when absent a third of the negotiated hold time (RFC 4271 section 10). */
  readonly keepaliveSeconds?: number;
  /** Unicast families offered with the multiprotocol capability (RFC 4760). At least one. */
  readonly families: readonly AddressFamily[];
  /** Offer the extended message capability (RFC 8654); default true. */
  readonly extendedMessage?: boolean;
  /**
   * Send the 4-octet AS capability (RFC 6793); default true. False is for a peer that speaks only
   * 2-octet ASNs and mishandles the capability (BIRD with `enable as4 off` refuses a 4-octet ASN
   * in it): we then send AS_TRANS as My AS and in AS_PATH, and the real path in AS4_PATH, exactly
   * as RFC 6793 section 4.2.2 has a NEW speaker do towards an OLD one.
   */
  readonly advertiseFourOctetAs?: boolean;
  /** Offer the Graceful Restart capability (RFC 4724) when present. */
  readonly gracefulRestart?: GracefulRestartConfig;
}

/**
 * DampPeerOscillations (RFC 4271 section 8.1.1): after each failure the next automatic start
 * waits the idle hold time, which doubles after every failure up to `maxSeconds`, and goes back to
 * `initialSeconds` once a session has stayed Established for `resetAfterSeconds`.
 */
export interface IdleHoldConfig {
  readonly initialSeconds: number;
  readonly maxSeconds: number;
  readonly resetAfterSeconds: number;
}

export interface FsmConfig extends OpenConfig {
  /** ConnectRetryTime (RFC 4271 section 10 suggests 120 s); jittered by 0.75..1.0 on every use. */
  readonly connectRetrySeconds?: number;
  readonly idleHold?: Partial<IdleHoldConfig>;
  /**
   * RFC 9687 SendHoldTime: 0 disables the SendHoldTimer; otherwise it must be above the hold time.
   * Default (RFC 9687 section 5): the greater of 8 minutes and twice the negotiated hold time.
   */
  readonly sendHoldTimeSeconds?: number;
}

/**
 * The SendHoldTimer's value for a session with this negotiated hold time, or undefined when it
 * does not run (RFC 9687: not when the hold time is 0, nor when SendHoldTime is 0).
 */
export function sendHoldMs(config: FsmConfig, negotiatedHoldSeconds: number): number | undefined {
  if (negotiatedHoldSeconds === 0 || config.sendHoldTimeSeconds === 0) return undefined;
  return (config.sendHoldTimeSeconds ?? Math.max(FSM_DEFAULTS.sendHoldTimeSeconds, 2 * negotiatedHoldSeconds)) * 1000;
}

/**
 * Defaults. Idle hold: 1 s keeps a single flap (a peer's Cease/Administrative Reset, a config
 * change) nearly invisible; 120 s caps a peer that rejects us every time at one attempt per two
 * minutes, the same rate as ConnectRetry; 60 s of Established is long enough to say the last
 * failure was not part of a flapping pattern (GoBGP and FRR use values of the same order).
 */
export const FSM_DEFAULTS = {
  connectRetrySeconds: 120,
  /** RFC 9687 section 5: at least 8 minutes. */
  sendHoldTimeSeconds: 480,
  /** RFC 4271 section 8.2.2: the "large value" the HoldTimer is set to while waiting for an OPEN. */
  openHoldTimeSeconds: 240,
  idleHold: { initialSeconds: 1, maxSeconds: 120, resetAfterSeconds: 60 },
} as const satisfies { connectRetrySeconds: number; sendHoldTimeSeconds: number; openHoldTimeSeconds: number; idleHold: IdleHoldConfig };

export function connectRetryMs(config: FsmConfig): number {
  return (config.connectRetrySeconds ?? FSM_DEFAULTS.connectRetrySeconds) * 1000;
}

export function idleHoldMs(config: FsmConfig): { initialMs: number; maxMs: number; resetAfterMs: number } {
  const idleHold = config.idleHold ?? {};
  return {
    initialMs: (idleHold.initialSeconds ?? FSM_DEFAULTS.idleHold.initialSeconds) * 1000,
    maxMs: (idleHold.maxSeconds ?? FSM_DEFAULTS.idleHold.maxSeconds) * 1000,
    resetAfterMs: (idleHold.resetAfterSeconds ?? FSM_DEFAULTS.idleHold.resetAfterSeconds) * 1000,
  };
}

/** The BGP Identifier (or any dotted quad) as an unsigned 32-bit number; undefined when malformed. */
export function parseDottedQuad(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function isInteger(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Throws a RangeError naming the first bad field. The session layer calls it (via SessionFsm)
 * when a peer is configured, so a bad value is a configuration error, never a NOTIFICATION.
 */
export function checkFsmConfig(config: FsmConfig): void {
  const fail = (key: string, why: string): never => {
    throw new RangeError(`invalid BGP session config: ${key} ${why}`);
  };
  if (!isInteger(config.localAsn, 1, 0xffffffff)) fail('localAsn', 'must be an integer in 1..4294967295');
  if (typeof config.peerAsn === 'number' && !isInteger(config.peerAsn, 1, 0xffffffff)) {
    fail('peerAsn', 'must be an integer in 1..4294967295, "internal" or "external"');
  }
  const routerId = parseDottedQuad(config.routerId);
  if (routerId === undefined || routerId === 0) fail('routerId', 'must be a dotted quad other than 0.0.0.0');
  if (!isInteger(config.holdTimeSeconds, 0, 0xffff) || config.holdTimeSeconds === 1 || config.holdTimeSeconds === 2) {
    fail('holdTimeSeconds', 'must be 0 or 3..65535');
  }
  if (config.keepaliveSeconds !== undefined && !isInteger(config.keepaliveSeconds, 1, 0xffff)) {
    fail('keepaliveSeconds', 'must be an integer in 1..65535');
  }
  if (config.families.length === 0) fail('families', 'must name at least one address family');
  for (const family of config.families) {
    if (family !== 'ipv4' && family !== 'ipv6') fail('families', `has unknown family ${String(family)}`);
  }
  if (config.gracefulRestart !== undefined && !isInteger(config.gracefulRestart.restartTimeSeconds, 0, 4095)) {
    fail('gracefulRestart.restartTimeSeconds', 'must be an integer in 0..4095');
  }
  if (config.connectRetrySeconds !== undefined && !(config.connectRetrySeconds > 0)) {
    fail('connectRetrySeconds', 'must be positive');
  }
  const sendHold = config.sendHoldTimeSeconds;
  if (sendHold !== undefined && sendHold !== 0 && (!isInteger(sendHold, 1, 0x7fffffff) || sendHold <= config.holdTimeSeconds)) {
    fail('sendHoldTimeSeconds', 'must be 0 or a whole number of seconds above the hold time (RFC 9687 section 4)');
  }
  const { initialMs, maxMs, resetAfterMs } = idleHoldMs(config);
  if (!(initialMs >= 0)) fail('idleHold.initialSeconds', 'must not be negative');
  if (!(maxMs >= initialMs)) fail('idleHold.maxSeconds', 'must not be below idleHold.initialSeconds');
  if (!(resetAfterMs > 0)) fail('idleHold.resetAfterSeconds', 'must be positive');
}

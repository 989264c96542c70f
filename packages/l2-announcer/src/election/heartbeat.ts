/**
 * The heartbeat datagram: a small JSON object, `{"v":1,"node":"worker-1","seq":42,"incarnation":1764150000000}`.
 * JSON rather than a binary layout because it is a few dozen bytes ten times a second per peer,
 * and tcpdump -A shows it to the person debugging a failover. Decoding is strict and bounded: a
 * datagram longer than MAX_HEARTBEAT_BYTES is not even parsed.
 *
 * With a shared key (MetalLB's `memberlist` Secret), the JSON is followed by its HMAC-SHA256 (32
 * octets): a host on the node network that forges a node's source address cannot keep a dead
 * node "alive" (its addresses would go unanswered) or declare one leaving. Replaying a captured
 * heartbeat does nothing: only a newer seq or incarnation than the last one counts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 output. */
export const HEARTBEAT_MAC_BYTES = 32;

export const HEARTBEAT_VERSION = 1;
/** A node name is a DNS subdomain (Kubernetes): at most 253 characters. */
export const MAX_NODE_NAME_LENGTH = 253;
/** Well above the largest valid heartbeat (about 320 bytes with a 253-character ASCII name). */
export const MAX_HEARTBEAT_BYTES = 512;

export interface Heartbeat {
  /** The sender's node name. */
  readonly node: string;
  /** Counts up by one per heartbeat within an incarnation: drops duplicates and reordered datagrams. */
  readonly seq: number;
  /** Grows with each start of the sender, so a restarted speaker's seq starting at 0 is accepted. */
  readonly incarnation: number;
  /**
   * The sender is shutting down (`"leaving":true`, absent otherwise): its peers count it dead at
   * once instead of deadAfterMs later, so a rolling restart moves addresses without a gap.
   */
  readonly leaving?: boolean;
}

export type DecodeResult =
  | { readonly ok: true; readonly heartbeat: Heartbeat }
  | { readonly ok: false; readonly reason: 'malformed' | 'version' | 'unauthenticated' };

/** `key`: the shared secret; the datagram then ends with the HMAC of the JSON before it. */
export function encodeHeartbeat(heartbeat: Heartbeat, key?: Buffer): Buffer {
  const { node, seq, incarnation } = heartbeat;
  const json = Buffer.from(
    JSON.stringify({ v: HEARTBEAT_VERSION, node, seq, incarnation, ...(heartbeat.leaving === true ? { leaving: true } : {}) }),
  );
  return key === undefined ? json : Buffer.concat([json, createHmac('sha256', key).update(json).digest()]);
}

/** With `key`, a datagram without the right HMAC is 'unauthenticated' and not even parsed. */
export function decodeHeartbeat(data: Buffer, key?: Buffer): DecodeResult {
  if (data.length === 0 || data.length > MAX_HEARTBEAT_BYTES) return { ok: false, reason: 'malformed' };
  let json = data;
  if (key !== undefined) {
    if (data.length <= HEARTBEAT_MAC_BYTES) return { ok: false, reason: 'unauthenticated' };
    json = data.subarray(0, data.length - HEARTBEAT_MAC_BYTES);
    const expected = createHmac('sha256', key).update(json).digest();
    if (!timingSafeEqual(expected, data.subarray(data.length - HEARTBEAT_MAC_BYTES))) return { ok: false, reason: 'unauthenticated' };
  }
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'malformed' };
  const { v, node, seq, incarnation, leaving } = value as Record<string, unknown>;
  if (v !== HEARTBEAT_VERSION) return { ok: false, reason: typeof v === 'number' ? 'version' : 'malformed' };
  if (typeof node !== 'string' || node.length === 0 || node.length > MAX_NODE_NAME_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  if (!isCounter(seq) || !isCounter(incarnation)) return { ok: false, reason: 'malformed' };
  if (leaving !== undefined && leaving !== true) return { ok: false, reason: 'malformed' };
  return { ok: true, heartbeat: { node, seq, incarnation, ...(leaving === true ? { leaving } : {}) } };
}

function isCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

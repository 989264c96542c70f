/**
 * The heartbeat datagram: a small JSON object, `{"v":1,"node":"worker-1","seq":42,"incarnation":1764150000000}`.
 * JSON rather than a binary layout because it is a few dozen bytes ten times a second per peer,
 * and tcpdump -A shows it to the person debugging a failover. Decoding is strict and bounded: a
 * datagram longer than MAX_HEARTBEAT_BYTES is not even parsed.
 */

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
  | { readonly ok: false; readonly reason: 'malformed' | 'version' };

export function encodeHeartbeat(heartbeat: Heartbeat): Buffer {
  const { node, seq, incarnation } = heartbeat;
  return Buffer.from(
    JSON.stringify({ v: HEARTBEAT_VERSION, node, seq, incarnation, ...(heartbeat.leaving === true ? { leaving: true } : {}) }),
  );
}

export function decodeHeartbeat(data: Buffer): DecodeResult {
  if (data.length === 0 || data.length > MAX_HEARTBEAT_BYTES) return { ok: false, reason: 'malformed' };
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
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

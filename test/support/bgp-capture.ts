/**
 * Every BGP message of a capture, in each direction, with the time its last byte was seen: the
 * lab's capture (tcpdump + tshark + TCP reassembly) cut into messages and named by the lab's
 * describe-message (not our codec), so a test can say "after the ROUTE-REFRESH from FRR we sent
 * these UPDATEs" or "we sent NOTIFICATION 6/3" from what crossed the wire.
 */
import { readTcpSegments, segmentsByDirection, splitBgpMessages } from '../lab/capture.js';
import type { TcpSegment } from '../lab/capture.js';
import { describeMessage } from '../lab/describe-message.js';
import type { MessageSummary } from '../lab/describe-message.js';

export interface WireMessage {
  readonly src: string;
  readonly dst: string;
  /** Capture time (seconds since epoch) of the segment holding the message's last byte. */
  readonly time: number;
  readonly bytes: Buffer;
  readonly summary: MessageSummary;
}

/** Messages in capture order (by time, then by order within a direction). */
export async function wireMessages(pcap: string): Promise<WireMessage[]> {
  return messagesOf(await readTcpSegments(pcap));
}

export function messagesOf(segments: readonly TcpSegment[]): WireMessage[] {
  const out: WireMessage[] = [];
  for (const sorted of segmentsByDirection(segments)) {
    const first = sorted[0];
    if (first === undefined) continue;
    // The stream's bytes and, for each segment kept, the stream offset where it ends and its time.
    const parts: Buffer[] = [];
    const ends: { end: number; time: number }[] = [];
    let next = first.seq;
    let length = 0;
    for (const s of sorted) {
      const end = s.seq + s.payload.length;
      if (end <= next) continue; // retransmission
      const part = s.seq < next ? s.payload.subarray(next - s.seq) : s.payload;
      parts.push(part);
      length += part.length;
      ends.push({ end: length, time: s.time });
      next = end;
    }
    const { messages } = splitBgpMessages(Buffer.concat(parts));
    let offset = 0;
    let segment = 0;
    for (const message of messages) {
      offset += message.length;
      while (segment < ends.length - 1 && (ends[segment]?.end ?? 0) < offset) segment++;
      out.push({
        src: first.src,
        dst: first.dst,
        time: ends[segment]?.time ?? first.time,
        bytes: message,
        // Every session of these tests negotiates the 4-octet AS capability.
        summary: describeMessage(message, true),
      });
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

/** NOTIFICATION code and subcode (RFC 4271 section 4.5). */
export function notificationCode(message: WireMessage): { code: number; subcode: number } {
  if (message.summary.type !== 'NOTIFICATION') throw new Error(`not a NOTIFICATION: ${message.summary.description}`);
  return { code: message.bytes[19] ?? 0, subcode: message.bytes[20] ?? 0 };
}

/** Whether an UPDATE is an End-of-RIB marker (RFC 4724 section 2). */
export function isEndOfRib(message: WireMessage): boolean {
  return message.summary.slug.startsWith('update-eor-');
}

/** One line per message, for test diagnostics. */
export function describeWire(messages: readonly WireMessage[]): string {
  return messages.map((m) => `${m.time.toFixed(3)} ${m.src} -> ${m.dst}: ${m.summary.description}`).join('\n');
}

/** The value of every capability `code` in an OPEN (RFC 5492 optional parameter 2). */
export function openCapabilities(message: WireMessage, code: number): Buffer[] {
  if (message.summary.type !== 'OPEN') throw new Error(`not an OPEN: ${message.summary.description}`);
  const body = message.bytes.subarray(19);
  const found: Buffer[] = [];
  const end = 10 + (body[9] ?? 0);
  for (let offset = 10; offset + 2 <= end; ) {
    const type = body[offset] ?? 0;
    const length = body[offset + 1] ?? 0;
    if (type === 2) {
      for (let c = offset + 2; c + 2 <= offset + 2 + length; ) {
        const capLength = body[c + 1] ?? 0;
        if (body[c] === code) found.push(body.subarray(c + 2, c + 2 + capLength));
        c += 2 + capLength;
      }
    }
    offset += 2 + length;
  }
  return found;
}

/** RFC 4724 section 3: the Graceful Restart capability of an OPEN, if it has one. */
export interface GracefulRestartCapability {
  /** Restart State: the sender has restarted. */
  readonly restartState: boolean;
  /** RFC 8538 Notification (N) bit. */
  readonly notification: boolean;
  readonly restartTime: number;
  /** Per AFI/SAFI, whether forwarding state was preserved (the F bit). */
  readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwardingPreserved: boolean }[];
}

export function gracefulRestartCapability(message: WireMessage): GracefulRestartCapability | undefined {
  const value = openCapabilities(message, 64)[0];
  if (value === undefined || value.length < 2) return undefined;
  const head = value.readUInt16BE(0);
  const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
  for (let i = 2; i + 4 <= value.length; i += 4) {
    families.push({ afi: value.readUInt16BE(i), safi: value[i + 2] ?? 0, forwardingPreserved: ((value[i + 3] ?? 0) & 0x80) !== 0 });
  }
  return { restartState: (head & 0x8000) !== 0, notification: (head & 0x4000) !== 0, restartTime: head & 0x0fff, families };
}

// Capturing real BGP bytes between real routers.
//
// tcpdump writes a pcap inside a lab namespace; tshark lists every TCP segment
// with a payload; we put each direction of each connection back together by
// sequence number and cut the stream into BGP messages by the header's length
// field (RFC 4271 section 4.1). describe-message.ts names what was captured.

import { join } from 'node:path';
import { pollUntil, run } from './proc.js';
import type { ManagedProcess } from './proc.js';
import type { Runner } from './netns.js';

/** A running tcpdump; stop() flushes and closes the pcap. */
export class PacketCapture {
  private constructor(
    readonly file: string,
    private readonly proc: ManagedProcess,
  ) {}

  /** Starts tcpdump on `iface` inside `runner` (TCP port 179 only) and waits until it listens. */
  static async start(runner: Runner, iface: string, dir: string, name = 'bgp.pcap'): Promise<PacketCapture> {
    const file = join(dir, name);
    // --immediate-mode: hand over each packet as it arrives (not when a kernel buffer fills), and
    // -U: write it at once, so stopping right after an event loses nothing; -Z root: keep writing
    // into our root-owned folder.
    const proc = runner.spawn('tcpdump', 'tcpdump', ['-i', iface, '--immediate-mode', '-U', '-s', '0', '-Z', 'root', '-w', file, 'tcp port 179']);
    await pollUntil(
      async () => {
        if (!proc.running) throw new Error(`tcpdump exited: ${proc.output().join('\n')}`);
        return proc.output().some((l) => l.includes('listening on')) ? true : undefined;
      },
      { timeoutMs: 10_000, onTimeout: () => `tcpdump did not start: ${proc.output().join('\n')}` },
    );
    return new PacketCapture(file, proc);
  }

  async stop(): Promise<void> {
    await this.proc.terminate('SIGINT', 3_000);
  }
}

/** One TCP segment with payload, as tshark lists it. */
export interface TcpSegment {
  /** tshark's connection index. */
  readonly stream: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** Sequence number relative to the connection start (first data byte = 1). */
  readonly seq: number;
  /** Capture time (seconds since epoch). */
  readonly time: number;
  readonly payload: Buffer;
}

/** Every TCP segment that carries data, in capture order. */
export async function readTcpSegments(pcap: string): Promise<TcpSegment[]> {
  const fields = ['tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.seq', 'frame.time_epoch', 'tcp.payload'];
  const out = await run('tshark', [
    '-r', pcap,
    '-Y', 'tcp.len > 0',
    '-o', 'tcp.relative_sequence_numbers:TRUE',
    '-T', 'fields', '-E', 'separator=/t',
    ...fields.flatMap((f) => ['-e', f]),
  ], { timeoutMs: 60_000 });
  return parseTsharkFields(out.stdout);
}

/** Parses the tab-separated output of readTcpSegments's tshark call. */
export function parseTsharkFields(text: string): TcpSegment[] {
  const segments: TcpSegment[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [stream, ip4src, ip6src, srcPort, ip4dst, ip6dst, dstPort, seq, time, payload] = line.split('\t');
    if (payload === undefined || payload === '') continue;
    segments.push({
      stream: Number(stream),
      src: ip4src !== undefined && ip4src !== '' ? ip4src : (ip6src ?? ''),
      srcPort: Number(srcPort),
      dst: ip4dst !== undefined && ip4dst !== '' ? ip4dst : (ip6dst ?? ''),
      dstPort: Number(dstPort),
      seq: Number(seq),
      time: Number(time),
      payload: Buffer.from(payload.replace(/:/g, ''), 'hex'),
    });
  }
  return segments;
}

/** The bytes one side of one connection sent, in order. */
export interface Flow {
  readonly stream: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly bytes: Buffer;
  /** Capture time of the first segment. */
  readonly start: number;
  /** Sequence gaps found (bytes the capture missed); 0 for a whole stream. */
  readonly gaps: number;
}

/** The segments of each direction of each connection, in sequence order (then capture time). */
export function segmentsByDirection(segments: readonly TcpSegment[]): TcpSegment[][] {
  const byDirection = new Map<string, TcpSegment[]>();
  for (const s of segments) {
    const key = `${s.stream}|${s.src}|${s.srcPort}`;
    const list = byDirection.get(key);
    if (list === undefined) byDirection.set(key, [s]);
    else list.push(s);
  }
  return [...byDirection.values()].map((list) => [...list].sort((a, b) => a.seq - b.seq || a.time - b.time));
}

/**
 * Puts each direction of each connection back together. Retransmitted and
 * overlapping segments are trimmed to the bytes not seen yet.
 */
export function reassemble(segments: readonly TcpSegment[]): Flow[] {
  const flows: Flow[] = [];
  for (const sorted of segmentsByDirection(segments)) {
    const first = sorted[0];
    if (first === undefined) continue;
    const parts: Buffer[] = [];
    let next = first.seq;
    let gaps = 0;
    for (const s of sorted) {
      const end = s.seq + s.payload.length;
      if (end <= next) continue; // a retransmission of bytes we have
      if (s.seq > next) gaps += 1;
      parts.push(s.seq < next ? s.payload.subarray(next - s.seq) : s.payload);
      next = end;
    }
    flows.push({
      stream: first.stream,
      src: first.src,
      srcPort: first.srcPort,
      dst: first.dst,
      dstPort: first.dstPort,
      bytes: Buffer.concat(parts),
      start: Math.min(...sorted.map((s) => s.time)),
      gaps,
    });
  }
  return flows.sort((a, b) => a.start - b.start);
}

const MARKER = Buffer.alloc(16, 0xff);
const HEADER_LENGTH = 19;
/** RFC 4271 section 4.1 maximum; RFC 8654 extended messages go to 65535. */
const MAX_MESSAGE_LENGTH = 65_535;

/**
 * Cuts a byte stream into whole BGP messages. Throws on a bad marker or a
 * length outside 19..65535; bytes of an incomplete last message come back in `rest`.
 */
export function splitBgpMessages(bytes: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (bytes.length - offset >= HEADER_LENGTH) {
    if (!bytes.subarray(offset, offset + 16).equals(MARKER)) throw new Error(`no BGP marker at offset ${offset}`);
    const length = bytes.readUInt16BE(offset + 16);
    if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) throw new Error(`bad BGP length ${length} at offset ${offset}`);
    if (bytes.length - offset < length) break;
    messages.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: bytes.subarray(offset) };
}

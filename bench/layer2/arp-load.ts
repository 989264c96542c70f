/**
 * ARP load client: sends ARP requests (who-has TARGET) at a fixed rate on one interface through
 * an AF_PACKET socket (@metallb-ts/l2-announcer's addon), matches the replies and prints JSON.
 * Run it inside the client's namespace, as root:
 *
 *   ip netns exec NS node bench/.build/layer2/arp-load.js --target 198.18.0.200 [--interface eth0]
 *       [--rate 1000] [--seconds 10] [--sender-base 198.18.1.0] [--senders 256] [--drain-ms 1000]
 *
 * Telling replies apart: request i asks from sender IP base+(i mod S) (S = --senders), so its
 * reply comes back to that address (RFC 826: the reply's target is the request's sender). A reply
 * for slot s is matched to the latest request sent from slot s; any earlier request of that slot
 * still unanswered is lost. At 1,000/s and 256 slots a slot comes round every 256 ms, so a reply
 * later than that would be taken for the next request's (and the request counted lost): far above
 * any latency seen here. A slot's request that already has its answer and gets another: a
 * duplicate. The slot addresses are in the client's subnet so the kernel under test answers them
 * as it answers any neighbour; 256 of them stay below its neighbour table's gc_thresh2 (512),
 * so the kernel is not made to collect its table (or refuse entries) by the benchmark itself.
 *
 * Pacing: one timer tick per millisecond at most; each tick sends every request due since the
 * start (rate x elapsed), so a late tick is caught up and the rate holds over the run.
 * Latency: process.hrtime.bigint() just before send() and when the reply's callback runs; the
 * receive side thus includes this process's event-loop delay (also printed), the same for any
 * target. (The lag printed is how much a 1 ms timer of this process fired late.)
 *
 * Output, one JSON object per line on stdout: {"event":"sending"} when the first request goes,
 * {"event":"sent"} after the last, then {"event":"result", ...}. Bounded: --seconds at most 60,
 * --rate at most 20,000, and the sending loop stops at rate x seconds requests or seconds + 5 s.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isIPv4 } from 'node:net';
import { buildArpFrame, openPacketSocket, parseArpFrame, readLink } from '@metallb-ts/l2-announcer';

const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
/** Linux sll_pkttype of our own frames, seen by our socket too. */
const PACKET_OUTGOING = 4;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const ZERO_MAC = '00:00:00:00:00:00';
const MAX_SECONDS = 60;
const MAX_RATE = 20_000;

const { values } = parseArgs({
  options: {
    interface: { type: 'string', default: 'eth0' },
    target: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    'sender-base': { type: 'string', default: '198.18.1.0' },
    senders: { type: 'string', default: '256' },
    'drain-ms': { type: 'string', default: '1000' },
  },
  strict: true,
});

function fail(message: string): never {
  process.stderr.write(`arp-load: ${message}\n`);
  process.exit(2);
}

function numberOption(name: string, min: number, max: number): number {
  const n = Number(values[name as keyof typeof values]);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name}: a number from ${min} to ${max} expected`);
  return n;
}

const target = values.target ?? fail('--target IPV4 is required');
if (!isIPv4(target)) fail(`--target: not an IPv4 address: ${target}`);
const rate = numberOption('rate', 1, MAX_RATE);
const seconds = numberOption('seconds', 0.01, MAX_SECONDS);
const senders = Math.floor(numberOption('senders', 1, 256));
const drainMs = numberOption('drain-ms', 0, 10_000);
const base = values['sender-base'] ?? '';
if (!isIPv4(base)) fail(`--sender-base: not an IPv4 address: ${base}`);

/** The slot addresses: base, base+1, ... (within the /24 of base and the next ones). */
function slotAddresses(first: string, count: number): string[] {
  const octets = first.split('.').map(Number);
  const start = (((octets[0] ?? 0) << 24) >>> 0) + ((octets[1] ?? 0) << 16) + ((octets[2] ?? 0) << 8) + (octets[3] ?? 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = start + i;
    out.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  return out;
}

const link = readLink(values.interface ?? 'eth0');
const ourMac = link.mac;
const slots = slotAddresses(base, senders);
if (slots.includes(target)) fail(`--target ${target} is one of the sender addresses`);
const slotOf = new Map<string, number>(slots.map((address, i) => [address, i]));
const frames = slots.map((senderIp) =>
  buildArpFrame(BROADCAST, ourMac, { operation: ARP_REQUEST, senderMac: ourMac, senderIp, targetMac: ZERO_MAC, targetIp: target }),
);

const total = Math.max(1, Math.round(rate * seconds));
/** Send time of request i, ns since the start (hrtime). */
const sentAt = new Float64Array(total);
/** Latency of request i in µs once answered, else NaN. */
const latencyUs = new Float64Array(total).fill(Number.NaN);
let sent = 0;
let sendErrors = 0;
let firstSendError: string | undefined;
let replies = 0;
let duplicates = 0;
let strayReplies = 0;
const replyingMacs = new Map<string, number>();

const socket = openPacketSocket(link.ifindex, ETHERTYPE_ARP, `${link.name} (arp-load)`);
const LOOP_RESOLUTION_MS = 1;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
const start = process.hrtime.bigint();
const elapsedNs = (): number => Number(process.hrtime.bigint() - start);

socket.startReceiving((frame, packetType) => {
  const receivedNs = elapsedNs();
  if (packetType === PACKET_OUTGOING) return;
  const arp = parseArpFrame(frame);
  if (arp === undefined || arp.operation !== ARP_REPLY || arp.senderIp !== target) return;
  const slot = slotOf.get(arp.targetIp);
  if (slot === undefined || arp.targetMac !== ourMac) return; // an announcement or someone else's answer
  replies += 1;
  replyingMacs.set(arp.senderMac, (replyingMacs.get(arp.senderMac) ?? 0) + 1);
  // The latest request sent from this slot.
  if (sent <= slot) {
    strayReplies += 1; // before we asked anything from this slot
    return;
  }
  const index = slot + Math.floor((sent - 1 - slot) / senders) * senders;
  if (!Number.isNaN(latencyUs[index] ?? Number.NaN)) {
    duplicates += 1;
    return;
  }
  latencyUs[index] = (receivedNs - (sentAt[index] ?? 0)) / 1000;
});

function sendDue(): void {
  const due = Math.min(total, Math.floor((elapsedNs() / 1e9) * rate) + 1);
  while (sent < due) {
    const frame = frames[sent % senders];
    if (frame === undefined) throw new Error('no frame');
    sentAt[sent] = elapsedNs();
    try {
      socket.send(frame);
    } catch (error) {
      sendErrors += 1;
      firstSendError ??= (error as Error).message;
      sentAt[sent] = Number.NaN;
    }
    sent += 1;
  }
}

function line(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function percentile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}

function lagUs(intervalNs: number): number {
  return Math.max(0, Math.round(intervalNs / 1000 - LOOP_RESOLUTION_MS * 1000));
}

async function main(): Promise<void> {
  loopDelay.enable();
  line({ event: 'sending', target, rate, seconds, senders, interface: link.name, mac: ourMac });
  const deadlineNs = (seconds + 5) * 1e9;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      sendDue();
      if (sent >= total || elapsedNs() > deadlineNs) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendingSeconds = elapsedNs() / 1e9;
  line({ event: 'sent', sent });
  await new Promise((resolve) => setTimeout(resolve, drainMs));
  loopDelay.disable();
  socket.close();

  const answered: number[] = [];
  let lost = 0;
  for (let i = 0; i < sent; i++) {
    const value = latencyUs[i] ?? Number.NaN;
    if (Number.isNaN(value)) {
      if (!Number.isNaN(sentAt[i] ?? Number.NaN)) lost += 1;
    } else answered.push(value);
  }
  const sorted = Float64Array.from(answered).sort();
  line({
    event: 'result',
    target,
    interface: link.name,
    rate,
    seconds,
    sendingSeconds: Math.round(sendingSeconds * 1000) / 1000,
    achievedRate: Math.round(sent / sendingSeconds),
    sent,
    sendErrors,
    ...(firstSendError === undefined ? {} : { firstSendError }),
    replies,
    answered: answered.length,
    lost,
    duplicates,
    strayReplies,
    replyingMacs: Object.fromEntries(replyingMacs),
    latencyUs: {
      p50: round(percentile(sorted, 0.5)),
      p90: round(percentile(sorted, 0.9)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null)),
      min: round(percentile(sorted, 0)),
    },
    // The histogram holds the intervals of a 1 ms timer: the lag is what exceeds 1 ms.
    clientLoopLagUs: {
      p50: lagUs(loopDelay.percentile(50)),
      p99: lagUs(loopDelay.percentile(99)),
      max: lagUs(loopDelay.max),
    },
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`arp-load: ${(error as Error).stack ?? String(error)}\n`);
    socket.close();
    process.exit(1);
  },
);

/**
 * A minimal BGP sender for the full-table benchmark, run as its own process so that its work never
 * shares an event loop with the thing measuring it.
 *
 *   node bench/.build/full-table-sender.js --local 192.0.2.1 --peer 192.0.2.11 --port 1179 \
 *     [--asn 65000] [--peer-asn N] [--routes 1000000] [--seed 1] [--hold-time 180]
 *
 * It encodes the whole table first (see full-table/table.ts), then connects to the receiver from
 * `--local` (retrying while the receiver is not listening yet), exchanges OPEN (4-octet AS,
 * multiprotocol IPv4 unicast, hold time 180 s) and KEEPALIVE, writes every UPDATE as fast as TCP
 * takes them (waiting for 'drain' whenever the socket says so), sends End-of-RIB, and then only
 * keeps the session up with KEEPALIVEs. Whatever the receiver sends is framed and, except for OPEN
 * and NOTIFICATION, ignored; the sender does not run a hold timer of its own, so a receiver busy
 * digesting the table is never cut off by us.
 *
 * It reports on stdout, one JSON object per line, with `at` in epoch milliseconds with fractions
 * (performance.timeOrigin + performance.now(), comparable across processes):
 *   {"event":"encoded",...} {"event":"connected",...} {"event":"established",...}
 *   {"event":"sent",...} and on failure {"event":"notification",...} / {"event":"closed",...}
 * It stops (Cease/Administrative Shutdown, RFC 9003) when its stdin closes, on SIGTERM or SIGINT,
 * or after --max-seconds (default 600) whatever happens.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  CeaseSubcode,
  DEFAULT_CODEC_OPTIONS,
  ErrorCode,
  KEEPALIVE_MESSAGE,
  MessageFramer,
  MessageType,
  buildOpen,
  decodeMessage,
  encodeMessage,
  endOfRib,
  validateOpen,
} from '@metallb-ts/bgp-core';
import type { OpenConfig } from '@metallb-ts/bgp-core';
import { TABLE_CODEC_OPTIONS, encodeTable } from './full-table/table.js';
import type { EncodedTable } from './full-table/table.js';

/** Octets handed to socket.write at a time; the socket's 'drain' paces the loop. */
const WRITE_SLICE = 64 * 1024;
const CONNECT_RETRY_MS = 100;
const TYPE_OFFSET = 18;

interface SenderOptions {
  readonly local: string;
  readonly peer: string;
  readonly port: number;
  readonly asn: number;
  readonly peerAsn: number | 'external';
  readonly routes: number;
  readonly seed: number;
  readonly holdTime: number;
  readonly connectTimeoutSeconds: number;
  readonly maxSeconds: number;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: now(), ...fields })}\n`);
}

/**
 * The benchmark talks only over loopback (127/8) or inside its own network namespace, where it
 * gives 192.0.2.0/24 (TEST-NET-1, RFC 5737) to its own loopback (see full-table/netns.ts).
 */
function isBenchAddress(address: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}|192\.0\.2)\.\d{1,3}$/.test(address);
}

function parseOptions(argv: readonly string[]): SenderOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      local: { type: 'string' },
      peer: { type: 'string' },
      port: { type: 'string', default: '179' },
      asn: { type: 'string', default: '65000' },
      'peer-asn': { type: 'string' },
      routes: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      'hold-time': { type: 'string', default: '180' },
      'connect-timeout': { type: 'string', default: '30' },
      'max-seconds': { type: 'string', default: '600' },
    },
  });
  const integer = (name: string, text: string | undefined, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in [${min}, ${max}], got ${String(text)}`);
    return n;
  };
  const local = values.local;
  const peer = values.peer;
  if (local === undefined || !isBenchAddress(local)) throw new RangeError('--local: a 127.x.y.z or 192.0.2.x address is required');
  if (peer === undefined || !isBenchAddress(peer)) throw new RangeError('--peer: a 127.x.y.z or 192.0.2.x address is required');
  return {
    local,
    peer,
    port: integer('port', values.port, 1, 65535),
    asn: integer('asn', values.asn, 1, 4294967295),
    peerAsn: values['peer-asn'] === undefined ? 'external' : integer('peer-asn', values['peer-asn'], 1, 4294967295),
    routes: integer('routes', values.routes, 1, 14_000_000),
    seed: integer('seed', values.seed, 0, 4294967295),
    holdTime: integer('hold-time', values['hold-time'], 3, 65535),
    connectTimeoutSeconds: integer('connect-timeout', values['connect-timeout'], 1, 600),
    maxSeconds: integer('max-seconds', values['max-seconds'], 1, 3600),
  };
}

/** Connects from `local`, retrying every CONNECT_RETRY_MS while the receiver refuses, until the deadline. */
async function connectWithRetry(options: SenderOptions): Promise<Socket> {
  const deadline = Date.now() + options.connectTimeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const socket = connect({ host: options.peer, port: options.port, localAddress: options.local });
    try {
      await once(socket, 'connect');
      return socket;
    } catch (error) {
      socket.destroy();
      if (Date.now() >= deadline) {
        throw new Error(`no connection to ${options.peer}:${options.port} after ${attempt} attempts: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

class Sender {
  private readonly framer = new MessageFramer();
  private readonly openConfig: OpenConfig;
  private openReceived = false;
  private established = false;
  private stopping = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private updatesReceived = 0;
  private resolveEstablished!: () => void;
  readonly whenEstablished = new Promise<void>((resolve) => {
    this.resolveEstablished = resolve;
  });

  constructor(
    private readonly socket: Socket,
    private readonly options: SenderOptions,
  ) {
    this.openConfig = {
      localAsn: options.asn,
      peerAsn: options.peerAsn,
      routerId: options.local,
      holdTimeSeconds: options.holdTime,
      families: ['ipv4'],
      extendedMessage: false,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(`socket error: ${error.message}`));
    socket.on('close', () => this.fail('connection closed by the receiver'));
    socket.write(encodeMessage(buildOpen(this.openConfig), DEFAULT_CODEC_OPTIONS));
  }

  private receive(chunk: Buffer): void {
    this.framer.push(chunk);
    try {
      for (let frame = this.framer.next(); frame !== undefined; frame = this.framer.next()) this.onFrame(frame);
    } catch (error) {
      this.fail(`cannot read the receiver's messages: ${(error as Error).message}`);
    }
  }

  private onFrame(frame: Uint8Array): void {
    switch (frame[TYPE_OFFSET]) {
      case MessageType.OPEN: {
        const open = decodeMessage(frame, DEFAULT_CODEC_OPTIONS);
        if (open.type !== 'open') return;
        const check = validateOpen(open, this.openConfig);
        if (!check.ok) {
          this.fail(`unacceptable OPEN: ${check.error.message}`);
          return;
        }
        this.openReceived = true;
        this.socket.write(KEEPALIVE_MESSAGE);
        const keepaliveSeconds = check.negotiated.keepaliveSeconds;
        if (keepaliveSeconds > 0) this.keepaliveTimer = setInterval(() => this.socket.write(KEEPALIVE_MESSAGE), keepaliveSeconds * 1000);
        report('open', { holdTime: check.negotiated.holdTimeSeconds, peerAsn: check.negotiated.peerAsn, fourOctetAs: check.negotiated.fourOctetAs });
        return;
      }
      case MessageType.KEEPALIVE:
        if (this.openReceived && !this.established) {
          this.established = true;
          report('established');
          this.resolveEstablished();
        }
        return;
      case MessageType.NOTIFICATION: {
        const notification = decodeMessage(frame, DEFAULT_CODEC_OPTIONS);
        if (notification.type === 'notification') {
          report('notification', { code: notification.code, subcode: notification.subcode, shutdownMessage: notification.shutdownMessage });
        }
        this.fail('NOTIFICATION received');
        return;
      }
      case MessageType.UPDATE:
        this.updatesReceived++;
        return;
      default:
        return; // ROUTE-REFRESH: the table is sent once; nothing to do
    }
  }

  /** Writes the table slice by slice, pausing whenever the socket asks, then End-of-RIB. */
  async sendTable(table: EncodedTable): Promise<void> {
    const bytes = table.bytes;
    let writes = 0;
    let drains = 0;
    const startedAt = now();
    for (let offset = 0; offset < bytes.length && !this.stopping; offset += WRITE_SLICE) {
      writes++;
      if (!this.socket.write(bytes.subarray(offset, Math.min(offset + WRITE_SLICE, bytes.length)))) {
        drains++;
        await once(this.socket, 'drain');
      }
    }
    if (this.stopping) return;
    await new Promise<void>((resolve) => this.socket.write(encodeMessage(endOfRib('ipv4'), TABLE_CODEC_OPTIONS), () => resolve()));
    report('sent', { bytes: bytes.length, updates: table.updates, writes, drains, seconds: (now() - startedAt) / 1000 });
  }

  /** Cease/Administrative Shutdown, then close. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.keepaliveTimer);
    const notification = encodeMessage(
      { type: 'notification', code: ErrorCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data: new Uint8Array(0) },
      DEFAULT_CODEC_OPTIONS,
    );
    this.socket.end(notification);
    setTimeout(() => process.exit(0), 1000).unref();
    this.socket.once('close', () => process.exit(0));
  }

  private fail(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.keepaliveTimer);
    report('closed', { reason, established: this.established, updatesReceived: this.updatesReceived });
    this.socket.destroy();
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const lifetime = setTimeout(() => {
    report('closed', { reason: `--max-seconds ${options.maxSeconds} reached` });
    process.exit(1);
  }, options.maxSeconds * 1000);
  lifetime.unref();

  const started = now();
  const table = encodeTable({ routes: options.routes, senderAsn: options.asn, nextHop: options.local, seed: options.seed });
  report('encoded', { routes: table.routes, updates: table.updates, attributeSets: table.attributeSets, bytes: table.bytes.length, seconds: (now() - started) / 1000 });

  let sender: Sender | undefined;
  let stopRequested = false;
  const stop = (): void => {
    stopRequested = true;
    if (sender === undefined) process.exit(0);
    sender.stop();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop).on('close', stop).resume();

  const socket = await connectWithRetry(options);
  if (stopRequested) {
    socket.destroy();
    return;
  }
  report('connected', { local: socket.localAddress, peer: socket.remoteAddress, port: socket.remotePort });
  sender = new Sender(socket, options);
  await sender.whenEstablished;
  await sender.sendTable(table);
  // Keep the session (and this process) up until told to stop; the keepalive interval holds the loop open.
  lifetime.ref();
}

main().catch((error: unknown) => {
  report('closed', { reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});

/**
 * One measurement: start a receiver, start the sender against it, and time from the sender's
 * Established to the receiver holding every route, with the receiver's CPU seconds and peak RSS.
 * Every wait is bounded; whatever happens, both processes are stopped and the folder removed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, now, peakRssBytes, sleep } from './proc.js';
import type { BenchNamespace } from './netns.js';
import type { Receiver } from './receivers.js';

export const SENDER_ADDRESS = '192.0.2.1';
export const SENDER_ASN = 65000;
export const HOLD_TIME = 180;

export interface MeasureOptions {
  readonly ns: BenchNamespace;
  readonly routes: number;
  readonly port: number;
  readonly seed: number;
  readonly pollMs: number;
  readonly timeoutSeconds: number;
  /** How long after "all held" the peak RSS is read, so work that follows the count is included. */
  readonly settleMs: number;
}

export type Measurement =
  | {
      readonly ok: true;
      /** From the sender's Established to the first poll answer showing every route held. */
      readonly seconds: number;
      /** From the question of the poll before (which still saw fewer routes) to that answer: the true moment lies in this window. */
      readonly resolutionSeconds: number;
      /** Receiver user+system CPU from just before the sender started to "all held". */
      readonly cpuSeconds: number;
      readonly peakRssBytes: number;
      /** From Established to the sender's last byte accepted by the kernel (End-of-RIB included). */
      readonly senderSeconds: number | undefined;
      readonly polls: number;
      /** The machine's 1-minute load average just before the receiver started (others' work skews figures). */
      readonly loadBefore: number;
    }
  | { readonly ok: false; readonly error: string; readonly held?: number };

interface SenderEvent {
  readonly event: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

const SENDER_SCRIPT = fileURLToPath(new URL('../full-table-sender.js', import.meta.url));
/** The sender encodes the table before connecting; 14 million routes take well under this. */
const ENCODE_TIMEOUT_MS = 120_000;
const ESTABLISH_TIMEOUT_MS = 30_000;

/** The sender process and its stdout events, in order. */
class SenderProcess {
  readonly child: ChildProcess;
  readonly events: SenderEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly stderr: string[] = [];
  exited = false;

  constructor(ns: BenchNamespace, args: readonly string[]) {
    const command = ns.wrap(process.execPath, [SENDER_SCRIPT, ...args]);
    this.child = spawn(command.cmd, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as SenderEvent);
      } catch {
        this.stderr.push(line);
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  find(name: string): SenderEvent | undefined {
    return this.events.find((e) => e.event === name);
  }

  /** The failure the sender reported, if any. */
  failure(): string | undefined {
    const closed = this.find('closed');
    const notification = this.find('notification');
    if (notification !== undefined) {
      return `receiver sent NOTIFICATION ${String(notification['code'])}/${String(notification['subcode'])}`;
    }
    if (closed !== undefined) return `sender: ${String(closed['reason'])}`;
    if (this.exited) return `sender exited: ${this.stderr.join('').trim().slice(-500)}`;
    return undefined;
  }

  /** Waits until the event arrives, the sender fails, or the timeout passes. */
  async waitFor(name: string, timeoutMs: number): Promise<SenderEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.find(name);
      if (event !== undefined) return event;
      const failure = this.failure();
      if (failure !== undefined) throw new Error(failure);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`sender: no "${name}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** Closing stdin asks for Cease/Administrative Shutdown; SIGKILL if it is still there after 3 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end();
    const deadline = Date.now() + 3_000;
    while (!this.exited && Date.now() < deadline) await sleep(50);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Stops what the measurement in progress started; for a benchmark interrupted by a signal. */
let stopInProgress: (() => Promise<void>) | undefined;

export async function stopMeasurementInProgress(): Promise<void> {
  await stopInProgress?.();
}

export async function measure(receiver: Receiver, options: MeasureOptions): Promise<Measurement> {
  const loadBefore = loadavg()[0] ?? 0;
  const dir = await mkdtemp(join(tmpdir(), `bgp-bench-${receiver.name}-`));
  let running: Awaited<ReturnType<Receiver['start']>> | undefined;
  let sender: SenderProcess | undefined;
  let held: number | undefined;
  stopInProgress = async () => {
    await sender?.stop();
    await running?.daemon.stop();
  };
  try {
    running = await receiver.start({ dir, ns: options.ns, port: options.port, senderAddress: SENDER_ADDRESS, senderAsn: SENDER_ASN, holdTime: HOLD_TIME });
    const pid = running.daemon.pid;
    sender = new SenderProcess(options.ns, [
      '--local', SENDER_ADDRESS,
      '--peer', receiver.address,
      '--port', String(options.port),
      '--asn', String(SENDER_ASN),
      '--peer-asn', String(receiver.asn),
      '--routes', String(options.routes),
      '--seed', String(options.seed),
      '--hold-time', String(HOLD_TIME),
      '--max-seconds', String(options.timeoutSeconds + 120),
    ]);
    await sender.waitFor('encoded', ENCODE_TIMEOUT_MS);
    // The sender only connects once the table is encoded: the receiver has been idle until now.
    const cpuBefore = await cpuSeconds(pid);
    const established = await sender.waitFor('established', ESTABLISH_TIMEOUT_MS);

    const deadline = established.at + options.timeoutSeconds * 1000;
    const maxPolls = Math.ceil((options.timeoutSeconds * 1000) / options.pollMs) + 1;
    let previousAsked = established.at;
    for (let polls = 1; polls <= maxPolls; polls++) {
      const asked = now();
      held = await running.routesHeld().catch(() => undefined);
      const answered = now();
      if (held !== undefined && held >= options.routes) {
        const cpuAfter = await cpuSeconds(pid);
        await sleep(options.settleMs);
        const peak = peakRssBytes(pid);
        const sent = sender.find('sent');
        return {
          ok: true,
          seconds: (answered - established.at) / 1000,
          resolutionSeconds: (answered - previousAsked) / 1000,
          cpuSeconds: cpuAfter - cpuBefore,
          peakRssBytes: peak,
          senderSeconds: sent === undefined ? undefined : (sent.at - established.at) / 1000,
          polls,
          loadBefore,
        };
      }
      previousAsked = asked;
      if (!running.daemon.running) throw new Error(`${running.daemon.label} exited (${running.daemon.exitStatus}):\n${running.daemon.tail()}`);
      const failure = sender.failure();
      if (failure !== undefined) throw new Error(failure);
      if (answered >= deadline) break;
      // pollMs from question to question; for a costly query also at least as long idle as the
      // last answer took, so the receiver is not kept busy answering (see costlyQuery).
      const took = answered - asked;
      await sleep(Math.max(options.pollMs - took, running.costlyQuery === true ? took : 0));
    }
    return { ok: false, error: `timeout after ${options.timeoutSeconds} s`, ...(held === undefined ? {} : { held }) };
  } catch (error) {
    return { ok: false, error: (error as Error).message, ...(held === undefined ? {} : { held }) };
  } finally {
    stopInProgress = undefined;
    await sender?.stop();
    await running?.daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

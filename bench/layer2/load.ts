/**
 * Runs the ARP load client (arp-load.js, compiled beside this file) inside the client's namespace
 * and reads its JSON lines; optionally samples another process's CPU (the owning speaker) when
 * the client starts sending and when it has sent the last request, so the CPU figure covers the
 * load and not the client's start-up or drain.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { now } from '../full-table/proc.js';

const ARP_LOAD = fileURLToPath(new URL('./arp-load.js', import.meta.url));

export interface LatencyUs {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly min: number | null;
}

/** The client's result line (see arp-load.ts). */
export interface ArpLoadResult {
  readonly target: string;
  readonly rate: number;
  readonly seconds: number;
  readonly sendingSeconds: number;
  readonly achievedRate: number;
  readonly sent: number;
  readonly sendErrors: number;
  readonly firstSendError?: string;
  readonly replies: number;
  readonly answered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly strayReplies: number;
  readonly replyingMacs: Readonly<Record<string, number>>;
  readonly latencyUs: LatencyUs;
  readonly clientLoopLagUs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface LoadRun {
  readonly result: ArpLoadResult;
  /** CPU seconds of the watched process between "sending" and "sent", and that span in seconds. */
  readonly watchedCpuSeconds: number | undefined;
  readonly watchedSpanSeconds: number | undefined;
}

export interface LoadOptions {
  readonly ns: string;
  readonly target: string;
  readonly rate: number;
  readonly seconds: number;
  readonly drainMs?: number;
  /** CPU seconds of the process to watch (read at "sending" and "sent"). */
  readonly cpu?: () => Promise<number>;
}

/** Start-up of a node process plus margin; the whole run is bounded by seconds + drain + this. */
const STARTUP_MARGIN_MS = 20_000;

export function runArpLoad(options: LoadOptions): Promise<LoadRun> {
  const drainMs = options.drainMs ?? 1_000;
  const args = ['netns', 'exec', options.ns, process.execPath, ARP_LOAD, '--target', options.target, '--rate', String(options.rate), '--seconds', String(options.seconds), '--drain-ms', String(drainMs)];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let carry = '';
    let stderr = '';
    let result: ArpLoadResult | undefined;
    let cpuStart: Promise<number> | undefined;
    let cpuEnd: Promise<number> | undefined;
    let startedAt = 0;
    let sentAt = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.seconds * 1000 + drainMs + STARTUP_MARGIN_MS);
    const sample = (): Promise<number> | undefined => options.cpu?.().catch(() => Number.NaN);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (carry + chunk).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as { event?: string };
        if (record.event === 'sending') {
          startedAt = now();
          cpuStart = sample();
        } else if (record.event === 'sent') {
          sentAt = now();
          cpuEnd = sample();
        } else if (record.event === 'result') result = record as unknown as ArpLoadResult;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 10_000) stderr += chunk;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (result === undefined) {
        reject(new Error(`arp-load ${options.target} ended (${signal ?? `exit code ${String(code)}`}) without a result: ${stderr.trim()}`));
        return;
      }
      const finished = result;
      void Promise.all([cpuStart, cpuEnd]).then(([a, b]) => {
        const known = a !== undefined && b !== undefined && !Number.isNaN(a) && !Number.isNaN(b);
        resolve({
          result: finished,
          watchedCpuSeconds: known ? b - a : undefined,
          watchedSpanSeconds: startedAt > 0 && sentAt > 0 ? (sentAt - startedAt) / 1000 : undefined,
        });
      });
    });
  });
}

/** A few requests for `ip` (5 over 50 ms): which MACs answer, and how many answers each. */
export async function probe(ns: string, ip: string): Promise<{ macs: string[]; answered: number; replies: number; sent: number }> {
  const { result } = await runArpLoad({ ns, target: ip, rate: 100, seconds: 0.05, drainMs: 200 });
  return { macs: Object.keys(result.replyingMacs).sort(), answered: result.answered, replies: result.replies, sent: result.sent };
}

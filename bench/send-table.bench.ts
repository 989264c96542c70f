/**
 * Send-table benchmark (the issue's "sending 1,000,000 IPv4 routes to a BIRD receiver: ours, GoBGP
 * and BIRD, in the same run, side by side").
 *
 *   bench/run.sh send-table [--routes 1000000] [--per-set 4] [--senders ours,gobgp,bird] [--runs 1]
 *                           [--poll-ms 100] [--timeout 180] [--port 1179] [--json FILE]
 *
 * For each run and each sender in turn (one at a time: the machine has 2 cores): a fresh BIRD
 * receiver (passive, import all), the sender started and given the whole table (not timed), then
 * told to connect; measured: seconds from the receiver's Established (BIRD's own timestamp, in ms)
 * to the receiver holding every route (polled; the ± is the poll window), the sender's CPU seconds
 * over that time and its peak RSS. Then a summary with ratios to GoBGP and BIRD, and the verdicts
 * (must: ours faster than GoBGP; aim: ours faster than BIRD). Everything runs in a network
 * namespace of its own, deleted at the end: the receiver is 192.0.2.20, the senders 192.0.2.21-23.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchNamespace } from './full-table/netns.js';
import { cpuSeconds, now, peakRssBytes, sleep } from './full-table/proc.js';
import type { Daemon } from './full-table/proc.js';
import { RECEIVER_ADDRESS, RECEIVER_ASN, startReceiver } from './send/receiver.js';
import type { RunningReceiver } from './send/receiver.js';
import { formatRun, formatSummary, formatVerdicts } from './send/report.js';
import type { SendMeasurement, SenderResults } from './send/report.js';
import { SENDERS, SENDER_NAMES } from './send/senders.js';
import type { Sender, SenderName } from './send/senders.js';
import { attributeSets } from './send/table.js';
import type { SendTableOptions } from './send/table.js';

const HOLD_TIME = 180;
const ESTABLISH_TIMEOUT_MS = 30_000;

interface BenchOptions {
  readonly table: SendTableOptions;
  readonly senders: readonly SenderName[];
  readonly runs: number;
  readonly pollMs: number;
  readonly timeoutSeconds: number;
  readonly loadTimeoutSeconds: number;
  readonly port: number;
  readonly json: string | undefined;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      routes: { type: 'string', default: '1000000' },
      'per-set': { type: 'string', default: '4' },
      senders: { type: 'string', default: SENDER_NAMES.join(',') },
      runs: { type: 'string', default: '1' },
      'poll-ms': { type: 'string', default: '100' },
      timeout: { type: 'string', default: '180' },
      'load-timeout': { type: 'string', default: '600' },
      port: { type: 'string', default: '1179' },
      json: { type: 'string' },
    },
  });
  const integer = (name: string, text: string | undefined, min: number, max: number): number => {
    const n = Number(text?.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in [${min}, ${max}], got ${String(text)}`);
    return n;
  };
  const senders = (values.senders ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const s of senders) {
    if (!(SENDER_NAMES as readonly string[]).includes(s)) throw new RangeError(`--senders: unknown "${s}" (known: ${SENDER_NAMES.join(', ')})`);
  }
  if (senders.length === 0) throw new RangeError('--senders: name at least one');
  const routes = integer('routes', values.routes, 1, 14_000_000);
  return {
    table: { routes, perSet: integer('per-set', values['per-set'], 1, routes) },
    senders: senders as SenderName[],
    runs: integer('runs', values.runs, 1, 20),
    pollMs: integer('poll-ms', values['poll-ms'], 10, 5000),
    timeoutSeconds: integer('timeout', values.timeout, 1, 3600),
    loadTimeoutSeconds: integer('load-timeout', values['load-timeout'], 1, 3600),
    port: integer('port', values.port, 1, 65535),
    json: values.json,
  };
}

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${new Date().toISOString()}; Linux ${release()}; ${model}; ${availableParallelism()} cores; ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`;
}

/** What a measurement in progress started, and its folder, for an interrupted benchmark. */
let inProgress: Daemon[] = [];
let inProgressDir: string | undefined;

async function measure(sender: Sender, options: BenchOptions, ns: BenchNamespace): Promise<SendMeasurement> {
  const loadBefore = loadavg()[0] ?? 0;
  const dir = await mkdtemp(join(tmpdir(), `bgp-bench-send-${sender.name}-`));
  inProgressDir = dir;
  let receiver: RunningReceiver | undefined;
  let senderDaemon: Daemon | undefined;
  let imported: number | undefined;
  inProgress = [];
  try {
    receiver = await startReceiver(ns, dir, options.port, { address: sender.address, asn: sender.asn }, HOLD_TIME);
    inProgress.push(receiver.daemon);
    const prepared = await sender.prepare({
      dir,
      ns,
      port: options.port,
      receiver: { address: RECEIVER_ADDRESS, asn: RECEIVER_ASN },
      table: options.table,
      holdTime: HOLD_TIME,
      loadTimeoutMs: options.loadTimeoutSeconds * 1000,
      track: (daemon) => {
        senderDaemon = daemon;
        inProgress.push(daemon);
      },
    });
    senderDaemon = prepared.daemon;
    const pid = prepared.daemon.pid;
    const cpuBefore = await cpuSeconds(pid);
    await prepared.connect();
    const connectedAt = now();

    let established: number | undefined;
    let seconds99: number | undefined;
    let previousAsked = connectedAt;
    const maxPolls = Math.ceil(((options.timeoutSeconds * 1000) + ESTABLISH_TIMEOUT_MS) / options.pollMs) + 1;
    for (let polls = 1; polls <= maxPolls; polls++) {
      const asked = now();
      const state = await receiver.state().catch(() => undefined);
      const answered = now();
      if (state?.bgpState === 'Established' && established === undefined) {
        // BIRD's own "since" (ms) is when the session came up; the poll only bounds it.
        established = state.sinceMs ?? asked;
      }
      imported = state?.imported;
      if (established !== undefined && imported !== undefined && seconds99 === undefined && imported >= options.table.routes * 0.99) {
        seconds99 = (answered - established) / 1000;
      }
      if (established !== undefined && imported !== undefined && imported >= options.table.routes) {
        const cpuAfter = await cpuSeconds(pid);
        return {
          ok: true,
          seconds: (answered - established) / 1000,
          seconds99: seconds99 ?? (answered - established) / 1000,
          resolutionSeconds: (answered - previousAsked) / 1000,
          cpuSeconds: cpuAfter - cpuBefore,
          peakRssBytes: peakRssBytes(pid),
          loadSeconds: prepared.loadSeconds,
          loadBefore,
        };
      }
      previousAsked = asked;
      for (const daemon of [receiver.daemon, prepared.daemon]) {
        if (!daemon.running) throw new Error(`${daemon.label} exited (${daemon.exitStatus}):\n${daemon.tail()}`);
      }
      if (established === undefined && answered - connectedAt > ESTABLISH_TIMEOUT_MS) {
        throw new Error(`no session within ${ESTABLISH_TIMEOUT_MS} ms (receiver state ${String(state?.bgpState)})\n${prepared.daemon.tail()}`);
      }
      if (established !== undefined && answered - established > options.timeoutSeconds * 1000) {
        return { ok: false, error: `timeout after ${options.timeoutSeconds} s`, ...(imported === undefined ? {} : { imported }) };
      }
      await sleep(Math.max(0, options.pollMs - (answered - asked)));
    }
    return { ok: false, error: 'poll budget exhausted', ...(imported === undefined ? {} : { imported }) };
  } catch (error) {
    return { ok: false, error: (error as Error).message, ...(imported === undefined ? {} : { imported }) };
  } finally {
    await senderDaemon?.stop();
    await receiver?.daemon.stop();
    inProgress = [];
    inProgressDir = undefined;
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) process.stderr.write('bench: not root; namespaces and binding will fail\n');
  const results: SenderResults[] = [];
  for (const name of options.senders) {
    const label = await SENDERS[name].version().catch((error: Error) => `${name} (${error.message})`);
    results.push({ name, label, runs: [] });
  }
  process.stdout.write(
    `Send-table: ${options.table.routes.toLocaleString('en-US')} IPv4 /24 routes, ${options.table.perSet} per attribute set ` +
      `(${attributeSets(options.table).toLocaleString('en-US')} sets, one community each), to a BIRD receiver ${RECEIVER_ADDRESS}; ` +
      `polled every ${options.pollMs} ms, timeout ${options.timeoutSeconds} s\n${machine()}\n`,
  );
  const ns = await BenchNamespace.create([RECEIVER_ADDRESS, ...options.senders.map((name) => SENDERS[name].address)]);
  const interrupted = (signal: NodeJS.Signals): void => {
    void Promise.all(inProgress.map((d) => d.stop()))
      .finally(() => (inProgressDir === undefined ? undefined : rm(inProgressDir, { recursive: true, force: true })))
      .finally(() => ns.delete())
      .finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (let run = 0; run < options.runs; run++) {
      for (const result of results) {
        process.stderr.write(`run ${run + 1}/${options.runs}: ${result.label} ...\n`);
        const m = await measure(SENDERS[result.name], options, ns);
        result.runs.push(m);
        process.stderr.write(m.ok ? `  ${m.seconds.toFixed(2)} s (load ${m.loadSeconds.toFixed(1)} s)\n` : `  failed: ${m.error}\n`);
      }
      process.stdout.write(`\nRun ${run + 1} of ${options.runs}\n${formatRun(run, results)}\n`);
    }
  } finally {
    await ns.delete();
  }
  process.stdout.write(`\nSummary${options.runs > 1 ? ` (median [min-max] of ${options.runs} runs)` : ''}\n${formatSummary(results)}\n\n${formatVerdicts(results)}\n`);
  if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify({ machine: machine(), options, results }, null, 2)}\n`);
  return results.every((r) => r.runs.every((m) => m.ok)) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);

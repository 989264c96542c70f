/**
 * Full-table receive benchmark (the issue's "a sender offering 1,000,000 IPv4 routes as fast as TCP
 * takes them, received in the same run by our speaker, BIRD, FRR and GoBGP").
 *
 *   bench/run.sh full-table [--routes 1000000] [--receivers ours,bird,frr,gobgp] [--runs 1]
 *                           [--poll-ms 100] [--timeout 120] [--port 1179] [--seed 1] [--json FILE]
 *
 * For each run and each receiver in turn (one at a time: the machine has 2 cores), it starts the
 * receiver, starts full-table-sender against it, and reports seconds from the sender's Established
 * to the receiver holding every route (polled; the ± is the poll window), the receiver's CPU
 * seconds and its peak RSS. Then a summary with ratios to BIRD and the issue's verdicts.
 * Everything runs in a network namespace of its own, deleted at the end: the sender is 192.0.2.1,
 * the receivers 192.0.2.11-14, all on the loopback of that namespace (see full-table/netns.ts).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { HOLD_TIME, SENDER_ADDRESS, measure, stopMeasurementInProgress } from './full-table/measure.js';
import type { MeasureOptions } from './full-table/measure.js';
import { BenchNamespace } from './full-table/netns.js';
import { RECEIVERS, RECEIVER_NAMES } from './full-table/receivers.js';
import type { ReceiverName } from './full-table/receivers.js';
import { formatRun, formatSummary, formatVerdicts } from './full-table/report.js';
import type { ReceiverResults } from './full-table/report.js';

interface BenchOptions extends Omit<MeasureOptions, 'ns'> {
  readonly receivers: readonly ReceiverName[];
  readonly runs: number;
  readonly json: string | undefined;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      routes: { type: 'string', default: '1000000' },
      receivers: { type: 'string', default: RECEIVER_NAMES.join(',') },
      runs: { type: 'string', default: '1' },
      'poll-ms': { type: 'string', default: '100' },
      timeout: { type: 'string', default: '120' },
      port: { type: 'string', default: '1179' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
    },
  });
  const integer = (name: string, text: string | undefined, min: number, max: number): number => {
    const n = Number(text?.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in [${min}, ${max}], got ${String(text)}`);
    return n;
  };
  const receivers = (values.receivers ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  for (const r of receivers) {
    if (!(RECEIVER_NAMES as readonly string[]).includes(r)) throw new RangeError(`--receivers: unknown "${r}" (known: ${RECEIVER_NAMES.join(', ')})`);
  }
  if (receivers.length === 0) throw new RangeError('--receivers: name at least one');
  return {
    routes: integer('routes', values.routes, 1, 14_000_000),
    receivers: receivers as ReceiverName[],
    runs: integer('runs', values.runs, 1, 20),
    pollMs: integer('poll-ms', values['poll-ms'], 10, 5000),
    timeoutSeconds: integer('timeout', values.timeout, 1, 3600),
    port: integer('port', values.port, 1, 65535),
    seed: integer('seed', values.seed, 0, 4294967295),
    settleMs: 1000,
    json: values.json,
  };
}

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${new Date().toISOString()}; Linux ${release()}; ${model}; ${availableParallelism()} cores; ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) process.stderr.write('bench: not root; FRR (chown to frr) and binding may fail\n');
  const results: ReceiverResults[] = [];
  for (const name of options.receivers) {
    const label = await RECEIVERS[name].version().catch((error: Error) => `${name} (${error.message})`);
    results.push({ name, label, runs: [] });
  }
  const routes = options.routes.toLocaleString('en-US');
  process.stdout.write(
    `Full-table receive: ${routes} IPv4 /24 routes, 4 prefixes per attribute set, AS paths of 2-5 ASNs, ` +
      `sender ${SENDER_ADDRESS} (hold time ${HOLD_TIME} s), polled every ${options.pollMs} ms, timeout ${options.timeoutSeconds} s\n` +
      `${machine()}\n`,
  );
  const ns = await BenchNamespace.create([SENDER_ADDRESS, ...options.receivers.map((name) => RECEIVERS[name].address)]);
  // Interrupted: stop the sender and the receiver, remove the namespace, then die of the signal.
  const interrupted = (signal: NodeJS.Signals): void => {
    void stopMeasurementInProgress()
      .finally(() => ns.delete())
      .finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (let run = 0; run < options.runs; run++) {
      for (const result of results) {
        process.stderr.write(`run ${run + 1}/${options.runs}: ${result.label} ...\n`);
        const m = await measure(RECEIVERS[result.name], { ...options, ns });
        result.runs.push(m);
        process.stderr.write(m.ok ? `  ${m.seconds.toFixed(2)} s\n` : `  failed: ${m.error}\n`);
      }
      process.stdout.write(`\nRun ${run + 1} of ${options.runs}\n${formatRun(run, results)}\n`);
    }
  } finally {
    await ns.delete();
  }
  process.stdout.write(`\nSummary${options.runs > 1 ? ` (median [min-max] of ${options.runs} runs)` : ''}\n${formatSummary(results)}\n\n${formatVerdicts(results)}\n`);
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify({ machine: machine(), options, results }, null, 2)}\n`);
  }
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

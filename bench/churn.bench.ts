/**
 * Churn benchmark (the issue's "10,000 announce/withdraw operations per second for 60 seconds,
 * memory flat, every peer's view matches ours").
 *
 *   bench/run.sh churn [--rate 10000] [--seconds 60] [--pool 50000] [--warmup 10] [--port 1179]
 *                      [--seed 1] [--json FILE]
 *
 * Our speaker (the library API, in bench/churn/driver.ts, its own process) has two peers, BIRD
 * and FRR, configured as in the full-table benchmark (passive, import all, nothing to the kernel).
 * Once both sessions are up the driver announces and withdraws /32s of a pool at a fixed rate for
 * the given time (bounded by rate x seconds operations), sampling its memory every second, each
 * sample right after a forced full collection (so heapUsed is the live heap). Then:
 *   - memory: the mean RSS and heapUsed of the first 10 s after warm-up against the last 10 s, and
 *     the least-squares slope after warm-up (MiB per minute); "flat" when the last window is
 *     within 10% of the first, for both;
 *   - views: once the driver has sent everything, BIRD's and FRR's tables from us are read in full
 *     and compared with `speaker.advertisedRoutes()`: no prefix missing, none extra.
 * Everything runs in a network namespace of its own (192.0.2.31 ours, .12 BIRD, .13 FRR), deleted
 * at the end.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareSets, growth } from './churn/analysis.js';
import type { Growth, MemorySample } from './churn/analysis.js';
import { BenchNamespace } from './full-table/netns.js';
import { runCommand, sleep } from './full-table/proc.js';
import { RECEIVERS } from './full-table/receivers.js';
import type { RunningReceiver } from './full-table/receivers.js';

const OURS = { address: '192.0.2.31', asn: 64611 };
const HOLD_TIME = 90;
const DRIVER = fileURLToPath(new URL('./churn/driver.js', import.meta.url));
const MIB = 1024 * 1024;
/** The memory verdict: the last window may be this much above the first. */
const FLAT_RATIO = 1.1;

interface Options {
  readonly rate: number;
  readonly seconds: number;
  readonly pool: number;
  readonly warmup: number;
  readonly window: number;
  readonly port: number;
  readonly seed: number;
  readonly json: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '60' },
      pool: { type: 'string', default: '50000' },
      warmup: { type: 'string', default: '10' },
      window: { type: 'string', default: '10' },
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
  const seconds = integer('seconds', values.seconds, 5, 3600);
  const warmup = integer('warmup', values.warmup, 0, seconds);
  const window = integer('window', values.window, 1, seconds);
  if (warmup + 2 * window > seconds) throw new RangeError(`--seconds ${seconds} is too short for --warmup ${warmup} and two windows of ${window} s`);
  return {
    rate: integer('rate', values.rate, 1, 1_000_000),
    seconds,
    pool: integer('pool', values.pool, 1, 131_072),
    warmup,
    window,
    port: integer('port', values.port, 1, 65535),
    seed: integer('seed', values.seed, 0, 0xffffffff),
    json: values.json,
  };
}

function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${new Date().toISOString()}; Linux ${release()}; ${model}; ${availableParallelism()} cores; ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`;
}

interface DriverEvent {
  readonly event: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** The driver process and its events, in order. */
class Driver {
  readonly child: ChildProcess;
  readonly events: DriverEvent[] = [];
  private readonly stderr: string[] = [];

  constructor(ns: BenchNamespace, args: readonly string[]) {
    // --expose-gc: the driver collects before each memory sample (see driver.ts).
    const command = ns.wrap(process.execPath, ['--expose-gc', DRIVER, ...args]);
    this.child = spawn(command.cmd, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as DriverEvent);
      } catch {
        this.keep(line);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  private keep(text: string): void {
    this.stderr.push(text);
    if (this.stderr.length > 50) this.stderr.shift();
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Waits (bounded) for an event; fails when the driver reports a failure or exits. */
  async waitFor(name: string, timeoutMs: number): Promise<DriverEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.events.find((e) => e.event === name);
      if (event !== undefined) return event;
      const closed = this.events.find((e) => e.event === 'closed');
      if (closed !== undefined) throw new Error(`driver: ${String(closed['reason'])}`);
      if (this.exited) throw new Error(`driver exited: ${this.stderr.join('').slice(-1000)}`);
      if (Date.now() >= deadline) throw new Error(`driver: no "${name}" within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end();
    for (let i = 0; i < 60 && !this.exited; i++) await sleep(50);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** BIRD's routes from us: `birdc show route protocol bench_peer` (the full-table receiver's names). */
async function birdPrefixes(dir: string): Promise<string[]> {
  const out = await runCommand('birdc', ['-s', join(dir, 'bird.ctl'), 'show', 'route', 'table', 'master4', 'protocol', 'bench_peer'], 60_000);
  return out.stdout
    .split('\n')
    .filter((line) => /^\d+\.\d+\.\d+\.\d+\/\d+\s/.test(line))
    .map((line) => line.split(/\s+/)[0] as string);
}

/** FRR's routes (it has no others): `show bgp ipv4 unicast json`. */
async function frrPrefixes(dir: string): Promise<string[]> {
  const out = await runCommand('vtysh', ['--vty_socket', dir, '-c', 'show bgp ipv4 unicast json'], 120_000);
  return Object.keys((JSON.parse(out.stdout) as { routes?: Record<string, unknown> }).routes ?? {});
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(1);

function growthLine(label: string, g: Growth): string {
  return `${label}: first ${mib(g.first)} MiB, last ${mib(g.last)} MiB (x${g.ratio.toFixed(3)}), slope ${(g.slopePerMinute / MIB).toFixed(2)} MiB/min over ${g.samples} samples`;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) process.stderr.write('bench: not root; namespaces and FRR will fail\n');
  const bird = RECEIVERS.bird;
  const frr = RECEIVERS.frr;
  process.stdout.write(
    `Churn: our speaker (library API) -> ${await bird.version()} and ${await frr.version()}; ${options.rate} ops/s for ${options.seconds} s ` +
      `(at most ${(options.rate * options.seconds).toLocaleString('en-US')}), pool of ${options.pool.toLocaleString('en-US')} /32s, memory every 1 s\n` +
      `${machine()}; load average ${loadavg()[0]?.toFixed(1)}\n`,
  );
  const ns = await BenchNamespace.create([OURS.address, bird.address, frr.address]);
  const dirs = { bird: await mkdtemp(join(tmpdir(), 'bgp-bench-churn-bird-')), frr: await mkdtemp(join(tmpdir(), 'bgp-bench-churn-frr-')) };
  const running: RunningReceiver[] = [];
  let driver: Driver | undefined;
  const cleanup = async (): Promise<void> => {
    await driver?.stop();
    for (const r of running) await r.daemon.stop();
    await ns.delete();
    for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    void cleanup().finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const setup = { ns, port: options.port, senderAddress: OURS.address, senderAsn: OURS.asn, holdTime: HOLD_TIME };
    const birdRunning = await bird.start({ ...setup, dir: dirs.bird });
    running.push(birdRunning);
    const frrRunning = await frr.start({ ...setup, dir: dirs.frr });
    running.push(frrRunning);

    driver = new Driver(ns, [
      '--local', OURS.address,
      '--asn', String(OURS.asn),
      '--peer', `${bird.address}:${bird.asn}`,
      '--peer', `${frr.address}:${frr.asn}`,
      '--port', String(options.port),
      '--rate', String(options.rate),
      '--seconds', String(options.seconds),
      '--pool', String(options.pool),
      '--seed', String(options.seed),
    ]);
    await driver.waitFor('established', 60_000);
    process.stderr.write(`both sessions up; churning for ${options.seconds} s ...\n`);
    const churned = await driver.waitFor('churned', (options.seconds + 60) * 1000);
    const final = await driver.waitFor('final', 180_000);
    const advertised = final['advertised'] as string[];

    // Both peers converge on our count, then their tables are read in full.
    const convergeStart = Date.now();
    const held: Record<string, number | undefined> = {};
    for (;;) {
      held['bird'] = await birdRunning.routesHeld().catch(() => undefined);
      held['frr'] = await frrRunning.routesHeld().catch(() => undefined);
      if (held['bird'] === advertised.length && held['frr'] === advertised.length) break;
      if (Date.now() - convergeStart > 60_000) break;
      await sleep(200);
    }
    const convergeSeconds = (Date.now() - convergeStart) / 1000;
    const views = {
      bird: compareSets(advertised, await birdPrefixes(dirs.bird)),
      frr: compareSets(advertised, await frrPrefixes(dirs.frr)),
    };

    const samples = driver.events.filter((e) => e.event === 'sample') as unknown as MemorySample[];
    const end = Number(churned['seconds']);
    const rss = growth(samples, (s) => s.rss, options.warmup, options.window, end);
    const heap = growth(samples, (s) => s.heapUsed, options.warmup, options.window, end);

    const rows = samples.filter((s, i) => i % 5 === 0 || i === samples.length - 1);
    process.stdout.write(
      `\n${'t s'.padStart(6)}  ${'ops'.padStart(8)}  ${'ours'.padStart(6)}  ${'RSS MiB'.padStart(8)}  ${'live heap'.padStart(9)}  ${'heap pre-GC'.padStart(11)}  ${'loop p99 ms'.padStart(11)}\n`,
    );
    for (const s of rows) {
      process.stdout.write(
        `${s.t.toFixed(1).padStart(6)}  ${String(s.ops).padStart(8)}  ${String(s.announced).padStart(6)}  ${mib(s.rss).padStart(8)}  ${mib(s.heapUsed).padStart(9)}  ${mib(s.heapBeforeGc).padStart(11)}  ${s.loopDelayP99Ms.toFixed(1).padStart(11)}\n`,
      );
    }
    const ops = Number(churned['ops']);
    const flat = rss.ratio <= FLAT_RATIO && heap.ratio <= FLAT_RATIO;
    const viewsMatch = Object.values(views).every((v) => v.missing.length === 0 && v.extra.length === 0);
    const describeView = (name: string, v: { missing: string[]; extra: string[] }): string =>
      `${name}: ${v.missing.length} missing, ${v.extra.length} extra${v.missing.length + v.extra.length > 0 ? ` (e.g. ${[...v.missing.slice(0, 3), ...v.extra.slice(0, 3)].join(', ')})` : ''}`;
    process.stdout.write(
      [
        '',
        `operations: ${ops.toLocaleString('en-US')} in ${end.toFixed(1)} s = ${Math.round(Number(churned['rate'])).toLocaleString('en-US')} ops/s (asked ${options.rate})`,
        `advertised at the end: ${advertised.length.toLocaleString('en-US')} prefixes; peers held ${String(held['bird'])} (BIRD) and ${String(held['frr'])} (FRR), ` +
          `converged ${convergeSeconds.toFixed(1)} s after we had sent everything`,
        growthLine(`RSS after ${options.warmup} s warm-up`, rss),
        growthLine(`live heap (heapUsed after a full GC) after ${options.warmup} s warm-up`, heap),
        `memory flat (last ${options.window} s within ${Math.round((FLAT_RATIO - 1) * 100)}% of the first ${options.window} s after warm-up, RSS and heap): ${flat ? 'PASS' : 'FAIL'}`,
        `views match speaker.advertisedRoutes(): ${viewsMatch ? 'PASS' : 'FAIL'} (${describeView('BIRD', views.bird)}; ${describeView('FRR', views.frr)})`,
        '',
      ].join('\n'),
    );
    if (options.json !== undefined) {
      writeFileSync(options.json, `${JSON.stringify({ machine: machine(), options, churned, samples, rss, heap, views: { bird: { missing: views.bird.missing.length, extra: views.bird.extra.length }, frr: { missing: views.frr.missing.length, extra: views.frr.extra.length } }, convergeSeconds }, null, 2)}\n`);
    }
    return flat && viewsMatch ? 0 : 1;
  } finally {
    await cleanup();
  }
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

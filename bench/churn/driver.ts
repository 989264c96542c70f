/**
 * The churn benchmark's own process, run inside the benchmark's namespace: our speaker through the
 * library API, two peers (BIRD and FRR, both passive), and a steady stream of announce/withdraw
 * operations at a fixed rate, with the process's memory sampled every second.
 *
 *   node bench/.build/churn/driver.js --local 192.0.2.31 --asn 64611 \
 *     --peer 192.0.2.32:64612 --peer 192.0.2.33:64613 --port 1179 \
 *     [--rate 10000] [--seconds 60] [--pool 50000] [--seed 1]
 *
 * The operations: a prefix drawn (seeded PRNG) from a pool of /32s in 198.18.0.0/15 (RFC 2544
 * benchmarking space) is announced if we do not announce it, else withdrawn; announcements carry
 * one of 16 communities, so the peers get several attribute sets. The rate is kept by a 10 ms
 * tick doing every operation due by then (so a slow tick is caught up, and the rate achieved is
 * reported); it stops after --seconds or rate x seconds operations, whichever comes first.
 *
 * Reports on stdout, one JSON object per line: "established" (both peers up), "sample" (every
 * second: rss, heapUsed, heapTotal, external, arrayBuffers, ops so far, event-loop delay; run with
 * node --expose-gc, each sample follows a full collection, and heapBeforeGc is what was in use
 * before it), "churned"
 * (ops done, seconds), then "final" once both peers have been sent everything (their advertised
 * count equals ours and stays so): our advertised prefixes (`speaker.advertisedRoutes()`). It
 * stops (Cease) when its stdin closes, or after --max-seconds.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Speaker, createLogger, validateConfig } from 'bgp-speaker';
import type { SpeakerConfig } from 'bgp-speaker';
import { seededRandom } from '../full-table/table.js';

const TICK_MS = 10;
const SAMPLE_MS = 1000;
/** The pool lives in 198.18.0.0/15: at most this many /32s. */
const POOL_MAX = 131_072;
const COMMUNITIES = 16;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: now(), ...fields })}\n`);
}

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text?.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in [${min}, ${max}], got ${String(text)}`);
  return n;
}

/** The i-th /32 of 198.18.0.0/15. */
function poolPrefix(i: number): string {
  return `198.${18 + (i >>> 16)}.${(i >>> 8) & 0xff}.${i & 0xff}/32`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      local: { type: 'string' },
      asn: { type: 'string', default: '64611' },
      peer: { type: 'string', multiple: true },
      port: { type: 'string', default: '179' },
      rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '60' },
      pool: { type: 'string', default: '50000' },
      seed: { type: 'string', default: '1' },
      'max-seconds': { type: 'string', default: '900' },
    },
  });
  if (values.local === undefined) throw new RangeError('--local is required');
  const peers = (values.peer ?? []).map((text) => {
    const [address, asn] = text.split(':');
    return { address: address ?? '', asn: integer('peer', asn, 1, 0xffffffff) };
  });
  if (peers.length === 0) throw new RangeError('--peer ADDRESS:ASN, at least one');
  const rate = integer('rate', values.rate, 1, 1_000_000);
  const seconds = integer('seconds', values.seconds, 1, 3600);
  const pool = integer('pool', values.pool, 1, POOL_MAX);
  const maxOps = rate * seconds;
  const maxSeconds = integer('max-seconds', values['max-seconds'], 1, 7200);
  setTimeout(() => {
    report('closed', { reason: `--max-seconds ${maxSeconds} reached` });
    process.exit(1);
  }, maxSeconds * 1000).unref();

  const port = integer('port', values.port, 1, 65535);
  const config = validateConfig(
    {
      asn: integer('asn', values.asn, 1, 0xffffffff),
      routerId: values.local,
      peers: peers.map((p) => ({ address: p.address, asn: p.asn, port, holdTime: 90, connectRetryTime: 1, sourceAddress: values.local, families: ['ipv4'] })),
      announce: [],
    },
    (path) => readFileSync(path, 'utf8'),
  );
  if (Array.isArray(config)) throw new Error(`config: ${JSON.stringify(config)}`);
  const speaker = new Speaker(config as SpeakerConfig, { logger: createLogger({ level: 'warn', pretty: false }) });
  const up = new Set<string>();
  speaker.on('peerUp', (address) => up.add(address));
  speaker.on('peerDown', (address, reason) => {
    up.delete(address);
    report('down', { peer: address, reason });
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void speaker.stop('churn benchmark done').finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop).on('close', stop).resume();

  await speaker.start();
  for (let waited = 0; up.size < peers.length; waited += 100) {
    if (waited > 60_000) throw new Error(`peers up after 60 s: ${[...up].join(', ') || 'none'}`);
    await sleep(100);
  }
  report('established', { peers: [...up] });

  // ---- the churn -------------------------------------------------------------------------------
  const random = seededRandom(integer('seed', values.seed, 0, 0xffffffff));
  const announced = new Uint8Array(pool);
  const prefixes = Array.from({ length: pool }, (_, i) => poolPrefix(i));
  const communities = Array.from({ length: COMMUNITIES }, (_, i) => [`64611:${i}`]);
  let ops = 0;
  let announcedCount = 0;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = now();
  // With --expose-gc, a full collection before each sample: heapUsed is then the live heap, not a
  // point on the collector's sawtooth (which swings by tens of MiB at this rate).
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = (): void => {
    const t = (now() - started) / 1000;
    const heapBeforeGc = process.memoryUsage().heapUsed;
    gc?.();
    const m = process.memoryUsage();
    report('sample', {
      t,
      heapBeforeGc,
      gc: gc !== undefined,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      ops,
      announced: announcedCount,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    });
    delay.reset();
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = now() - started;
      const due = Math.min(maxOps, Math.floor((elapsed * rate) / 1000));
      for (; ops < due; ops++) {
        const i = Math.floor(random() * pool);
        const prefix = prefixes[i] as string;
        if (announced[i] === 1) {
          speaker.withdraw(prefix);
          announced[i] = 0;
          announcedCount--;
        } else {
          speaker.announce({ prefix, communities: communities[i % COMMUNITIES] as string[] });
          announced[i] = 1;
          announcedCount++;
        }
      }
      if (ops >= maxOps || elapsed >= seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, TICK_MS);
  });
  const churnSeconds = (now() - started) / 1000;
  clearInterval(sampler);
  sample();
  delay.disable();
  report('churned', { ops, seconds: churnSeconds, rate: ops / churnSeconds, announced: announcedCount });

  // ---- converge: every peer has been sent everything ---------------------------------------------
  const ours = speaker.advertisedRoutes().length;
  let stableSince: number | undefined;
  for (let waited = 0; ; waited += 50) {
    const settled = speaker.neighbors().every((n) => n.state === 'Established' && n.advertised === ours);
    if (!settled) stableSince = undefined;
    else stableSince ??= now();
    if (stableSince !== undefined && now() - stableSince >= 500) break;
    if (waited > 120_000) throw new Error(`peers not sent everything 120 s after the churn: ${JSON.stringify(speaker.neighbors())}`);
    await sleep(50);
  }
  report('final', {
    advertised: speaker.advertisedRoutes().map((r) => r.prefix),
    perPeer: Object.fromEntries(peers.map((p) => [p.address, speaker.advertisedRoutes(p.address).length])),
    neighbors: speaker.neighbors(),
  });
}

main().catch((error: unknown) => {
  report('closed', { reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});

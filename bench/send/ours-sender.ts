/**
 * Our speaker as the sender of the send-table benchmark, through the library API, in a process of
 * its own (run inside the benchmark's namespace, like every other sender):
 *
 *   node bench/.build/send/ours-sender.js --local 192.0.2.21 --peer 192.0.2.20 --port 1179 \
 *     --asn 64601 --peer-asn 64600 --routes 1000000 --per-set 4 [--hold-time 180]
 *
 * It builds a config with one peer and no routes, calls `speaker.announce()` for every route of
 * the table (before the session exists, as the other senders hold their table before theirs),
 * reports "loaded", and calls `speaker.start()` when a line "go" arrives on stdin (so the
 * benchmark reads the CPU counter just before). It reports on stdout, one JSON object per line,
 * `at` in epoch ms:
 *   {"event":"loaded","seconds":..} {"event":"established","at":..} {"event":"down","reason":..}
 * It stops (Cease/Administrative Shutdown) when its stdin closes, on SIGTERM/SIGINT, or after
 * --max-seconds.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Speaker, createLogger, validateConfig } from 'bgp-speaker';
import type { SpeakerConfig } from 'bgp-speaker';
import { forEachRoute } from './table.js';

function now(): number {
  return performance.timeOrigin + performance.now();
}

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: now(), ...fields })}\n`);
}

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in [${min}, ${max}], got ${String(text)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      local: { type: 'string' },
      peer: { type: 'string' },
      port: { type: 'string', default: '179' },
      asn: { type: 'string', default: '64601' },
      'peer-asn': { type: 'string', default: '64600' },
      routes: { type: 'string', default: '1000000' },
      'per-set': { type: 'string', default: '4' },
      'hold-time': { type: 'string', default: '180' },
      'max-seconds': { type: 'string', default: '900' },
    },
  });
  if (values.local === undefined || values.peer === undefined) throw new RangeError('--local and --peer are required');
  const routes = integer('routes', values.routes, 1, 14_000_000);
  const perSet = integer('per-set', values['per-set'], 1, 14_000_000);
  const maxSeconds = integer('max-seconds', values['max-seconds'], 1, 3600);
  const lifetime = setTimeout(() => {
    report('closed', { reason: `--max-seconds ${maxSeconds} reached` });
    process.exit(1);
  }, maxSeconds * 1000);
  lifetime.unref();

  const document = {
    asn: integer('asn', values.asn, 1, 0xffffffff),
    routerId: values.local,
    peers: [
      {
        address: values.peer,
        asn: integer('peer-asn', values['peer-asn'], 1, 0xffffffff),
        port: integer('port', values.port, 1, 65535),
        holdTime: integer('hold-time', values['hold-time'], 3, 65535),
        connectRetryTime: 1,
        sourceAddress: values.local,
        families: ['ipv4'],
      },
    ],
    announce: [],
  };
  const config = validateConfig(document, (path) => readFileSync(path, 'utf8'));
  if (Array.isArray(config)) throw new Error(`config: ${JSON.stringify(config)}`);
  const speaker = new Speaker(config as SpeakerConfig, { logger: createLogger({ level: 'warn', pretty: false }) });

  const loadStart = now();
  forEachRoute({ routes, perSet }, (prefix, [high, low]) => {
    speaker.announce({ prefix, communities: [`${high}:${low}`] });
  });
  report('loaded', { routes, seconds: (now() - loadStart) / 1000, heapUsed: process.memoryUsage().heapUsed });

  speaker.on('peerUp', () => report('established'));
  speaker.on('peerDown', (_address, reason) => report('down', { reason }));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void speaker.stop('send-table benchmark done').finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop).on('close', stop);
  await new Promise<void>((resolve) => {
    let buffered = '';
    process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.split('\n').some((line) => line.trim() === 'go')) resolve();
    });
  });
  await speaker.start();
  report('started');
  lifetime.ref();
}

main().catch((error: unknown) => {
  report('closed', { reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});

/**
 * The three senders of the send-table benchmark: ours (the Speaker library API in a process of
 * its own), GoBGP and BIRD. Each is started in the benchmark's namespace with its own folder and
 * address, gets the whole table in its native form (not timed: "load s" in the report), and only
 * then is told to connect (`connect()`), so the time measured is the sending alone:
 * - ours: ours-sender.js announces every route through `speaker.announce()`, then "go" on stdin
 *   makes it call `speaker.start()`;
 * - GoBGP: gobgpd starts with the neighbour `admin-down`, `gobgp mrt inject global FILE` loads
 *   the table, `gobgp neighbor RECEIVER enable` connects;
 * - BIRD: the table is a `protocol static` in bird.conf, the BGP protocol starts `disabled`, and
 *   `birdc enable` connects once the static protocol holds every route.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchNamespace } from '../full-table/netns.js';
import { Daemon, runCommand, sleep } from '../full-table/proc.js';
import { MRT_PADDING_PREFIX, MRT_PADDING_RECORDS, birdStaticProtocol, writeMrtTable } from './table.js';
import type { SendTableOptions } from './table.js';

export type SenderName = 'ours' | 'gobgp' | 'bird';
export const SENDER_NAMES: readonly SenderName[] = ['ours', 'gobgp', 'bird'];

export interface SenderSetup {
  readonly dir: string;
  readonly ns: BenchNamespace;
  readonly port: number;
  readonly receiver: { readonly address: string; readonly asn: number };
  readonly table: SendTableOptions;
  readonly holdTime: number;
  /** Bound on loading the table. */
  readonly loadTimeoutMs: number;
  /** Called with the daemon as soon as it is spawned, so an interrupted benchmark can stop it. */
  readonly track: (daemon: Daemon) => void;
}

export interface PreparedSender {
  readonly daemon: Daemon;
  /** Seconds the sender took to take the table in (not part of the measurement). */
  readonly loadSeconds: number;
  /** Starts the session towards the receiver. */
  connect(): Promise<void>;
}

export interface Sender {
  readonly name: SenderName;
  readonly address: string;
  readonly asn: number;
  version(): Promise<string>;
  prepare(setup: SenderSetup): Promise<PreparedSender>;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits (bounded) until `probe` says yes; fails early when the daemon exits. */
async function waitFor(daemon: Daemon, what: string, timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!daemon.running) throw new Error(`${daemon.label} exited ${what} (${daemon.exitStatus}):\n${daemon.tail()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() >= deadline) throw new Error(`${daemon.label}: not ${what} within ${timeoutMs} ms:\n${daemon.tail()}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Ours

const OURS_SENDER = fileURLToPath(new URL('./ours-sender.js', import.meta.url));

/** The JSON events ours-sender printed so far. */
function oursEvents(daemon: Daemon): { event: string; [key: string]: unknown }[] {
  return daemon
    .tail(200)
    .split('\n')
    .filter((line) => line.startsWith('{"event"'))
    .map((line) => JSON.parse(line) as { event: string });
}

const ours: Sender = {
  name: 'ours',
  address: '192.0.2.21',
  asn: 64601,
  async version() {
    return 'bgp-speaker (ours, library API)';
  },
  async prepare(setup) {
    const extraNodeOptions = process.env['BENCH_OURS_NODE_OPTIONS']?.split(' ').filter((o) => o.length > 0) ?? [];
    const command = setup.ns.wrap(process.execPath, [
      ...extraNodeOptions,
      OURS_SENDER,
      '--local', this.address,
      '--peer', setup.receiver.address,
      '--port', String(setup.port),
      '--asn', String(this.asn),
      '--peer-asn', String(setup.receiver.asn),
      '--routes', String(setup.table.routes),
      '--per-set', String(setup.table.perSet),
      '--hold-time', String(setup.holdTime),
    ]);
    // stdin stays open: its end means "stop", and "go" on it means "connect".
    const daemon = new Daemon('ours-sender', command.cmd, command.args, { cwd: setup.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    setup.track(daemon);
    let loaded: { event: string; [key: string]: unknown } | undefined;
    await waitFor(daemon, 'loaded', setup.loadTimeoutMs, async () => {
      loaded = oursEvents(daemon).find((e) => e.event === 'loaded');
      return loaded !== undefined;
    });
    return {
      daemon,
      loadSeconds: Number(loaded?.['seconds']),
      async connect() {
        daemon.child.stdin?.write('go\n');
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// GoBGP

const gobgp: Sender = {
  name: 'gobgp',
  address: '192.0.2.22',
  asn: 64602,
  async version() {
    const out = await runCommand('gobgpd', ['--version']);
    return `GoBGP ${/version\s+(\S+)/.exec(out.stdout)?.[1] ?? '?'}`;
  },
  async prepare(setup) {
    const config = [
      '[global.config]',
      `  as = ${this.asn}`,
      `  router-id = "${this.address}"`,
      `  port = ${setup.port}`,
      `  local-address-list = ["${this.address}"]`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${setup.receiver.address}"`,
      `    peer-as = ${setup.receiver.asn}`,
      '    admin-down = true',
      '  [neighbors.timers.config]',
      '    connect-retry = 1',
      `    hold-time = ${setup.holdTime}`,
      `    keepalive-interval = ${Math.floor(setup.holdTime / 3)}`,
      '  [neighbors.transport.config]',
      `    local-address = "${this.address}"`,
      `    remote-port = ${setup.port}`,
      '  [neighbors.ebgp-multihop.config]',
      '    enabled = true',
      '    multihop-ttl = 2',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '',
    ].join('\n');
    const file = join(setup.dir, 'gobgpd.toml');
    await writeFile(file, config);
    const api = `${this.address}:50051`;
    const command = setup.ns.wrap('gobgpd', ['-f', file, '-t', 'toml', '--api-hosts', api, '--pprof-disable', '-l', 'warn']);
    const daemon = new Daemon('gobgpd-sender', command.cmd, command.args, { cwd: setup.dir });
    setup.track(daemon);
    const cli = (args: readonly string[], timeoutMs?: number): ReturnType<typeof runCommand> => {
      const inside = setup.ns.wrap('gobgp', ['-u', this.address, ...args]);
      return runCommand(inside.cmd, inside.args, timeoutMs);
    };
    await waitFor(daemon, 'ready', 20_000, async () => (await cli(['-j', 'neighbor'])).code === 0);

    // Writing the MRT file is the benchmark's work, not GoBGP's: "load s" is the inject alone.
    const mrt = join(setup.dir, 'table.mrt');
    await writeMrtTable(mrt, setup.table, { address: this.address, asn: this.asn }, this.address);
    const injectStart = now();
    const held = async (): Promise<number> => {
      const summary = await cli(['global', 'rib', 'summary', '-a', 'ipv4']);
      return Number(/Destination:\s*(\d+)/.exec(summary.stdout)?.[1] ?? 0);
    };
    // The file ends with padding records that the inject may lose (see MRT_PADDING_PREFIX); should
    // it lose more, inject again from the first record GoBGP does not hold (records are in order).
    for (let attempt = 1, skip = 0; ; attempt++) {
      const args = ['mrt', 'inject', 'global', mrt, ...(skip > 0 ? [String(setup.table.routes - skip + MRT_PADDING_RECORDS), String(skip)] : [])];
      const inject = await cli(args, setup.loadTimeoutMs);
      if (inject.code !== 0) throw new Error(`gobgp mrt inject: ${inject.stderr.trim()}`);
      await sleep(1000); // let gobgpd take what the CLI sent
      await cli(['global', 'rib', 'del', '-a', 'ipv4', MRT_PADDING_PREFIX]);
      skip = await held();
      if (skip >= setup.table.routes) break;
      if (attempt === 5) throw new Error(`gobgp holds ${skip} of ${setup.table.routes} routes after ${attempt} injects`);
    }
    const loadSeconds = (now() - injectStart) / 1000;
    return {
      daemon,
      loadSeconds,
      async connect() {
        const out = await cli(['neighbor', setup.receiver.address, 'enable']);
        if (out.code !== 0) throw new Error(`gobgp neighbor enable: ${out.stderr.trim()}`);
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// BIRD

const BIRD_STATIC = 'bench_routes';
const BIRD_PEER = 'bench_out';

const bird: Sender = {
  name: 'bird',
  address: '192.0.2.23',
  asn: 64603,
  async version() {
    const out = await runCommand('bird', ['--version']);
    return /BIRD version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[0]?.replace('BIRD version', 'BIRD') ?? 'BIRD';
  },
  async prepare(setup) {
    const config = [
      'log stderr { warning, error, fatal };',
      `router id ${this.address};`,
      'protocol device {}',
      birdStaticProtocol(BIRD_STATIC, setup.table),
      `protocol bgp ${BIRD_PEER} {`,
      '  disabled;',
      `  local ${this.address} port ${setup.port} as ${this.asn};`,
      `  neighbor ${setup.receiver.address} port ${setup.port} as ${setup.receiver.asn};`,
      '  strict bind on;',
      '  multihop;',
      '  connect delay time 1;',
      `  hold time ${setup.holdTime};`,
      `  keepalive time ${Math.floor(setup.holdTime / 3)};`,
      '  ipv4 { import none; export all; };',
      '}',
      '',
    ].join('\n');
    const file = join(setup.dir, 'bird.conf');
    const socket = join(setup.dir, 'bird.ctl');
    await writeFile(file, config);
    const loadStart = now();
    const command = setup.ns.wrap('bird', ['-f', '-c', file, '-s', socket, '-P', join(setup.dir, 'bird.pid')]);
    const daemon = new Daemon('bird-sender', command.cmd, command.args, { cwd: setup.dir });
    setup.track(daemon);
    const birdc = (args: readonly string[]): ReturnType<typeof runCommand> => runCommand('birdc', ['-s', socket, ...args]);
    await waitFor(daemon, 'holding the table', setup.loadTimeoutMs, async () => {
      const out = await birdc(['show', 'protocols', 'all', BIRD_STATIC]);
      const imported = Number(/Routes:\s+(\d+) imported/.exec(out.stdout)?.[1] ?? 0);
      return imported >= setup.table.routes;
    }, 250);
    const loadSeconds = (now() - loadStart) / 1000;
    return {
      daemon,
      loadSeconds,
      async connect() {
        const out = await birdc(['enable', BIRD_PEER]);
        if (!/enabled/.test(out.stdout)) throw new Error(`birdc enable ${BIRD_PEER}: ${out.stdout.trim()} ${out.stderr.trim()}`);
      },
    };
  },
};

export const SENDERS: Readonly<Record<SenderName, Sender>> = { ours, gobgp, bird };

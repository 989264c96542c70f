/**
 * The four receivers of the full-table benchmark: our bgp-speaker, BIRD 2, FRR's bgpd and GoBGP.
 * Each is started in the foreground with its own folder and its own loopback address, configured
 * with one passive eBGP neighbour (the sender), IPv4 unicast only, import everything, export
 * nothing, and nothing installed in the kernel (no zebra, no kernel protocol). Each says how many
 * of the sender's routes it holds through its own ordinary query interface.
 */
import { chown, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchNamespace } from './netns.js';
import { Daemon, runCommand, sleep } from './proc.js';

export type ReceiverName = 'ours' | 'bird' | 'frr' | 'gobgp';
export const RECEIVER_NAMES: readonly ReceiverName[] = ['ours', 'bird', 'frr', 'gobgp'];

export interface ReceiverSetup {
  /** A fresh temporary folder that belongs to this receiver for this run. */
  readonly dir: string;
  /** Where the daemon runs (see netns.ts). */
  readonly ns: BenchNamespace;
  readonly port: number;
  readonly senderAddress: string;
  readonly senderAsn: number;
  readonly holdTime: number;
}

export interface RunningReceiver {
  readonly daemon: Daemon;
  /** Routes held from the sender, or undefined while the receiver cannot tell (no session yet). */
  routesHeld(): Promise<number | undefined>;
  /** What the poll asks, for the report ("bird: birdc show protocols all ..."). */
  readonly query: string;
  /**
   * The query costs the receiver real work (GoBGP): wait as long again as an answer took before
   * asking again, so that answering polls never takes more than half its time.
   */
  readonly costlyQuery?: boolean;
}

export interface Receiver {
  readonly name: ReceiverName;
  /** The receiver's own address in the benchmark namespace. */
  readonly address: string;
  readonly asn: number;
  version(): Promise<string>;
  /** Starts the daemon and resolves once it answers queries. */
  start(setup: ReceiverSetup): Promise<RunningReceiver>;
}

/** How long a daemon may take to answer its first query. */
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 100;

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const SPEAKER_BIN = join(repoRoot, 'packages/bgp-speaker/bin/bgp-speaker.js');

/** Waits (bounded) until `probe` says yes; fails early when the daemon exits, and stops it on failure. */
async function waitReady(daemon: Daemon, probe: () => Promise<boolean>): Promise<void> {
  const attempts = Math.ceil(READY_TIMEOUT_MS / READY_POLL_MS);
  for (let i = 0; i < attempts; i++) {
    if (!daemon.running) throw new Error(`${daemon.label} exited while starting (${daemon.exitStatus}):\n${daemon.tail()}`);
    if (await probe().catch(() => false)) return;
    await sleep(READY_POLL_MS);
  }
  await daemon.stop();
  throw new Error(`${daemon.label} did not answer within ${READY_TIMEOUT_MS} ms:\n${daemon.tail()}`);
}

// ---------------------------------------------------------------------------------------------
// Ours: bgp-speaker, asked over its control socket.

/** One newline-delimited JSON request on the control socket (what `bgp-speaker neighbors --json` sends). */
function controlRequest(path: string, request: object, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`control socket ${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      data += chunk;
      const end = data.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      try {
        const reply = JSON.parse(data.slice(0, end)) as { ok: boolean; result?: unknown; error?: string };
        if (reply.ok) resolve(reply.result);
        else reject(new Error(reply.error ?? 'control request failed'));
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const ours: Receiver = {
  name: 'ours',
  address: '192.0.2.11',
  asn: 64601,
  async version() {
    return 'bgp-speaker (ours)';
  },
  async start(setup) {
    const config = [
      `asn: ${this.asn}`,
      `routerId: ${this.address}`,
      `listen: { address: ${this.address}, port: ${setup.port} }`,
      'peers:',
      `  - address: ${setup.senderAddress}`,
      `    asn: ${setup.senderAsn}`,
      `    holdTime: ${setup.holdTime}`,
      '    passive: true',
      '    families: [ipv4]',
      'announce: []',
      '',
    ].join('\n');
    const file = join(setup.dir, 'speaker.yaml');
    const control = join(setup.dir, 'control.sock');
    await writeFile(file, config);
    const extraNodeOptions = process.env['BENCH_OURS_NODE_OPTIONS']?.split(' ').filter((o) => o.length > 0) ?? [];
    const command = setup.ns.wrap(process.execPath, [...extraNodeOptions, SPEAKER_BIN, 'run', '--config', file, '--control', control]);
    const daemon = new Daemon('bgp-speaker', command.cmd, command.args, { cwd: setup.dir });
    const senderAddress = setup.senderAddress;
    const routesHeld = async (): Promise<number | undefined> => {
      const neighbors = (await controlRequest(control, { command: 'neighbors' })) as { address: string; received: number; state: string }[];
      const peer = neighbors.find((n) => n.address === senderAddress);
      return peer === undefined ? undefined : peer.received;
    };
    await waitReady(daemon, async () => (await routesHeld()) !== undefined);
    return { daemon, routesHeld, query: 'control socket {"command":"neighbors"} -> received (as `bgp-speaker neighbors --json`)' };
  },
};

// ---------------------------------------------------------------------------------------------
// BIRD 2: birdc show protocols all NAME -> "Routes: N imported".

const BIRD_PROTOCOL = 'bench_peer';

const bird: Receiver = {
  name: 'bird',
  address: '192.0.2.12',
  asn: 64602,
  async version() {
    const out = await runCommand('bird', ['--version']);
    return /BIRD version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[0]?.replace('BIRD version', 'BIRD') ?? 'BIRD';
  },
  async start(setup) {
    const config = [
      'log stderr { warning, error, fatal };',
      `router id ${this.address};`,
      'protocol device {}',
      `protocol bgp ${BIRD_PROTOCOL} {`,
      `  local ${this.address} port ${setup.port} as ${this.asn};`,
      `  neighbor ${setup.senderAddress} as ${setup.senderAsn};`,
      '  passive on;',
      '  strict bind on;',
      '  multihop;', // the sender's address is local to the namespace, not a neighbour on a link
      `  hold time ${setup.holdTime};`,
      `  keepalive time ${Math.floor(setup.holdTime / 3)};`,
      '  ipv4 { import all; export none; };',
      '}',
      '',
    ].join('\n');
    const file = join(setup.dir, 'bird.conf');
    const socket = join(setup.dir, 'bird.ctl');
    await writeFile(file, config);
    const command = setup.ns.wrap('bird', ['-f', '-c', file, '-s', socket, '-P', join(setup.dir, 'bird.pid')]);
    const daemon = new Daemon('bird', command.cmd, command.args, { cwd: setup.dir });
    const routesHeld = async (): Promise<number | undefined> => {
      const out = await runCommand('birdc', ['-s', socket, 'show', 'protocols', 'all', BIRD_PROTOCOL]);
      const match = /Routes:\s+(\d+) imported/.exec(out.stdout);
      return match === null ? undefined : Number(match[1]);
    };
    await waitReady(daemon, async () => (await runCommand('birdc', ['-s', socket, 'show', 'status'])).stdout.includes('Daemon is up'));
    return { daemon, routesHeld, query: `birdc show protocols all ${BIRD_PROTOCOL} -> "Routes: N imported"` };
  },
};

// ---------------------------------------------------------------------------------------------
// FRR: bgpd alone (-Z, no zebra); vtysh show bgp summary json -> pfxRcd.

async function frrOwner(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await runCommand('id', ['-u', 'frr'])).stdout.trim());
  const gid = Number((await runCommand('id', ['-g', 'frr'])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('FRR: no user frr (is the frr package installed?)');
  return { uid, gid };
}

const frr: Receiver = {
  name: 'frr',
  address: '192.0.2.13',
  asn: 64603,
  async version() {
    const out = await runCommand('/usr/lib/frr/bgpd', ['--version']);
    return `FRR ${/version\s+(\S+)/.exec(out.stdout)?.[1] ?? '?'}`;
  },
  async start(setup) {
    const n = setup.senderAddress;
    const config = [
      'frr defaults traditional',
      'hostname bench-frr',
      '!',
      `router bgp ${this.asn}`,
      ` bgp router-id ${this.address}`,
      // RFC 8212 default: without this, eBGP accepts nothing.
      ' no bgp ebgp-requires-policy',
      ` neighbor ${n} remote-as ${setup.senderAsn}`,
      ` neighbor ${n} passive`,
      // Without zebra FRR knows no connected networks; an eBGP peer must then be multihop.
      ` neighbor ${n} ebgp-multihop 2`,
      ` neighbor ${n} timers ${Math.floor(setup.holdTime / 3)} ${setup.holdTime}`,
      ' address-family ipv4 unicast',
      `  neighbor ${n} activate`,
      ' exit-address-family',
      '!',
      '',
    ].join('\n');
    const { uid, gid } = await frrOwner();
    // bgpd drops to the frr user and exits at start when it cannot write its pid file.
    await chown(setup.dir, uid, gid);
    const file = join(setup.dir, 'bgpd.conf');
    await writeFile(file, config, { mode: 0o640 });
    await chown(file, uid, gid);
    const command = setup.ns.wrap('/usr/lib/frr/bgpd', [
      '-Z',
      '-l', this.address,
      '-p', String(setup.port),
      '-f', file,
      '-i', join(setup.dir, 'bgpd.pid'),
      '--vty_socket', setup.dir,
      '-A', '127.0.0.1',
      '-P', '0',
    ]);
    const daemon = new Daemon('frr-bgpd', command.cmd, command.args, { cwd: setup.dir });
    const summary = async (): Promise<Record<string, unknown> | undefined> => {
      const out = await runCommand('vtysh', ['--vty_socket', setup.dir, '-c', 'show bgp ipv4 unicast summary json']);
      return out.code === 0 && out.stdout.trim().startsWith('{') ? (JSON.parse(out.stdout) as Record<string, unknown>) : undefined;
    };
    const routesHeld = async (): Promise<number | undefined> => {
      const json = (await summary()) as { peers?: Record<string, { pfxRcd?: number }> } | undefined;
      return json?.peers?.[n]?.pfxRcd;
    };
    await waitReady(daemon, async () => (await summary()) !== undefined);
    return { daemon, routesHeld, query: 'vtysh show bgp ipv4 unicast summary json -> peers[SENDER].pfxRcd' };
  },
};

// ---------------------------------------------------------------------------------------------
// GoBGP: gobgp -j neighbor -> [SENDER].afi_safis[].state.accepted.
//
// The list form, not `gobgp neighbor SENDER`: for one named neighbour GoBGP also computes what it
// would advertise to it, walking the whole table (5-7 s at a million routes), and while it does
// so it receives nothing; polled every 100 ms that stalls it for good. The list takes ~0.2 s.

interface GobgpNeighborJson {
  readonly conf?: { readonly neighbor_address?: string };
  readonly afi_safis?: readonly { readonly state?: { readonly received?: number; readonly accepted?: number } }[];
}

const gobgp: Receiver = {
  name: 'gobgp',
  address: '192.0.2.14',
  asn: 64604,
  async version() {
    const out = await runCommand('gobgpd', ['--version']);
    return `GoBGP ${/version\s+(\S+)/.exec(out.stdout)?.[1] ?? '?'}`;
  },
  async start(setup) {
    const config = [
      '[global.config]',
      `  as = ${this.asn}`,
      `  router-id = "${this.address}"`,
      `  port = ${setup.port}`,
      `  local-address-list = ["${this.address}"]`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${setup.senderAddress}"`,
      `    peer-as = ${setup.senderAsn}`,
      '  [neighbors.timers.config]',
      `    hold-time = ${setup.holdTime}`,
      `    keepalive-interval = ${Math.floor(setup.holdTime / 3)}`,
      '  [neighbors.transport.config]',
      `    local-address = "${this.address}"`,
      '    passive-mode = true',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '',
    ].join('\n');
    const file = join(setup.dir, 'gobgpd.toml');
    await writeFile(file, config);
    const api = `${this.address}:50051`;
    const command = setup.ns.wrap('gobgpd', ['-f', file, '-t', 'toml', '--api-hosts', api, '--pprof-disable', '-l', 'warn']);
    const daemon = new Daemon('gobgpd', command.cmd, command.args, { cwd: setup.dir });
    // The gRPC API listens inside the namespace, so the CLI runs there too.
    const cli = (args: readonly string[]): ReturnType<typeof runCommand> => {
      const inside = setup.ns.wrap('gobgp', ['-u', this.address, ...args]);
      return runCommand(inside.cmd, inside.args);
    };
    const routesHeld = async (): Promise<number | undefined> => {
      const out = await cli(['-j', 'neighbor']);
      if (out.code !== 0 || !out.stdout.trim().startsWith('[')) return undefined;
      const json = (JSON.parse(out.stdout) as GobgpNeighborJson[]).find((n) => n.conf?.neighbor_address === setup.senderAddress);
      if (json === undefined) return undefined;
      let held: number | undefined;
      for (const afiSafi of json.afi_safis ?? []) {
        const count = afiSafi.state?.accepted ?? afiSafi.state?.received;
        if (count !== undefined) held = (held ?? 0) + count;
      }
      return held ?? 0;
    };
    await waitReady(daemon, async () => (await cli(['-j', 'neighbor'])).code === 0);
    return { daemon, routesHeld, query: 'gobgp -j neighbor -> [SENDER].afi_safis[].state.accepted', costlyQuery: true };
  },
};

export const RECEIVERS: Readonly<Record<ReceiverName, Receiver>> = { ours, bird, frr, gobgp };

/**
 * k8s-bridge benchmark (issue 4): `k8s-bridge standalone` as Kubernetes node "node-1", FRR as the
 * seed's router (192.0.2.1, AS 64512, TCP-MD5 password), the seed's kubespray variables unchanged
 * (fixtures/k8s-bridge/kubespray-bgp-password.yaml, pool 10.5.0.0/16). Two measurements:
 *
 *   latency: Services created one at a time (the cluster file rewritten with one more Service,
 *            its EndpointSlice and the Node, written beside and renamed over); per Service, the
 *            time from the rename to FRR counting one more prefix from the node (`show bgp ipv4
 *            unicast summary json`, pfxRcd), polled back to back. p50, p99, max, poll window.
 *   cold:    a cluster file of N Services written before start; from spawning the process to FRR
 *            holding all N routes, with the process's CPU seconds and peak RSS (VmHWM).
 *
 * Nothing is compared side by side: MetalLB itself cannot run here. Every loop is bounded in count
 * and time; the namespaces and the temp folder are removed at the end, also on SIGINT/SIGTERM.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NODE_NAME, clusterText, nodeJson, replaceFile, serviceWithSliceJson } from './k8s-bridge/cluster.js';
import { NODE, ROUTER, Topology, fixturePassword, startFrr } from './k8s-bridge/topology.js';
import type { RunningFrr } from './k8s-bridge/topology.js';
import { Daemon, cpuSeconds, now, peakRssBytes, runCommand, sleep } from './full-table/proc.js';

// Compiled into bench/.build: the repository is two folders up.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const BRIDGE_BIN = join(repoRoot, 'packages/k8s-bridge/bin/k8s-bridge.js');
const FIXTURE = join(repoRoot, 'fixtures/k8s-bridge/kubespray-bgp-password.yaml');
const ESTABLISH_TIMEOUT_MS = 30_000;
/** One Service that has not reached FRR after this long ends the latency run (reported). */
const PER_SERVICE_TIMEOUT_MS = 30_000;
const SETTLE_MS = 1_000;

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    'max-seconds': { type: 'string', default: '120' },
    cold: { type: 'string', default: '10000' },
    'cold-timeout': { type: 'string', default: '300' },
    'poll-ms': { type: 'string', default: '10' },
    'cold-poll-ms': { type: 'string', default: '100' },
    phases: { type: 'string', default: 'latency,cold' },
    json: { type: 'string' },
  },
  strict: true,
});

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: a positive number expected, got ${String(text)}`);
  return n;
}

const opts = {
  services: Math.floor(positive('services', values.services)),
  maxSeconds: positive('max-seconds', values['max-seconds']),
  cold: Math.floor(positive('cold', values.cold)),
  coldTimeout: positive('cold-timeout', values['cold-timeout']),
  pollMs: positive('poll-ms', values['poll-ms']),
  coldPollMs: positive('cold-poll-ms', values['cold-poll-ms']),
  phases: (values.phases ?? '').split(',').filter((p) => p.length > 0),
};
for (const p of opts.phases) if (p !== 'latency' && p !== 'cold') throw new Error(`--phases: latency and/or cold, got ${p}`);

// ---- what runs, for cleanup on any exit -----------------------------------------------------

const running = new Set<Daemon>();
let topology: Topology | undefined;
let workDir: string | undefined;

async function cleanup(): Promise<void> {
  for (const daemon of running) await daemon.stop(3_000);
  running.clear();
  await topology?.delete();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- helpers --------------------------------------------------------------------------------

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

function ms(x: number): string {
  return `${x.toFixed(0)} ms`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function phaseDirs(name: string): Promise<{ frrDir: string; nodeDir: string }> {
  if (workDir === undefined) throw new Error('no work folder');
  const frrDir = join(workDir, `${name}-frr`);
  const nodeDir = join(workDir, `${name}-node`);
  await mkdir(frrDir);
  await mkdir(nodeDir);
  return { frrDir, nodeDir };
}

function startBridge(topo: Topology, nodeDir: string, clusterFile: string): Daemon {
  const extra = process.env['BENCH_BRIDGE_NODE_OPTIONS']?.split(' ').filter((o) => o.length > 0) ?? [];
  const command = topo.wrap(topo.nodeNs, process.execPath, [
    ...extra,
    BRIDGE_BIN,
    'standalone',
    '--config', FIXTURE,
    '--services', clusterFile,
    '--node-name', NODE_NAME,
    '--control', join(nodeDir, 'control.sock'),
  ]);
  const daemon = new Daemon('k8s-bridge', command.cmd, command.args, { cwd: nodeDir });
  running.add(daemon);
  // When the bridge says it runs (everything allocated, the speaker started and given the
  // routes), on this process's clock; read from its stdout as it comes (it logs a line per
  // Service first, more than Daemon keeps).
  let carry = '';
  const onData = (chunk: Buffer | string): void => {
    const text = carry + chunk.toString();
    if (text.includes(`"msg":"${RUNNING_MSG}"`)) {
      runningSeenAt.set(daemon, now());
      daemon.child.stdout?.off('data', onData);
      return;
    }
    carry = text.slice(-200);
  };
  daemon.child.stdout?.on('data', onData);
  return daemon;
}

const RUNNING_MSG = 'k8s-bridge standalone running';
const runningSeenAt = new Map<Daemon, number>();

async function stop(daemon: Daemon): Promise<void> {
  await daemon.stop(3_000);
  running.delete(daemon);
}

function assertRunning(daemon: Daemon, doing: string): void {
  if (!daemon.running) throw new Error(`${daemon.label} exited (${String(daemon.exitStatus)}) ${doing}:\n${daemon.tail(30)}`);
}

async function waitEstablished(frr: RunningFrr, bridge: Daemon): Promise<void> {
  const deadline = Date.now() + ESTABLISH_TIMEOUT_MS;
  for (;;) {
    assertRunning(bridge, 'before the session came up');
    assertRunning(frr.daemon, 'before the session came up');
    if ((await frr.peer().catch(() => undefined))?.state === 'Established') return;
    if (Date.now() > deadline) throw new Error(`no Established session at FRR within ${ESTABLISH_TIMEOUT_MS} ms:\n${bridge.tail(30)}`);
    await sleep(100);
  }
}

// ---- latency ----------------------------------------------------------------------------------

interface LatencyResult {
  readonly count: number;
  readonly stoppedBy: string;
  readonly latenciesMs: readonly number[];
  /** Per Service: from the question of the poll before (or the rename) to the answer that saw it. */
  readonly windowsMs: readonly number[];
  readonly pollMsMean: number;
  readonly seconds: number;
  readonly bridgeCpuSeconds: number;
  readonly bridgePeakRss: number;
  readonly loadBefore: number;
  readonly fileBytesLast: number;
}

async function latency(topo: Topology, password: string): Promise<LatencyResult> {
  const loadBefore = loadavg()[0] ?? 0;
  const { frrDir, nodeDir } = await phaseDirs('latency');
  const frr = await startFrr(topo, frrDir, password);
  running.add(frr.daemon);
  const clusterFile = join(nodeDir, 'cluster.yaml');
  const node = nodeJson(NODE_NAME, NODE.address);
  await writeFile(clusterFile, clusterText(node, []));
  const bridge = startBridge(topo, nodeDir, clusterFile);
  try {
    await waitEstablished(frr, bridge);
    // Let the bridge's first round (and FRR's) finish before the first Service.
    await sleep(1_000);
    const fragments: string[] = [];
    const latencies: number[] = [];
    const windows: number[] = [];
    let polls = 0;
    let pollTime = 0;
    let stoppedBy = `${opts.services} Services`;
    let fileBytes = 0;
    const started = now();
    for (let i = 0; i < opts.services; i++) {
      if (now() - started > opts.maxSeconds * 1000) {
        stoppedBy = `the ${opts.maxSeconds} s bound`;
        break;
      }
      fragments.push(serviceWithSliceJson(i, NODE_NAME));
      const text = clusterText(node, fragments);
      fileBytes = text.length;
      await replaceFile(clusterFile, text);
      const renamed = now();
      let previousAsked = renamed;
      let seen = false;
      while (now() - renamed < PER_SERVICE_TIMEOUT_MS) {
        const asked = now();
        const held = (await frr.peer().catch(() => undefined))?.pfxRcd ?? 0;
        const answered = now();
        polls += 1;
        pollTime += answered - asked;
        if (held > i + 1) throw new Error(`FRR holds ${held} prefixes after ${i + 1} Services`);
        if (held === i + 1) {
          latencies.push(answered - renamed);
          windows.push(answered - previousAsked);
          seen = true;
          break;
        }
        previousAsked = asked;
        assertRunning(bridge, `at Service ${i + 1}`);
        await sleep(Math.max(0, opts.pollMs - (answered - asked)));
      }
      if (!seen) {
        stoppedBy = `Service ${i + 1} not at FRR within ${PER_SERVICE_TIMEOUT_MS / 1000} s`;
        break;
      }
    }
    const seconds = (now() - started) / 1000;
    const pid = bridge.pid;
    const bridgeCpu = await cpuSeconds(pid);
    const peak = peakRssBytes(pid);
    return {
      count: latencies.length,
      stoppedBy,
      latenciesMs: latencies,
      windowsMs: windows,
      pollMsMean: polls === 0 ? 0 : pollTime / polls,
      seconds,
      bridgeCpuSeconds: bridgeCpu,
      bridgePeakRss: peak,
      loadBefore,
      fileBytesLast: fileBytes,
    };
  } finally {
    await stop(bridge);
    await stop(frr.daemon);
  }
}

// ---- cold start -------------------------------------------------------------------------------

interface ColdResult {
  readonly services: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly held: number;
  /** From spawning the process to the poll answer showing every route at FRR. */
  readonly seconds: number;
  readonly windowSeconds: number;
  /** From spawning to the bridge's "k8s-bridge standalone running" line read on its stdout (all allocated, routes handed to the speaker). */
  readonly allocatedSeconds: number | undefined;
  readonly establishedSeconds: number | undefined;
  readonly firstRouteSeconds: number | undefined;
  readonly cpuSeconds: number;
  readonly peakRss: number;
  readonly fileBytes: number;
  readonly loadBefore: number;
}

async function cold(topo: Topology, password: string): Promise<ColdResult> {
  const { frrDir, nodeDir } = await phaseDirs('cold');
  const frr = await startFrr(topo, frrDir, password);
  running.add(frr.daemon);
  const clusterFile = join(nodeDir, 'cluster.yaml');
  const fragments: string[] = [];
  for (let i = 0; i < opts.cold; i++) fragments.push(serviceWithSliceJson(i, NODE_NAME));
  const text = clusterText(nodeJson(NODE_NAME, NODE.address), fragments);
  await writeFile(clusterFile, text);
  await sleep(2_000); // the file write and FRR's start are not in the measurement
  const loadBefore = loadavg()[0] ?? 0;
  const spawned = now();
  const bridge = startBridge(topo, nodeDir, clusterFile);
  let held = 0;
  let establishedAt: number | undefined;
  let firstRouteAt: number | undefined;
  try {
    const deadline = spawned + opts.coldTimeout * 1000;
    let previousAsked = spawned;
    const maxPolls = Math.ceil((opts.coldTimeout * 1000) / opts.coldPollMs) + 1;
    for (let polls = 0; polls < maxPolls; polls++) {
      assertRunning(bridge, `with ${held} routes at FRR`);
      const asked = now();
      const peer = await frr.peer().catch(() => undefined);
      const answered = now();
      if (peer?.state === 'Established' && establishedAt === undefined) establishedAt = answered;
      held = peer?.pfxRcd ?? held;
      if (held > 0 && firstRouteAt === undefined) firstRouteAt = answered;
      if (held >= opts.cold) {
        const pid = bridge.pid;
        const cpu = await cpuSeconds(pid);
        await sleep(SETTLE_MS);
        const allocated = runningSeenAt.get(bridge);
        return {
          services: opts.cold,
          ok: true,
          held,
          seconds: (answered - spawned) / 1000,
          windowSeconds: (answered - previousAsked) / 1000,
          allocatedSeconds: allocated === undefined ? undefined : (allocated - spawned) / 1000,
          establishedSeconds: establishedAt === undefined ? undefined : (establishedAt - spawned) / 1000,
          firstRouteSeconds: firstRouteAt === undefined ? undefined : (firstRouteAt - spawned) / 1000,
          cpuSeconds: cpu,
          peakRss: peakRssBytes(pid),
          fileBytes: text.length,
          loadBefore,
        };
      }
      if (answered > deadline) break;
      previousAsked = asked;
      await sleep(Math.max(0, opts.coldPollMs - (answered - asked)));
    }
    throw new Error(`timeout after ${opts.coldTimeout} s with ${held} of ${opts.cold} routes at FRR`);
  } catch (error) {
    const pid = bridge.running ? bridge.pid : undefined;
    return {
      services: opts.cold,
      ok: false,
      error: (error as Error).message,
      held,
      seconds: Number.NaN,
      windowSeconds: Number.NaN,
      allocatedSeconds: undefined,
      establishedSeconds: undefined,
      firstRouteSeconds: undefined,
      cpuSeconds: pid === undefined ? Number.NaN : await cpuSeconds(pid),
      peakRss: pid === undefined ? Number.NaN : peakRssBytes(pid),
      fileBytes: text.length,
      loadBefore,
    };
  } finally {
    await stop(bridge);
    await stop(frr.daemon);
  }
}

// ---- main -------------------------------------------------------------------------------------

function machine(frrVersion: string): string {
  const cpu = cpus();
  return `Linux ${release()}, ${cpu[0]?.model.trim() ?? '?'}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}, ${frrVersion}`;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('k8s-bridge bench: run as root (network namespaces, bgpd)\n');
    return 1;
  }
  const password = await fixturePassword(FIXTURE);
  workDir = await mkdtemp(join(tmpdir(), 'k8sb-bench-'));
  // bgpd runs as user frr and must reach its own folder inside this one.
  await chmod(workDir, 0o711);
  topology = await Topology.create();
  const results: { latency?: LatencyResult; cold?: ColdResult; machine?: string } = {};
  let ok = true;
  try {
    const versionProbe = await startFrrVersion();
    results.machine = machine(versionProbe);
    console.log(`k8s-bridge standalone (node-1, ${NODE.address}) -> ${versionProbe} (${ROUTER.address}, AS ${ROUTER.asn}, TCP-MD5), fixture kubespray-bgp-password.yaml`);
    console.log(`machine: ${results.machine}`);
    console.log('No side-by-side comparison: MetalLB itself cannot run here; these are absolute figures.\n');

    if (opts.phases.includes('latency')) {
      console.log(`latency: creating up to ${opts.services} Services one at a time (bound ${opts.maxSeconds} s)...`);
      const r = await latency(topology, password);
      results.latency = r;
      const sorted = [...r.latenciesMs].sort((a, b) => a - b);
      const windows = [...r.windowsMs].sort((a, b) => a - b);
      console.log(`  ${r.count} Services in ${r.seconds.toFixed(1)} s (stopped by ${r.stoppedBy}), load average before ${r.loadBefore.toFixed(2)}`);
      console.log('');
      console.log('| Service created -> route at FRR | p50 | p99 | max | min | poll window p50 / max | one poll (vtysh) mean |');
      console.log('| --- | --- | --- | --- | --- | --- | --- |');
      console.log(
        `| ${r.count} Services, one at a time | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.99))} | ${ms(sorted[sorted.length - 1] ?? Number.NaN)} | ${ms(sorted[0] ?? Number.NaN)} | ${ms(quantile(windows, 0.5))} / ${ms(windows[windows.length - 1] ?? Number.NaN)} | ${ms(r.pollMsMean)} |`,
      );
      console.log(`  bridge over the run: ${r.bridgeCpuSeconds.toFixed(1)} CPU s, peak RSS ${mib(r.bridgePeakRss)}; last cluster file ${(r.fileBytesLast / 1024).toFixed(0)} KiB`);
      console.log('');
      if (r.count === 0) ok = false;
    }

    if (opts.phases.includes('cold')) {
      console.log(`cold start: ${opts.cold} Services in the cluster file before start (timeout ${opts.coldTimeout} s, poll every ${opts.coldPollMs} ms)...`);
      const r = await cold(topology, password);
      results.cold = r;
      console.log(`  load average before ${r.loadBefore.toFixed(2)}; cluster file ${(r.fileBytes / 1024 / 1024).toFixed(1)} MiB`);
      console.log('');
      console.log('| cold start | all routes at FRR | ± poll window | allocated (log) | session up | first route | CPU s | peak RSS |');
      console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
      const s = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : `${x.toFixed(2)} s`);
      console.log(
        `| ${r.services} Services | ${r.ok ? s(r.seconds) : `FAILED (${r.held} held)`} | ${s(r.windowSeconds)} | ${s(r.allocatedSeconds)} | ${s(r.establishedSeconds)} | ${s(r.firstRouteSeconds)} | ${r.cpuSeconds.toFixed(2)} | ${Number.isNaN(r.peakRss) ? '-' : mib(r.peakRss)} |`,
      );
      if (!r.ok) {
        console.log(`  error: ${r.error ?? '?'}`);
        ok = false;
      }
      console.log('');
    }
  } finally {
    await cleanup();
  }
  if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(results, null, 2)}\n`);
  return ok ? 0 : 1;
}

/** FRR's version, asked of the binary (no daemon needed). */
async function startFrrVersion(): Promise<string> {
  const out = await runCommand('/usr/lib/frr/bgpd', ['--version']);
  return `FRR ${/version\s+(\S+)/.exec(out.stdout)?.[1] ?? '?'}`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(`k8s-bridge bench: ${(error as Error).stack ?? String(error)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);

/**
 * ARP reply latency under load, ours against the Linux kernel on the same node: the client sends
 * `rate` requests per second for `seconds` to (a) a Service address owned by our speaker and (b)
 * an address configured on the same node's eth0 (KERNEL_ADDRESS), which the kernel answers. The
 * two loads run one after the other (never together: 2 cores), alternating for several runs.
 * Also: the owning speaker's CPU during each load (/proc/PID/stat) and idle, and its own counters
 * (--metrics, MetalLB's metric names) for the Service address.
 */
import { runCommand, sleep } from '../full-table/proc.js';
import { runArpLoad } from './load.js';
import type { LoadRun } from './load.js';
import type { Speaker } from './speakers.js';
import type { Layer2Topology } from './topology.js';

/** The address the kernel answers for, added to the owner's eth0 for this phase only. */
export const KERNEL_ADDRESS = '198.18.0.50';

export interface CompareOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly runs: number;
  readonly idleSeconds: number;
  readonly metricsPort: number | undefined;
}

export interface CompareResult {
  readonly serviceIp: string;
  readonly owner: string;
  readonly ours: readonly LoadRun[];
  readonly kernel: readonly LoadRun[];
  /** The owner's CPU over an idle span before the loads (heartbeats only), in % of one core. */
  readonly idleCpuPercent: number;
  /** metallb_layer2_* for the Service address, read from the owner after the loads (undefined: not available). */
  readonly metrics: Readonly<Record<string, number>> | undefined;
}

/** metallb_layer2_*{ip="<ip>"} values from the speaker's /metrics, asked inside its namespace. */
export async function layer2Metrics(ns: string, port: number, ip: string): Promise<Record<string, number> | undefined> {
  const out = await runCommand('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '3', `http://127.0.0.1:${port}/metrics`]);
  if (out.code !== 0) return undefined;
  const values: Record<string, number> = {};
  for (const line of out.stdout.split('\n')) {
    const match = /^(metallb_layer2_[a-z_]+)\{([^}]*)\}\s+(\S+)$/.exec(line);
    if (match === null) continue;
    const [, name = '', labels = '', value = ''] = match;
    if (!labels.includes(`ip="${ip}"`)) continue;
    values[name] = Number(value);
  }
  return values;
}

export async function compareArp(topo: Layer2Topology, owner: Speaker, serviceIp: string, options: CompareOptions): Promise<CompareResult> {
  await topo.addAddress(owner.node.ns, `${KERNEL_ADDRESS}/32`);
  try {
    const idleStart = await owner.cpuSeconds();
    const idleFrom = Date.now();
    await sleep(options.idleSeconds * 1000);
    const idleCpuPercent = ((await owner.cpuSeconds()) - idleStart) / ((Date.now() - idleFrom) / 1000) * 100;
    const ours: LoadRun[] = [];
    const kernel: LoadRun[] = [];
    const load = (target: string): Promise<LoadRun> =>
      runArpLoad({ ns: topo.client.ns, target, rate: options.rate, seconds: options.seconds, cpu: () => owner.cpuSeconds() });
    for (let run = 0; run < options.runs; run++) {
      // Alternate which goes first, so neither always runs on a machine the other just warmed.
      if (run % 2 === 0) {
        ours.push(await load(serviceIp));
        kernel.push(await load(KERNEL_ADDRESS));
      } else {
        kernel.push(await load(KERNEL_ADDRESS));
        ours.push(await load(serviceIp));
      }
    }
    const metrics = options.metricsPort === undefined ? undefined : await layer2Metrics(owner.node.ns, options.metricsPort, serviceIp);
    return { serviceIp, owner: owner.node.name, ours, kernel, idleCpuPercent, metrics };
  } finally {
    await topo.removeAddress(owner.node.ns, `${KERNEL_ADDRESS}/32`).catch(() => undefined);
  }
}

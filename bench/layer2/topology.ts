/**
 * The Layer 2 benchmark's topology: one Ethernet segment made of network namespaces the benchmark
 * creates and deletes (`l2-bench-PID-...`):
 *   - `-br`: a Linux bridge `br0` alone in its namespace, one veth port per member;
 *   - `-c`:  the client, eth0 198.18.0.100/16;
 *   - `-n1`..`-nN`: the Kubernetes nodes, eth0 198.18.0.11/16, .12, .13...
 * Every member's interface is `eth0`, the far end of a veth whose other end is a bridge port, so
 * the client sees what a host on the same LAN as the nodes sees. 198.18.0.0/15 is the range set
 * aside for benchmarks (RFC 2544 section C.2.2, RFC 5735); nothing here is routed anywhere else.
 * `delete()` kills (by pid) whatever still runs in the namespaces, then removes them, which takes
 * the veths and the bridge along.
 */
import { runCommand } from '../full-table/proc.js';

export const PREFIX_LENGTH = 16;
export const CLIENT_ADDRESS = '198.18.0.100';

/** The i-th node's (0-based) InternalIP. */
export function nodeAddress(index: number): string {
  return `198.18.0.${11 + index}`;
}

export interface SegmentMember {
  /** Short name, e.g. "node-1" or "client". */
  readonly name: string;
  readonly ns: string;
  readonly address: string;
  /** eth0's MAC, lower case. */
  readonly mac: string;
}

async function ip(args: readonly string[]): Promise<void> {
  const out = await runCommand('ip', args);
  if (out.code !== 0) throw new Error(`ip ${args.join(' ')}: ${out.stderr.trim()}`);
}

async function macOf(ns: string, iface: string): Promise<string> {
  const out = await runCommand('ip', ['-n', ns, '-j', 'link', 'show', iface]);
  const parsed = JSON.parse(out.stdout) as { address?: string }[];
  const mac = parsed[0]?.address;
  if (out.code !== 0 || mac === undefined) throw new Error(`no MAC for ${iface} in ${ns}: ${out.stderr.trim()}`);
  return mac.toLowerCase();
}

export class Layer2Topology {
  private deleted = false;
  private readonly namespaces: string[] = [];
  readonly nodes: SegmentMember[] = [];
  private clientMember: SegmentMember | undefined;

  private constructor(readonly id: string) {}

  get bridgeNs(): string {
    return `${this.id}-br`;
  }

  get client(): SegmentMember {
    if (this.clientMember === undefined) throw new Error('topology not built');
    return this.clientMember;
  }

  /** The segment with a client and `nodeCount` nodes (1..9). */
  static async create(nodeCount: number): Promise<Layer2Topology> {
    if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9) throw new RangeError(`1 to 9 nodes, not ${nodeCount}`);
    const topo = new Layer2Topology(`l2-bench-${process.pid}`);
    try {
      await topo.addNamespace(topo.bridgeNs);
      await ip(['-n', topo.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', topo.bridgeNs, 'link', 'set', 'br0', 'up']);
      topo.clientMember = await topo.addMember('client', `${topo.id}-c`, CLIENT_ADDRESS, 1);
      for (let i = 0; i < nodeCount; i++) topo.nodes.push(await topo.addMember(`node-${i + 1}`, `${topo.id}-n${i + 1}`, nodeAddress(i), i + 2));
    } catch (error) {
      await topo.delete();
      throw error;
    }
    return topo;
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private async addMember(name: string, ns: string, address: string, port: number): Promise<SegmentMember> {
    await this.addNamespace(ns);
    const portIf = `p${port}`;
    await ip(['-n', this.bridgeNs, 'link', 'add', portIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ip(['-n', this.bridgeNs, 'link', 'set', portIf, 'master', 'br0']);
    await ip(['-n', this.bridgeNs, 'link', 'set', portIf, 'up']);
    await ip(['-n', ns, 'address', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', 'eth0']);
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    return { name, ns, address, mac: await macOf(ns, 'eth0') };
  }

  /** The node whose eth0 has this MAC, if any. */
  nodeByMac(mac: string): SegmentMember | undefined {
    const wanted = mac.toLowerCase();
    return this.nodes.find((n) => n.mac === wanted);
  }

  /** The command line that runs `cmd` inside `ns` (`ip netns exec` execs it: same PID). */
  wrap(ns: string, cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
    return { cmd: 'ip', args: ['netns', 'exec', ns, cmd, ...args] };
  }

  async addAddress(ns: string, cidr: string): Promise<void> {
    await ip(['-n', ns, 'address', 'add', cidr, 'dev', 'eth0']);
  }

  async removeAddress(ns: string, cidr: string): Promise<void> {
    await ip(['-n', ns, 'address', 'del', cidr, 'dev', 'eth0']);
  }

  /** Kills whatever still runs in our namespaces (by pid), then removes them. Idempotent. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    for (const ns of [...this.namespaces].reverse()) {
      const pids = await runCommand('ip', ['netns', 'pids', ns]);
      for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await runCommand('ip', ['netns', 'delete', ns]);
    }
    this.namespaces.length = 0;
  }
}

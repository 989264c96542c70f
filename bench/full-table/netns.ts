/**
 * The benchmark's own network namespace. The sender and each receiver run inside it, on addresses
 * of 192.0.2.0/24 (TEST-NET-1, RFC 5737) given to the namespace's own loopback interface, so:
 *   - traffic between them is local to the namespace and goes through its loopback, as on the
 *     host's 127/8, and nothing can leave the machine;
 *   - the sender's NEXT_HOP is its own real address, which every receiver accepts. On the host's
 *     loopback it could not be: FRR ends the session over a NEXT_HOP in 127/8 (NOTIFICATION 3/8,
 *     unless `bgp allow-martian-nexthop`) and GoBGP treats every such UPDATE as withdraw.
 * The namespace is deleted when the benchmark ends (after the processes in it are stopped).
 */
import { runCommand } from './proc.js';

export const NETNS_PREFIX = '192.0.2.';

export class BenchNamespace {
  private deleted = false;

  private constructor(readonly name: string) {}

  /** Creates the namespace with its `lo` up and holding `addresses` (each a /32 of 192.0.2.0/24). */
  static async create(addresses: readonly string[]): Promise<BenchNamespace> {
    for (const address of addresses) {
      if (!address.startsWith(NETNS_PREFIX)) throw new RangeError(`${address}: the benchmark namespace holds only ${NETNS_PREFIX}0/24`);
    }
    const ns = new BenchNamespace(`bgp-bench-${process.pid}`);
    await ns.ip(['netns', 'add', ns.name]);
    try {
      await ns.ip(['-n', ns.name, 'link', 'set', 'lo', 'up']);
      for (const address of addresses) await ns.ip(['-n', ns.name, 'address', 'add', `${address}/32`, 'dev', 'lo']);
    } catch (error) {
      await ns.delete();
      throw error;
    }
    return ns;
  }

  private async ip(args: readonly string[]): Promise<void> {
    const out = await runCommand('ip', args);
    if (out.code !== 0) throw new Error(`ip ${args.join(' ')}: ${out.stderr.trim()}`);
  }

  /** The command line that runs `cmd` inside the namespace (`ip netns exec` execs it: same PID). */
  wrap(cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
    return { cmd: 'ip', args: ['netns', 'exec', this.name, cmd, ...args] };
  }

  /** Removes the namespace (idempotent); processes still inside keep their sockets until they exit. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    await runCommand('ip', ['netns', 'delete', this.name]);
  }
}

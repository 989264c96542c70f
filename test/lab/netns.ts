// Network namespaces for the interop lab.
//
// A Lab owns a set of namespaces named `mlbt-<pid>-<n>-<node>`, the veth pairs
// between them, the daemons started inside them and their temp folders. All
// links are created *between namespaces* (`ip -n A link add ... peer ... netns B`),
// so the host namespace never sees one of our interfaces. `close()` removes all
// of it; a crashed run leaves namespaces whose pid is dead, and
// `cleanupStaleLabs()` removes those.
//
// The 192.0.2.0/24 and 2001:db8::/32 documentation ranges exist only inside
// these namespaces.

import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, run } from './proc.js';
import type { RunOptions, RunResult } from './proc.js';

/** Every namespace and temp folder the lab makes starts with this. */
export const LAB_PREFIX = 'mlbt';

/** Where a command runs: the host namespace or one of ours. */
export interface Runner {
  /** For messages: "host" or the namespace name. */
  readonly label: string;
  /** The namespace name, or undefined for the host. */
  readonly ns: string | undefined;
  exec(cmd: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  spawn(label: string, cmd: string, args: readonly string[], options?: { cwd?: string }): ManagedProcess;
  /** A fresh temp folder removed when the owner is closed (host: caller removes it). */
  tempDir(purpose: string): Promise<string>;
}

/** The host namespace, for loopback-only use (127.0.0.0/8, ::1). */
export const host: Runner = {
  label: 'host',
  ns: undefined,
  exec: (cmd, args, options) => run(cmd, args, options),
  spawn: (label, cmd, args, options) => new ManagedProcess(label, cmd, args, options ?? {}),
  tempDir: (purpose) => mkdtemp(join(tmpdir(), `${LAB_PREFIX}-${process.pid}-${purpose}-`)),
};

/** What tap's `t` offers for cleanup; Lab.create registers close() with it. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A namespace of the lab. */
export class LabNode implements Runner {
  /** Addresses (CIDR) given to this node's interfaces, in order. */
  readonly addresses: string[] = [];
  /** Interface names created in this node, in order (eth0, eth1, ...). */
  readonly interfaces: string[] = [];

  constructor(
    readonly lab: Lab,
    /** The short name given by the test, e.g. "frr". */
    readonly name: string,
    /** The real namespace name, e.g. "mlbt-1234-1-frr". */
    readonly ns: string,
  ) {}

  get label(): string {
    return this.ns;
  }

  /** The node's addresses without prefix length, e.g. ["192.0.2.1", "2001:db8::1"]. */
  get ips(): string[] {
    return this.addresses.map(stripPrefixLength);
  }

  /** First IPv4 / IPv6 address of the node (without prefix length). */
  ipv4(): string {
    const found = this.ips.find((a) => !a.includes(':'));
    if (found === undefined) throw new Error(`${this.ns} has no IPv4 address`);
    return found;
  }

  ipv6(): string {
    const found = this.ips.find((a) => a.includes(':'));
    if (found === undefined) throw new Error(`${this.ns} has no IPv6 address`);
    return found;
  }

  exec(cmd: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.ns, cmd, ...args], options);
  }

  /**
   * Starts a long-running process inside the namespace. `ip netns exec` execs
   * the command in place, so the returned process's pid is the daemon's own.
   */
  spawn(label: string, cmd: string, args: readonly string[], options: { cwd?: string } = {}): ManagedProcess {
    const proc = new ManagedProcess(label, 'ip', ['netns', 'exec', this.ns, cmd, ...args], options);
    this.lab.track(proc);
    return proc;
  }

  tempDir(purpose: string): Promise<string> {
    return this.lab.tempDir(`${this.name}-${purpose}`);
  }

  /** Adds an address (CIDR) to an interface of this node; IPv6 without DAD so it is usable at once. */
  async addAddress(iface: string, cidr: string): Promise<void> {
    const extra = cidr.includes(':') ? ['nodad'] : [];
    await run('ip', ['-n', this.ns, 'addr', 'add', cidr, 'dev', iface, ...extra]);
    this.addresses.push(cidr);
  }

  /** The next free interface name in this node. */
  nextInterfaceName(): string {
    return `eth${this.interfaces.length}`;
  }
}

/** One member of a link or segment: a node and the addresses its new interface gets. */
export interface Attachment {
  readonly node: LabNode;
  /** CIDRs, IPv4 and/or IPv6, e.g. ["192.0.2.1/24", "2001:db8::1/64"]. */
  readonly addresses: readonly string[];
}

let labCounter = 0;

export class Lab {
  private readonly namespaces: string[] = [];
  private readonly processes: ManagedProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private closed = false;
  private bridgeCount = 0;

  private constructor(
    /** `mlbt-<pid>-<n>`: prefix of every namespace of this lab. */
    readonly id: string,
  ) {}

  /**
   * Makes an empty lab. Pass tap's `t` so the lab is closed on teardown, also
   * when the test fails. Removes namespaces left by earlier crashed runs first.
   */
  static async create(t?: Teardown): Promise<Lab> {
    await cleanupStaleLabs();
    labCounter += 1;
    const lab = new Lab(`${LAB_PREFIX}-${process.pid}-${labCounter}`);
    t?.teardown(() => lab.close());
    return lab;
  }

  /** Makes a namespace with lo up and IPv6 DAD off. */
  async node(name: string): Promise<LabNode> {
    this.assertOpen();
    if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`node name must be [a-z0-9]{1,12}: ${name}`);
    const ns = `${this.id}-${name}`;
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // New interfaces inherit `default`; `all` covers the rest. DAD would keep
    // fresh IPv6 addresses "tentative" (unusable for bind) for a second or two.
    await run('ip', [
      'netns', 'exec', ns, 'sysctl', '-q', '-w',
      'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
    ]);
    return new LabNode(this, name, ns);
  }

  /** A direct veth link between two nodes, addresses assigned and both ends up. */
  async link(a: Attachment, b: Attachment): Promise<{ aInterface: string; bInterface: string }> {
    this.assertOpen();
    const aIf = a.node.nextInterfaceName();
    const bIf = b.node.nextInterfaceName();
    await run('ip', ['-n', a.node.ns, 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.node.ns]);
    a.node.interfaces.push(aIf);
    b.node.interfaces.push(bIf);
    await configureEnd(a, aIf);
    await configureEnd(b, bIf);
    return { aInterface: aIf, bInterface: bIf };
  }

  /**
   * One shared L2 segment: a bridge in a namespace of its own and a veth from
   * it to every member. Returns the bridge node. A capture on `br0` sees
   * broadcasts and floods, but not unicast the bridge has learned to forward
   * port to port: capture on a member's own interface to see its traffic.
   */
  async segment(members: readonly Attachment[]): Promise<LabNode> {
    this.assertOpen();
    this.bridgeCount += 1;
    const bridge = await this.node(`br${this.bridgeCount}`);
    await run('ip', ['-n', bridge.ns, 'link', 'add', 'br0', 'type', 'bridge']);
    bridge.interfaces.push('br0');
    await run('ip', ['-n', bridge.ns, 'link', 'set', 'br0', 'up']);
    let port = 0;
    for (const member of members) {
      port += 1;
      const portIf = `p${port}`;
      const memberIf = member.node.nextInterfaceName();
      await run('ip', ['-n', bridge.ns, 'link', 'add', portIf, 'type', 'veth', 'peer', 'name', memberIf, 'netns', member.node.ns]);
      bridge.interfaces.push(portIf);
      member.node.interfaces.push(memberIf);
      await run('ip', ['-n', bridge.ns, 'link', 'set', portIf, 'master', 'br0']);
      await run('ip', ['-n', bridge.ns, 'link', 'set', portIf, 'up']);
      await configureEnd(member, memberIf);
    }
    return bridge;
  }

  /** Shortcut: nodes with the given names and addresses, all on one segment. */
  async segmentOf(specs: readonly { name: string; addresses: readonly string[] }[]): Promise<{ nodes: LabNode[]; bridge: LabNode }> {
    const nodes: LabNode[] = [];
    for (const spec of specs) nodes.push(await this.node(spec.name));
    const bridge = await this.segment(specs.map((spec, i) => ({ node: nodes[i] as LabNode, addresses: spec.addresses })));
    return { nodes, bridge };
  }

  /** The seed topology: router 192.0.2.1 + 2001:db8::1, node 192.0.2.100 + 2001:db8::100, one veth. */
  async seedTopology(): Promise<{ router: LabNode; node: LabNode }> {
    const router = await this.node('router');
    const node = await this.node('node');
    await this.link(
      { node: router, addresses: ['192.0.2.1/24', '2001:db8::1/64'] },
      { node, addresses: ['192.0.2.100/24', '2001:db8::100/64'] },
    );
    return { router, node };
  }

  /** A temp folder (`/tmp/mlbt-<pid>-<purpose>-XXXXXX`) removed by close(). */
  async tempDir(purpose: string): Promise<string> {
    this.assertOpen();
    const dir = await mkdtemp(join(tmpdir(), `${LAB_PREFIX}-${process.pid}-${purpose}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Called by LabNode.spawn: the process is killed by close(). */
  track(proc: ManagedProcess): void {
    this.processes.push(proc);
  }

  /** Runs `fn` at the start of close() (drivers stop their daemons cleanly here). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  /** The namespaces this lab made and has not removed yet. */
  get namespaceNames(): readonly string[] {
    return this.namespaces;
  }

  /**
   * Stops everything: registered closers, then SIGKILL to any process still
   * running, then any other process found inside our namespaces, then the
   * namespaces (which takes their veths along) and the temp folders.
   * Safe to call twice; errors are collected and thrown at the end.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    await Promise.all(this.processes.map((p) => p.terminate('SIGKILL')));
    for (const ns of this.namespaces.reverse()) {
      try {
        await removeNamespace(ns);
      } catch (error) {
        errors.push(error);
      }
    }
    this.namespaces.length = 0;
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, `lab ${this.id}: cleanup had ${errors.length} error(s)`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`lab ${this.id} is closed`);
  }
}

async function configureEnd(end: Attachment, iface: string): Promise<void> {
  for (const cidr of end.addresses) await end.node.addAddress(iface, cidr);
  await run('ip', ['-n', end.node.ns, 'link', 'set', iface, 'up']);
}

function stripPrefixLength(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash === -1 ? cidr : cidr.slice(0, slash);
}

/** Kills (by pid) whatever still runs inside the namespace, then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', ns], { allowFailure: true });
  for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run('ip', ['netns', 'del', ns], { allowFailure: true });
}

/** All namespaces named like ours (any run). */
export async function listLabNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${LAB_PREFIX}-`));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes namespaces and temp folders of earlier runs whose process is gone
 * (a crash or a SIGKILL skipped their close()). Never touches a live run's.
 */
export async function cleanupStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const owner = (name: string): number | undefined => {
    const m = new RegExp(`^${LAB_PREFIX}-(\\d+)-`).exec(name);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  for (const ns of await listLabNamespaces()) {
    const pid = owner(ns);
    if (pid === undefined || pid === process.pid || pidAlive(pid)) continue;
    await removeNamespace(ns);
    removed.push(ns);
  }
  for (const entry of readdirSync(tmpdir())) {
    const pid = owner(entry);
    if (pid === undefined || pid === process.pid || pidAlive(pid)) continue;
    await rm(join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(join(tmpdir(), entry));
  }
  return removed;
}

/**
 * One `k8s-bridge standalone` per node namespace, in Layer 2 mode, and what its JSON log lines
 * (pino, stdout) say, as the contract of issue 5 gives them:
 *   {"msg":"k8s-bridge standalone running"}                          once, after start
 *   {"msg":"layer 2 members changed","alive":[names]}                membership as this node sees it
 *   {"msg":"layer 2 addresses changed","owned":[ips],"released":[ips]} what it started/stopped answering
 *   {"msg":"allocated","namespace","name","ips","pool"}
 * Each line's pino `time` (epoch ms, the speaker's clock, the same machine) is kept with it.
 * A speaker can be killed (SIGKILL, the failover benchmark) and started again in place.
 */
import { Daemon, cpuSeconds, sleep } from '../full-table/proc.js';
import type { Layer2Topology, SegmentMember } from './topology.js';

export const RUNNING_MSG = 'k8s-bridge standalone running';
const MEMBERS_MSG = 'layer 2 members changed';
const ADDRESSES_MSG = 'layer 2 addresses changed';
const ALLOCATED_MSG = 'allocated';

export interface SpeakerFiles {
  readonly bin: string;
  readonly config: string;
  readonly cluster: string;
  /** The processes' working directory. */
  readonly workDir: string;
  readonly layer2Port: number;
  /** Extra node options (BENCH_BRIDGE_NODE_OPTIONS). */
  readonly nodeOptions: readonly string[];
  /** Port of --metrics on the node's own loopback, or undefined for none. */
  readonly metricsPort: number | undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export class Speaker {
  private daemon: Daemon | undefined;
  private carry = '';
  /** Times this node's process was started. */
  starts = 0;
  running = false;
  runningAt: number | undefined;
  /** Membership as this node last logged it. */
  alive: string[] = [];
  /** The addresses it answers for now (from its "addresses changed" lines), with the time of the claim. */
  readonly owned = new Map<string, number>();
  /** "namespace/name" -> addresses, from its allocation lines. */
  readonly allocations = new Map<string, string[]>();
  /** Lines that were not JSON, or warnings/errors (level >= 40): kept for the report (bounded). */
  readonly notable: string[] = [];

  constructor(
    readonly node: SegmentMember,
    private readonly topo: Layer2Topology,
    private readonly files: SpeakerFiles,
  ) {}

  get pid(): number {
    if (this.daemon === undefined) throw new Error(`${this.node.name}: not started`);
    return this.daemon.pid;
  }

  get isRunning(): boolean {
    return this.daemon?.running ?? false;
  }

  tail(lines = 30): string {
    return this.daemon?.tail(lines) ?? '(not started)';
  }

  get exitStatus(): string | undefined {
    return this.daemon?.exitStatus;
  }

  /** Starts the process (again, after a kill): its state starts empty. */
  start(): void {
    if (this.daemon?.running === true) throw new Error(`${this.node.name}: already running`);
    this.running = false;
    this.runningAt = undefined;
    this.alive = [];
    this.owned.clear();
    this.carry = '';
    this.starts += 1;
    const args = [
      ...this.files.nodeOptions,
      this.files.bin,
      'standalone',
      '--config', this.files.config,
      '--services', this.files.cluster,
      '--node-name', this.node.name,
      '--layer2-port', String(this.files.layer2Port),
      ...(this.files.metricsPort === undefined ? [] : ['--metrics', `127.0.0.1:${this.files.metricsPort}`]),
    ];
    const command = this.topo.wrap(this.node.ns, process.execPath, args);
    const daemon = new Daemon(`k8s-bridge ${this.node.name}`, command.cmd, command.args, { cwd: this.files.workDir });
    this.daemon = daemon;
    daemon.child.stdout?.on('data', (chunk: string | Buffer) => {
      // Lines of an older process (killed) never reach here: each Daemon has its own pipe.
      if (this.daemon === daemon) this.onData(chunk.toString());
    });
  }

  private onData(text: string): void {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.trim());
  }

  private onLine(line: string): void {
    if (line.length === 0) return;
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      record = parsed as Record<string, unknown>;
    } catch {
      this.note(line);
      return;
    }
    const time = typeof record['time'] === 'number' ? record['time'] : Date.now();
    const level = typeof record['level'] === 'number' ? record['level'] : 30;
    if (level >= 40) this.note(line);
    switch (record['msg']) {
      case RUNNING_MSG:
        this.running = true;
        this.runningAt = time;
        break;
      case MEMBERS_MSG:
        this.alive = strings(record['alive']).sort();
        break;
      case ADDRESSES_MSG:
        for (const ip of strings(record['released'])) this.owned.delete(ip);
        for (const ip of strings(record['owned'])) if (!this.owned.has(ip)) this.owned.set(ip, time);
        break;
      case ALLOCATED_MSG: {
        const { namespace, name } = record;
        if (typeof namespace === 'string' && typeof name === 'string') this.allocations.set(`${namespace}/${name}`, strings(record['ips']));
        break;
      }
      default:
        break;
    }
  }

  private note(line: string): void {
    if (this.notable.length < 50) this.notable.push(`${this.node.name}: ${line.slice(0, 400)}`);
  }

  /** SIGKILL; resolves once the process is gone. Returns Date.now() just before the signal. */
  async kill(): Promise<number> {
    const daemon = this.daemon;
    if (daemon === undefined || !daemon.running) throw new Error(`${this.node.name}: not running`);
    const at = Date.now();
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    this.running = false;
    this.owned.clear();
    this.alive = [];
    return at;
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(3_000);
  }

  cpuSeconds(): Promise<number> {
    return cpuSeconds(this.pid);
  }

  /** Waits (bounded) for the "running" line; throws with the log tail if the process exits or it times out. */
  async waitRunning(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.running) {
      if (!this.isRunning) throw new Error(`${this.node.name}: k8s-bridge exited (${this.exitStatus ?? '?'}) before "${RUNNING_MSG}":\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.node.name}: no "${RUNNING_MSG}" within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(20);
    }
  }
}

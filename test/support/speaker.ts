/**
 * Our bgp-speaker binary as a lab participant: writes its YAML config, runs it inside a lab
 * namespace, and asks it questions through its control socket with the real CLI
 * (`bgp-speaker neighbors --json`, `routes --json`), exactly as an operator would.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runner } from '../lab/netns.js';
import type { ManagedProcess } from '../lab/proc.js';
import { pollUntil } from '../lab/proc.js';

/** The repository root: the folder with pnpm-workspace.yaml above this file (source or compiled). */
function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
  }
  throw new Error('cannot find the repository root (pnpm-workspace.yaml) above test/support');
}

const REPO = repositoryRoot();
export const SPEAKER_BIN = join(REPO, 'packages/bgp-speaker/bin/bgp-speaker.js');

export interface SpeakerPeer {
  readonly address: string;
  readonly asn: number;
  readonly password?: string;
  readonly holdTime?: number;
  readonly passive?: boolean;
  readonly connectRetryTime?: number;
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  readonly fourOctetAs?: boolean;
  readonly port?: number;
  readonly sourceAddress?: string;
  /** RFC 4486: a bare number is the limit; the mapping also sets the seconds to stay down. */
  readonly maxPrefixes?: number | { readonly limit: number; readonly restartTime?: number };
  /** RFC 4724, both roles. */
  readonly gracefulRestart?: { readonly enabled?: boolean; readonly restartTime?: number };
  /** What this peer gets on top of each route's own attributes (config `peers[].export`). */
  readonly export?: SpeakerPeerExport;
}

export interface SpeakerPeerExport {
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly localPref?: number;
  readonly med?: number;
  readonly nextHopIpv4?: string;
  readonly nextHopIpv6?: string;
  readonly asPathPrepend?: number;
}

export interface SpeakerAnnouncement {
  readonly prefix: string;
  readonly nextHop?: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
  readonly localPref?: number;
}

export interface SpeakerOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly listen?: { readonly address: string; readonly port?: number };
  readonly peers: readonly SpeakerPeer[];
  readonly announce: readonly SpeakerAnnouncement[];
}

export interface NeighborJson {
  address: string;
  asn: number;
  state: string;
  uptimeSeconds: number | null;
  received: number;
  advertised: number;
  lastError: string | null;
}

export interface RouteJson {
  prefix: string;
  nextHop: string | null;
  asPath: number[];
  origin: string | null;
  med: number | null;
  localPref: number | null;
  communities: string[];
  largeCommunities: string[];
}

/** YAML is a superset of JSON: the config is written as JSON, which needs no YAML library here. */
export function speakerConfigText(options: SpeakerOptions): string {
  return JSON.stringify(
    {
      asn: options.asn,
      routerId: options.routerId,
      ...(options.listen === undefined ? {} : { listen: { address: options.listen.address, port: options.listen.port ?? 179 } }),
      peers: options.peers.map((peer) => ({ connectRetryTime: 1, ...peer })),
      announce: options.announce,
    },
    null,
    2,
  );
}

export class SpeakerProcess {
  private process: ManagedProcess | undefined;
  private configPath = '';
  private controlPath = '';
  private currentOptions: SpeakerOptions | undefined;
  /** Output of earlier runs (before restart()), for logsAllRuns(). */
  private readonly earlierOutput: string[] = [];

  constructor(private readonly runner: Runner) {}

  async start(options: SpeakerOptions): Promise<void> {
    const dir = await this.runner.tempDir('speaker');
    this.configPath = join(dir, 'speaker.yaml');
    this.controlPath = join(dir, 'control.sock');
    await writeFile(this.configPath, speakerConfigText(options));
    this.currentOptions = options;
    this.launch();
    await this.waitControlSocket();
  }

  /** Starts the same config again (after kill() or stop()). */
  async restart(): Promise<void> {
    this.launch();
    await this.waitControlSocket();
  }

  private async waitControlSocket(): Promise<void> {
    await pollUntil(async () => ((await this.tryNeighbors()) === undefined ? undefined : true), {
      timeoutMs: 10_000,
      intervalMs: 100,
      onTimeout: () => `the speaker's control socket did not answer within 10 s\n--- speaker output ---\n${this.logs()}`,
    });
  }

  private launch(): void {
    if (this.process !== undefined) this.earlierOutput.push(...this.process.output(), '---- bgp-speaker restarted ----');
    this.process = this.runner.spawn('bgp-speaker', process.execPath, [SPEAKER_BIN, 'run', '--config', this.configPath, '--control', this.controlPath]);
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Everything the speaker logged (JSON lines). */
  logs(): string {
    return this.process?.output().join('\n') ?? '';
  }

  /** SIGTERM: Cease/Administrative Shutdown to every peer (none to a peer that negotiated graceful restart), then the process exits. */
  async stop(): Promise<void> {
    await this.process?.terminate('SIGTERM', 3000);
  }

  async kill(): Promise<void> {
    await this.process?.terminate('SIGKILL', 0);
  }

  /** The options of the config file as last written (start() or reloadWith()). */
  get options(): SpeakerOptions {
    if (this.currentOptions === undefined) throw new Error('the speaker was not started');
    return this.currentOptions;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.process?.running === true;
  }

  /** Sends a signal and returns at once (SIGHUP: reload; SIGTERM: stop). */
  signal(sig: NodeJS.Signals): void {
    if (this.process === undefined || !this.process.running) throw new Error(`the speaker is not running (signal ${sig})`);
    this.process.child.kill(sig);
  }

  /**
   * Waits up to `timeoutMs` for the process to exit by itself and says how; undefined if it is
   * still running then (nothing is killed).
   */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    const proc = this.process;
    if (proc === undefined) throw new Error('the speaker was not started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([proc.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Rewrites the config file with `options` and sends SIGHUP (the speaker reloads it; sessions it keeps stay up). */
  async reloadWith(options: SpeakerOptions): Promise<void> {
    await writeFile(this.configPath, speakerConfigText(options));
    this.currentOptions = options;
    this.signal('SIGHUP');
  }

  /** Everything the speaker logged, in every run since start(). */
  logsAllRuns(): string {
    return [...this.earlierOutput, ...(this.process?.output() ?? [])].join('\n');
  }

  async cli(args: readonly string[]): Promise<string> {
    const result = await this.runner.exec(process.execPath, [SPEAKER_BIN, ...args, '--control', this.controlPath]);
    return result.stdout;
  }

  async neighbors(): Promise<NeighborJson[]> {
    return JSON.parse(await this.cli(['neighbors', '--json'])) as NeighborJson[];
  }

  private async tryNeighbors(): Promise<NeighborJson[] | undefined> {
    try {
      return await this.neighbors();
    } catch {
      return undefined;
    }
  }

  async neighbor(address: string): Promise<NeighborJson> {
    const found = (await this.neighbors()).find((n) => n.address === address);
    if (found === undefined) throw new Error(`the speaker has no neighbor ${address}`);
    return found;
  }

  async waitEstablished(address: string, timeoutMs = 30_000): Promise<NeighborJson> {
    let last: NeighborJson | undefined;
    return pollUntil(
      async () => {
        last = await this.neighbor(address);
        return last.state === 'Established' ? last : undefined;
      },
      {
        timeoutMs,
        onTimeout: () =>
          `our session with ${address} not Established within ${timeoutMs} ms (last: ${JSON.stringify(last)})\n--- speaker output ---\n${this.logs()}`,
      },
    );
  }

  async receivedRoutes(peer: string): Promise<RouteJson[]> {
    return JSON.parse(await this.cli(['routes', '--json', '--received', peer])) as RouteJson[];
  }

  async advertisedRoutes(): Promise<RouteJson[]> {
    return JSON.parse(await this.cli(['routes', '--json'])) as RouteJson[];
  }
}

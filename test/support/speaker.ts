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

  constructor(private readonly runner: Runner) {}

  async start(options: SpeakerOptions): Promise<void> {
    const dir = await this.runner.tempDir('speaker');
    this.configPath = join(dir, 'speaker.yaml');
    this.controlPath = join(dir, 'control.sock');
    await writeFile(this.configPath, speakerConfigText(options));
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
    this.process = this.runner.spawn('bgp-speaker', process.execPath, [SPEAKER_BIN, 'run', '--config', this.configPath, '--control', this.controlPath]);
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Everything the speaker logged (JSON lines). */
  logs(): string {
    return this.process?.output().join('\n') ?? '';
  }

  /** SIGTERM: every peer gets Cease/Administrative Shutdown, then the process exits. */
  async stop(): Promise<void> {
    await this.process?.terminate('SIGTERM', 3000);
  }

  async kill(): Promise<void> {
    await this.process?.terminate('SIGKILL', 0);
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

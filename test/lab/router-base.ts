// The part of a router driver that does not depend on which router it is:
// the daemon's lifecycle (start, ready, kill, restart, stop), the waits that
// fail with logs, and the bookkeeping of announced routes across restarts.

import { rm } from 'node:fs/promises';
import { LabNode } from './netns.js';
import { pollUntil } from './proc.js';
import type { ManagedProcess } from './proc.js';
import { RouterError, announceOptions, familyOf, maskSecrets } from './router.js';
import type {
  AnnounceOptions,
  Family,
  LabRoute,
  NeighborOptions,
  NeighborState,
  RouterDriver,
  RouterOptions,
} from './router.js';

/** How long a daemon may take to answer its first query. */
const READY_TIMEOUT_MS = 20_000;

export abstract class BaseRouter implements RouterDriver {
  abstract readonly kind: 'frr' | 'gobgp' | 'bird';
  private opts: RouterOptions | undefined;
  private folder: string | undefined;
  private proc: ManagedProcess | undefined;
  /** Output of earlier runs of the daemon (before restart()). */
  private readonly earlierOutput: string[] = [];
  /** Routes this router originates, in announce order; replayed by restart(). */
  protected readonly announced = new Map<string, AnnounceOptions>();
  /** Neighbors shut down with disableNeighbor(), with their message. */
  protected readonly disabled = new Map<string, string | undefined>();
  private closed = false;

  // ---- what each router supplies -------------------------------------------

  /** Writes the config files for the current options and announced routes into dir. */
  protected abstract writeConfig(dir: string): Promise<void>;
  /** The command line that runs the daemon in the foreground. */
  protected abstract command(dir: string): { cmd: string; args: string[] };
  /** True once the daemon answers queries. */
  protected abstract ready(): Promise<boolean>;
  /** Called after ready(): e.g. GoBGP adds its routes through the API. */
  protected async afterReady(): Promise<void> {}
  protected abstract queryNeighborState(peer: string): Promise<NeighborState>;
  protected abstract queryRoutes(family: Family): Promise<LabRoute[]>;
  protected abstract applyAnnounce(prefix: string, options: AnnounceOptions): Promise<void>;
  protected abstract applyWithdraw(prefix: string): Promise<void>;
  protected abstract applyDisable(peer: string, message: string | undefined): Promise<void>;
  protected abstract applyEnable(peer: string): Promise<void>;
  abstract version(): Promise<string>;

  // ---- lifecycle -------------------------------------------------------------

  async start(options: RouterOptions): Promise<void> {
    if (this.opts !== undefined) throw new Error(`${this.kind}: already started`);
    this.opts = options;
    this.folder = await options.runner.tempDir(this.kind);
    await this.prepareFolder(this.folder);
    if (options.runner instanceof LabNode) options.runner.lab.onClose(() => this.close());
    options.teardown?.teardown(() => this.close());
    await this.launch();
  }

  /** Hook for ownership changes (FRR chowns the folder to frr:frr). */
  protected async prepareFolder(_dir: string): Promise<void> {}

  private async launch(): Promise<void> {
    const dir = this.dir;
    await this.writeConfig(dir);
    const { cmd, args } = this.command(dir);
    this.proc = this.options.runner.spawn(`${this.kind}:${this.options.name ?? this.kind}`, cmd, args, { cwd: dir });
    await pollUntil(
      async () => {
        this.assertRunning('while starting');
        return (await this.ready().catch(() => false)) ? true : undefined;
      },
      { timeoutMs: READY_TIMEOUT_MS, onTimeout: () => this.failure(`not ready after ${READY_TIMEOUT_MS} ms`).message },
    );
    await this.afterReady();
  }

  async kill(): Promise<void> {
    await this.proc?.terminate('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.proc?.terminate('SIGTERM', 3_000);
  }

  async restart(): Promise<void> {
    if (this.proc !== undefined) {
      await this.stop();
      this.earlierOutput.push(...this.proc.output(), `---- ${this.kind} restarted ----`);
    }
    await this.launch();
  }

  /** Stops the daemon and removes a host-side temp folder (a lab removes its own). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stop();
    if (this.folder !== undefined && !(this.options.runner instanceof LabNode)) {
      await rm(this.folder, { recursive: true, force: true });
    }
  }

  // ---- queries and waits ----------------------------------------------------

  async neighborState(peer: string): Promise<NeighborState> {
    this.assertRunning(`asking for neighbor ${peer}`);
    return this.queryNeighborState(peer);
  }

  async routes(family: Family): Promise<LabRoute[]> {
    this.assertRunning(`asking for ${family} routes`);
    return this.queryRoutes(family);
  }

  async waitEstablished(peer: string, timeoutMs = 30_000): Promise<void> {
    let last: NeighborState | 'unknown' = 'unknown';
    await pollUntil(
      async () => {
        this.assertRunning(`waiting for ${peer} to be Established`);
        last = await this.queryNeighborState(peer).catch((): 'unknown' => 'unknown');
        return last === 'Established' ? true : undefined;
      },
      { timeoutMs, onTimeout: () => this.failure(`${peer} not Established after ${timeoutMs} ms (last state ${last})`).message },
    );
  }

  async waitRoute(
    family: Family,
    prefix: string,
    timeoutMs = 20_000,
    match: (route: LabRoute) => boolean = () => true,
  ): Promise<LabRoute> {
    let seen: LabRoute[] = [];
    return pollUntil(
      async () => {
        this.assertRunning(`waiting for ${prefix}`);
        seen = (await this.queryRoutes(family).catch((): LabRoute[] => [])).filter((r) => r.prefix === prefix);
        return seen.find(match);
      },
      {
        timeoutMs,
        onTimeout: () =>
          this.failure(`no matching path for ${prefix} after ${timeoutMs} ms; paths seen: ${JSON.stringify(seen)}`).message,
      },
    );
  }

  async waitNoRoute(family: Family, prefix: string, timeoutMs = 20_000, peer?: string): Promise<void> {
    await pollUntil(
      async () => {
        this.assertRunning(`waiting for ${prefix} to go`);
        const routes = await this.queryRoutes(family);
        const left = routes.filter((r) => r.prefix === prefix && (peer === undefined || r.peer === peer));
        return left.length === 0 ? true : undefined;
      },
      { timeoutMs, onTimeout: () => this.failure(`${prefix} still held after ${timeoutMs} ms`).message },
    );
  }

  // ---- changes ----------------------------------------------------------------

  async announce(prefix: string, options?: string | AnnounceOptions): Promise<void> {
    const attrs = announceOptions(options);
    this.announced.set(prefix, attrs);
    if (this.isRunning) await this.applyAnnounce(prefix, attrs);
  }

  async withdraw(prefix: string): Promise<void> {
    if (!this.announced.delete(prefix)) throw new Error(`${this.kind}: ${prefix} was not announced`);
    if (this.isRunning) await this.applyWithdraw(prefix);
  }

  async disableNeighbor(peer: string, message?: string): Promise<void> {
    this.neighbor(peer);
    this.disabled.set(peer, message);
    await this.applyDisable(peer, message);
  }

  async enableNeighbor(peer: string): Promise<void> {
    this.neighbor(peer);
    this.disabled.delete(peer);
    await this.applyEnable(peer);
  }

  // ---- helpers for subclasses ----------------------------------------------------

  logs(): string {
    const lines = [...this.earlierOutput, ...(this.proc?.output() ?? [])];
    return maskSecrets(lines.join('\n'), this.opts);
  }

  protected get options(): RouterOptions {
    if (this.opts === undefined) throw new Error(`${this.kind}: not started`);
    return this.opts;
  }

  protected get dir(): string {
    if (this.folder === undefined) throw new Error(`${this.kind}: not started`);
    return this.folder;
  }

  protected get isRunning(): boolean {
    return this.proc?.running === true;
  }

  /** Families configured for a neighbor. */
  protected familiesOf(neighbor: NeighborOptions): readonly Family[] {
    return neighbor.families ?? this.options.families ?? ['ipv4', 'ipv6'];
  }

  protected get families(): readonly Family[] {
    return this.options.families ?? ['ipv4', 'ipv6'];
  }

  protected neighbor(peer: string): NeighborOptions {
    const found = this.options.neighbors.find((n) => n.address === peer);
    if (found === undefined) throw new Error(`${this.kind}: ${peer} is not a configured neighbor`);
    return found;
  }

  /** Routes announced for one family, in announce order. */
  protected announcedFor(family: Family): [string, AnnounceOptions][] {
    return [...this.announced].filter(([prefix]) => familyOf(prefix) === family);
  }

  /** An error carrying the daemon's logs. */
  protected failure(message: string): RouterError {
    return new RouterError(this.kind, message, this.logs().split('\n').slice(-80).join('\n'));
  }

  /** Throws (with logs) when the daemon is not running. */
  protected assertRunning(doing: string): void {
    if (this.proc === undefined) throw new Error(`${this.kind}: not started`);
    const status = this.proc.exitStatus;
    if (status !== undefined) {
      throw this.failure(`daemon exited (code ${String(status.code)}, signal ${String(status.signal)}) ${doing}`);
    }
  }
}

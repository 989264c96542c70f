// Running commands and long-lived daemons for the interop lab.
//
// Everything here is plain child_process plumbing with two promises the rest
// of the lab leans on: a command either succeeds or throws with its stderr,
// and a daemon's output is kept (bounded) so a failing test can show it.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 15 s). */
  readonly timeoutMs?: number;
  /** Resolve even when the command exits non-zero (the code is in the result). */
  readonly allowFailure?: boolean;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code, or null when killed by a signal (e.g. the timeout). */
  readonly code: number | null;
}

export class LabCommandError extends Error {
  readonly code = 'LAB_COMMAND_FAILED';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`command failed (exit ${String(exitCode)}): ${command}\n${stderr.trim()}`);
    this.name = 'LabCommandError';
  }
}

/** Runs a command to completion and returns its output. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeout = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout,
        killSignal: 'SIGKILL',
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
        env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        // execFile reports a non-zero exit as an error whose `code` is the exit code.
        const rawCode = error === null ? 0 : (error as { code?: unknown }).code;
        const code = typeof rawCode === 'number' ? rawCode : null;
        // A spawn failure (ENOENT) or a timeout has no numeric exit code: always an error.
        if (error !== null && (options.allowFailure !== true || code === null)) {
          reject(new LabCommandError([cmd, ...args].join(' '), code, `${stderr}${error.message}`));
          return;
        }
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** How many output lines a daemon keeps for diagnostics. */
const LOG_LINES_KEPT = 400;

/**
 * A long-running process (a routing daemon) whose output is kept in a bounded
 * buffer and whose exit is observable without racing the 'exit' event.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly label: string,
    cmd: string,
    args: readonly string[],
    options: { cwd?: string; env?: Readonly<Record<string, string>> } = {},
  ) {
    this.child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (error) => {
        this.keep(`spawn error: ${error.message}`);
        this.exitInfo = { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.keepChunk(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.keepChunk(chunk));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Exit code/signal once the process has exited, else undefined. */
  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** The kept output lines (the last LOG_LINES_KEPT). */
  output(): string[] {
    return [...this.lines];
  }

  /** Appends a line of our own (e.g. "restarted") to the kept output. */
  keep(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LOG_LINES_KEPT) this.lines.splice(0, this.lines.length - LOG_LINES_KEPT);
  }

  private keepChunk(chunk: string): void {
    for (const line of chunk.split('\n')) if (line.length > 0) this.keep(line);
  }

  /** Sends a signal; resolves once the process has exited (SIGKILL after graceMs). */
  async terminate(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    if (signal === 'SIGKILL') {
      await this.exited;
      return;
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class LabTimeoutError extends Error {
  readonly code = 'LAB_TIMEOUT';
  constructor(message: string) {
    super(message);
    this.name = 'LabTimeoutError';
  }
}

/**
 * Polls `probe` until it returns a value other than undefined. `onTimeout`
 * builds the error message (with logs) when the deadline passes. A probe that
 * throws stops the wait at once (e.g. "the daemon exited").
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; onTimeout: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new LabTimeoutError(options.onTimeout());
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Process plumbing for the benchmark: one-shot commands with a deadline, long-running daemons whose
 * output is kept (bounded) for diagnostics, and what /proc says about a process's CPU and memory.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Epoch milliseconds with fractions; the sender uses the same clock, so times compare across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a command to completion (killed after `timeoutMs`); never throws, the caller reads `code`. */
export function runCommand(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const raw = error === null ? 0 : (error as { code?: unknown }).code;
      resolve({ stdout, stderr: error === null ? stderr : `${stderr}${error.message}`, code: typeof raw === 'number' ? raw : null });
    });
  });
}

const KEPT_LINES = 200;

/** A daemon run in the foreground; its last output lines are kept for error messages. */
export class Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly lines: string[] = [];
  private exitDescription: string | undefined;

  constructor(
    readonly label: string,
    cmd: string,
    args: readonly string[],
    options: { cwd?: string; stdio?: StdioOptions } = {},
  ) {
    this.child = spawn(cmd, [...args], { cwd: options.cwd, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
        resolve();
      });
      this.child.once('error', (error) => {
        this.exitDescription = `could not start: ${error.message}`;
        resolve();
      });
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label}: no process (${this.exitDescription ?? 'not started'})`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitDescription === undefined;
  }

  /** How it ended, or undefined while it runs. */
  get exitStatus(): string | undefined {
    return this.exitDescription;
  }

  tail(lines = 20): string {
    return this.lines.slice(-lines).join('\n');
  }

  private keep(chunk: string): void {
    for (const line of chunk.split('\n')) if (line.length > 0) this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of the times in /proc/PID/stat (100 on Linux, asked once to be sure). */
async function ticksPerSecond(): Promise<number> {
  if (clockTicks === undefined) {
    const out = await runCommand('getconf', ['CLK_TCK']);
    const n = Number(out.stdout.trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/**
 * User + system CPU seconds of a process, all its threads included (proc(5): fields 14 and 15
 * of /proc/PID/stat, counted after the parenthesised command name, which may hold spaces).
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / (await ticksPerSecond());
}

/** Peak resident set size in bytes (VmHWM of /proc/PID/status). */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

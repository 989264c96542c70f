/**
 * The printed results of the send-table benchmark: one table per run, a summary (median and range
 * of the runs) with each sender's ratio to GoBGP and to BIRD, and the issue's verdicts (must: ours
 * faster than GoBGP; aim: ours faster than BIRD).
 */
import type { SenderName } from './senders.js';

export type SendMeasurement =
  | {
      readonly ok: true;
      /** From the receiver's Established (BIRD's own "since" time) to the poll answer showing every route imported. */
      readonly seconds: number;
      /** The same to the first poll answer showing 99% of the routes (a sender that holds back a last few shows here). */
      readonly seconds99: number;
      /** From the question of the poll before (which still saw fewer routes) to that answer. */
      readonly resolutionSeconds: number;
      /** Sender user+system CPU from just before connect() to "all imported". */
      readonly cpuSeconds: number;
      /** Sender's peak RSS over its whole life (loading the table included). */
      readonly peakRssBytes: number;
      /** How long the sender took to take the table in, before connecting (not measured above). */
      readonly loadSeconds: number;
      readonly loadBefore: number;
    }
  | { readonly ok: false; readonly error: string; readonly imported?: number };

export interface SenderResults {
  readonly name: SenderName;
  readonly label: string;
  readonly runs: SendMeasurement[];
}

type Ok = Extract<SendMeasurement, { ok: true }>;

const MIB = 1024 * 1024;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const seconds = (s: number): string => s.toFixed(2);
const mib = (bytes: number): string => `${Math.round(bytes / MIB)} MiB`;

function range(values: readonly number[], format: (n: number) => string): string {
  if (values.length <= 1) return values.length === 0 ? '-' : format(values[0] as number);
  return `${format(median(values))} [${format(Math.min(...values))}-${format(Math.max(...values))}]`;
}

function okRuns(results: SenderResults): Ok[] {
  return results.runs.filter((r): r is Ok => r.ok);
}

function medianSeconds(results: SenderResults | undefined): number | undefined {
  const runs = results === undefined ? [] : okRuns(results);
  return runs.length === 0 ? undefined : median(runs.map((r) => r.seconds));
}

export function formatRun(run: number, results: readonly SenderResults[]): string {
  const rows = results.map((r) => {
    const m = r.runs[run];
    if (m === undefined) return [r.label, 'not run', '', '', '', '', ''];
    if (!m.ok) return [r.label, 'FAILED', '', '', '', '', ''];
    return [
      r.label,
      `${seconds(m.seconds)} ±${seconds(m.resolutionSeconds)}`,
      seconds(m.seconds99),
      seconds(m.cpuSeconds),
      mib(m.peakRssBytes),
      seconds(m.loadSeconds),
      m.loadBefore.toFixed(1),
    ];
  });
  const failures = results.flatMap((r) => {
    const m = r.runs[run];
    if (m === undefined || m.ok) return [];
    return [`${r.label} failed: ${m.error.split('\n')[0] ?? ''}${m.imported === undefined ? '' : ` (receiver imported ${m.imported})`}`];
  });
  return [table(['sender', 'seconds ±poll', 's to 99%', 'CPU s', 'peak RSS', 'load s', 'load before'], rows), ...failures].join('\n');
}

export function formatSummary(results: readonly SenderResults[]): string {
  const gobgp = medianSeconds(results.find((r) => r.name === 'gobgp'));
  const bird = medianSeconds(results.find((r) => r.name === 'bird'));
  const ratio = (value: number, base: number | undefined): string => (base === undefined || base === 0 ? '-' : `${(value / base).toFixed(2)}x`);
  const rows = results.map((r) => {
    const runs = okRuns(r);
    if (runs.length === 0) return [r.label, `0/${r.runs.length}`, '-', '-', '-', '-', '-', '-'];
    const s = median(runs.map((m) => m.seconds));
    return [
      r.label,
      `${runs.length}/${r.runs.length}`,
      range(runs.map((m) => m.seconds), seconds),
      range(runs.map((m) => m.seconds99), seconds),
      range(runs.map((m) => m.cpuSeconds), seconds),
      range(runs.map((m) => m.peakRssBytes), mib),
      ratio(s, gobgp),
      ratio(s, bird),
    ];
  });
  return table(['sender', 'ok', 'seconds', 's to 99%', 'CPU s', 'peak RSS', 's/GoBGP', 's/BIRD'], rows);
}

export function formatVerdicts(results: readonly SenderResults[]): string {
  const ours = medianSeconds(results.find((r) => r.name === 'ours'));
  if (ours === undefined) return 'verdicts: ours has no successful run';
  const lines: string[] = [];
  const gobgp = medianSeconds(results.find((r) => r.name === 'gobgp'));
  if (results.some((r) => r.name === 'gobgp')) {
    lines.push(
      gobgp === undefined
        ? 'must: ours faster than GoBGP: not decided (GoBGP has no successful run)'
        : `must: ours faster than GoBGP: ${ours < gobgp ? 'PASS' : 'FAIL'} (ours ${seconds(ours)} s vs GoBGP ${seconds(gobgp)} s, ${(gobgp / ours).toFixed(1)}x)`,
    );
  }
  const bird = medianSeconds(results.find((r) => r.name === 'bird'));
  if (results.some((r) => r.name === 'bird')) {
    lines.push(
      bird === undefined
        ? 'aim: ours faster than BIRD: not decided (BIRD has no successful run)'
        : `aim: ours faster than BIRD: ${ours < bird ? 'yes' : 'no'} (ours ${seconds(ours)} s vs BIRD ${seconds(bird)} s, ratio ${(ours / bird).toFixed(2)}x)`,
    );
  }
  return lines.join('\n');
}

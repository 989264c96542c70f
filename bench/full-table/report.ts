/**
 * The printed results: one table per run, a summary (median of the runs, with their range) with
 * ratios to BIRD, and the issue's verdicts (must: ours ahead of FRR and GoBGP on time and on peak
 * RSS; aim: within 2x of BIRD).
 */
import type { Measurement } from './measure.js';
import type { ReceiverName } from './receivers.js';

export interface ReceiverResults {
  readonly name: ReceiverName;
  readonly label: string;
  readonly runs: Measurement[];
}

type Ok = Extract<Measurement, { ok: true }>;

const MIB = 1024 * 1024;

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => pad(c, widths[i] ?? 0, i > 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function okRuns(results: ReceiverResults): Ok[] {
  return results.runs.filter((r): r is Ok => r.ok);
}

const seconds = (s: number): string => s.toFixed(2);
const mib = (bytes: number): string => `${Math.round(bytes / MIB)} MiB`;

function range(values: readonly number[], format: (n: number) => string): string {
  if (values.length <= 1) return values.length === 0 ? '-' : format(values[0] as number);
  return `${format(median(values))} [${format(Math.min(...values))}-${format(Math.max(...values))}]`;
}

export function formatRun(run: number, results: readonly ReceiverResults[]): string {
  const rows = results.map((r) => {
    const m = r.runs[run];
    if (m === undefined) return [r.label, 'not run', '', '', '', ''];
    if (!m.ok) return [r.label, 'FAILED', '', '', '', ''];
    return [
      r.label,
      `${seconds(m.seconds)} ±${seconds(m.resolutionSeconds)}`,
      seconds(m.cpuSeconds),
      mib(m.peakRssBytes),
      m.senderSeconds === undefined ? 'still sending' : seconds(m.senderSeconds),
      m.loadBefore.toFixed(1),
    ];
  });
  const failures = results.flatMap((r) => {
    const m = r.runs[run];
    if (m === undefined || m.ok) return [];
    return [`${r.label} failed: ${m.error.split('\n')[0] ?? ''}${m.held === undefined ? '' : ` (held ${m.held} routes)`}`];
  });
  return [table(['receiver', 'seconds ±poll', 'CPU s', 'peak RSS', 'sender done s', 'load before'], rows), ...failures].join('\n');
}

interface Summary {
  readonly seconds: number;
  readonly cpu: number;
  readonly rss: number;
}

function summarise(results: ReceiverResults): Summary | undefined {
  const runs = okRuns(results);
  if (runs.length === 0) return undefined;
  return { seconds: median(runs.map((r) => r.seconds)), cpu: median(runs.map((r) => r.cpuSeconds)), rss: median(runs.map((r) => r.peakRssBytes)) };
}

function ratio(value: number, base: number | undefined): string {
  return base === undefined || base === 0 ? '-' : `${(value / base).toFixed(1)}x`;
}

export function formatSummary(results: readonly ReceiverResults[]): string {
  const bird = results.find((r) => r.name === 'bird');
  const base = bird === undefined ? undefined : summarise(bird);
  const rows = results.map((r) => {
    const runs = okRuns(r);
    const s = summarise(r);
    if (s === undefined) return [r.label, `0/${r.runs.length}`, '-', '-', '-', '-', '-', '-'];
    return [
      r.label,
      `${runs.length}/${r.runs.length}`,
      range(runs.map((m) => m.seconds), seconds),
      range(runs.map((m) => m.cpuSeconds), seconds),
      range(runs.map((m) => m.peakRssBytes), mib),
      ratio(s.seconds, base?.seconds),
      ratio(s.cpu, base?.cpu),
      ratio(s.rss, base?.rss),
    ];
  });
  return table(['receiver', 'ok', 'seconds', 'CPU s', 'peak RSS', 's/BIRD', 'CPU/BIRD', 'RSS/BIRD'], rows);
}

function verdict(label: string, ours: number | undefined, other: number | undefined, format: (n: number) => string, otherName: string): string {
  if (ours === undefined || other === undefined) return `${label}: not decided (${otherName} or ours has no successful run)`;
  return `${label}: ${ours < other ? 'PASS' : 'FAIL'} (ours ${format(ours)} vs ${otherName} ${format(other)})`;
}

export function formatVerdicts(results: readonly ReceiverResults[]): string {
  const get = (name: ReceiverName): Summary | undefined => {
    const r = results.find((x) => x.name === name);
    return r === undefined ? undefined : summarise(r);
  };
  const ours = get('ours');
  if (ours === undefined) return 'verdicts: ours has no successful run';
  const lines: string[] = [];
  for (const [name, label] of [['frr', 'FRR'], ['gobgp', 'GoBGP']] as const) {
    if (!results.some((r) => r.name === name)) continue;
    const other = get(name);
    lines.push(verdict(`must: ours faster than ${label}`, ours.seconds, other?.seconds, (n) => `${seconds(n)} s`, label));
    lines.push(verdict(`must: ours less peak RSS than ${label}`, ours.rss, other?.rss, mib, label));
  }
  const bird = get('bird');
  if (bird !== undefined) {
    const timeRatio = ours.seconds / bird.seconds;
    const rssRatio = ours.rss / bird.rss;
    lines.push(`aim: ours within 2x of BIRD on time: ${timeRatio <= 2 ? 'yes' : 'no'} (${timeRatio.toFixed(1)}x)`);
    lines.push(`aim: ours within 2x of BIRD on peak RSS: ${rssRatio <= 2 ? 'yes' : 'no'} (${rssRatio.toFixed(1)}x)`);
  }
  return lines.join('\n');
}

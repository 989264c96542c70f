/** Readable tables for the terminal (the `--json` forms are for programs). */
import type { NeighborView } from '../speaker.js';
import type { RouteView } from '../rib/route-view.js';

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return 'never';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export function formatNeighborsTable(neighbors: readonly NeighborView[]): string {
  return formatTable(
    ['NEIGHBOR', 'AS', 'STATE', 'UP/DOWN', 'RECEIVED', 'ADVERTISED', 'LAST ERROR'],
    neighbors.map((n) => [n.address, String(n.asn), n.state, formatUptime(n.uptimeSeconds), String(n.received), String(n.advertised), n.lastError ?? '']),
  );
}

export function formatRoutesTable(routes: readonly RouteView[]): string {
  return formatTable(
    ['PREFIX', 'NEXT HOP', 'AS PATH', 'ORIGIN', 'MED', 'LOCPRF', 'COMMUNITIES'],
    routes.map((r) => [
      r.prefix,
      r.nextHop ?? '-',
      r.asPath.length === 0 ? '(empty)' : r.asPath.join(' '),
      r.origin ?? '-',
      r.med === null ? '' : String(r.med),
      r.localPref === null ? '' : String(r.localPref),
      [...r.communities, ...r.largeCommunities].join(' '),
    ]),
  );
}

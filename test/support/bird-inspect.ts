/**
 * What BIRD says about one BGP protocol (`birdc show protocols all NAME`), parsed: its state, since
 * when, BGP state, the last error (e.g. "Received: Maximum number of prefixes reached") and the
 * route counters. BIRD has no JSON output; this reads BIRD 2.0's text.
 */
import type { BirdRouter } from '../lab/bird.js';

export interface BirdProtocolInfo {
  /** "up", "start", "down". */
  readonly state: string;
  /** The "Since" column as printed: when the protocol last changed state. */
  readonly since: string;
  /** "Established", "Active", ... (the "BGP state:" line). */
  readonly bgpState: string | undefined;
  /** "Received: Maximum number of prefixes reached", ... (the "Last error:" line). */
  readonly lastError: string | undefined;
  /** From "Routes: N imported, M exported, ..." of the first channel that has the line. */
  readonly imported: number | undefined;
  readonly exported: number | undefined;
  readonly text: string;
}

/** Parses `birdc show protocols all NAME`. */
export function parseBirdProtocol(name: string, text: string): BirdProtocolInfo {
  // "peer1      BGP        ---        up     09:00:01.123  Established"
  const head = new RegExp(
    `^${name}\\s+BGP\\s+\\S+\\s+(\\S+)\\s+((?:\\d{4}-\\d{2}-\\d{2} )?\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)`,
    'm',
  ).exec(text);
  if (head === null) throw new Error(`no protocol ${name} in:\n${text}`);
  const line = (label: string): string | undefined => new RegExp(`^\\s+${label}:\\s+(.*?)\\s*$`, 'm').exec(text)?.[1];
  const routes = /Routes:\s+(\d+) imported, (?:\d+ filtered, )?(\d+) exported/.exec(text);
  return {
    state: head[1] ?? '',
    since: head[2] ?? '',
    bgpState: line('BGP state'),
    lastError: line('Last error'),
    imported: routes === null ? undefined : Number(routes[1]),
    exported: routes === null ? undefined : Number(routes[2]),
    text,
  };
}

/** BIRD's view of its protocol for the neighbour at `peer`. */
export async function birdProtocol(bird: BirdRouter, peer: string): Promise<BirdProtocolInfo> {
  const name = bird.protocolName(peer);
  return parseBirdProtocol(name, await bird.birdc('show', 'protocols', 'all', name));
}

/**
 * The receiving end of the send-table benchmark: BIRD 2 (the fastest receiver of the full-table
 * benchmark, so the sender is what is measured), in the benchmark's namespace, passive, one eBGP
 * neighbour (the sender), IPv4 unicast, import all, export none, no kernel protocol. A fresh
 * receiver for every measurement.
 *
 * It is asked `birdc show protocols all bench_in`: the BGP state, the time the protocol went up
 * (BIRD's own clock, in milliseconds: `timeformat protocol iso long ms`), and "Routes: N imported".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchNamespace } from '../full-table/netns.js';
import { Daemon, runCommand, sleep } from '../full-table/proc.js';

export const RECEIVER_ADDRESS = '192.0.2.20';
export const RECEIVER_ASN = 64600;
const PROTOCOL = 'bench_in';
const READY_TIMEOUT_MS = 20_000;

export interface ReceiverState {
  readonly bgpState: string | undefined;
  /** When the protocol last changed state (epoch ms), as BIRD printed it. */
  readonly sinceMs: number | undefined;
  readonly imported: number | undefined;
}

export interface RunningReceiver {
  readonly daemon: Daemon;
  state(): Promise<ReceiverState>;
  readonly query: string;
}

/** "2026-11-26 09:00:01.123" (local time, as BIRD prints it) -> epoch ms. */
export function parseBirdTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (m === null) return undefined;
  const fraction = Number(`0.${m[7] ?? '0'}`);
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime() + fraction * 1000;
}

export function parseReceiverState(text: string): ReceiverState {
  const head = new RegExp(`^${PROTOCOL}\\s+BGP\\s+\\S+\\s+\\S+\\s+(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)`, 'm').exec(text);
  const state = /BGP state:\s+(\S+)/.exec(text);
  const routes = /Routes:\s+(\d+) imported/.exec(text);
  return {
    bgpState: state?.[1],
    sinceMs: head?.[1] === undefined ? undefined : parseBirdTime(head[1]),
    imported: routes === null ? undefined : Number(routes[1]),
  };
}

export async function startReceiver(
  ns: BenchNamespace,
  dir: string,
  port: number,
  sender: { address: string; asn: number },
  holdTime: number,
): Promise<RunningReceiver> {
  const config = [
    'log stderr { warning, error, fatal };',
    `router id ${RECEIVER_ADDRESS};`,
    'timeformat protocol iso long ms;',
    'protocol device {}',
    `protocol bgp ${PROTOCOL} {`,
    `  local ${RECEIVER_ADDRESS} port ${port} as ${RECEIVER_ASN};`,
    `  neighbor ${sender.address} port ${port} as ${sender.asn};`,
    '  passive on;',
    '  strict bind on;',
    '  multihop;', // the sender's address is local to the namespace, not a neighbour on a link
    `  hold time ${holdTime};`,
    `  keepalive time ${Math.floor(holdTime / 3)};`,
    '  ipv4 { import all; export none; };',
    '}',
    '',
  ].join('\n');
  const file = join(dir, 'receiver.conf');
  const socket = join(dir, 'receiver.ctl');
  await writeFile(file, config);
  const command = ns.wrap('bird', ['-f', '-c', file, '-s', socket, '-P', join(dir, 'receiver.pid')]);
  const daemon = new Daemon('bird-receiver', command.cmd, command.args, { cwd: dir });
  const state = async (): Promise<ReceiverState> => {
    const out = await runCommand('birdc', ['-s', socket, 'show', 'protocols', 'all', PROTOCOL]);
    return parseReceiverState(out.stdout);
  };
  for (let waited = 0; ; waited += 100) {
    if (!daemon.running) throw new Error(`BIRD receiver exited while starting (${daemon.exitStatus}):\n${daemon.tail()}`);
    if ((await runCommand('birdc', ['-s', socket, 'show', 'status'])).stdout.includes('Daemon is up')) break;
    if (waited >= READY_TIMEOUT_MS) {
      await daemon.stop();
      throw new Error(`BIRD receiver did not answer within ${READY_TIMEOUT_MS} ms:\n${daemon.tail()}`);
    }
    await sleep(100);
  }
  return { daemon, state, query: `birdc show protocols all ${PROTOCOL} -> "BGP state", "Since", "Routes: N imported"` };
}

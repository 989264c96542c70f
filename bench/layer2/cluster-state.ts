/**
 * The speakers seen together: which Service address each one answers for, and whether they agree
 * (every speaker running and seeing every node alive, every Service address owned by exactly one).
 */
import { sleep } from '../full-table/proc.js';
import type { Speaker } from './speakers.js';

export interface Agreement {
  readonly stable: boolean;
  /** Why not, for error messages. */
  readonly reason: string;
  /** Service address -> the node owning it (when exactly one does). */
  readonly owners: ReadonlyMap<string, Speaker>;
}

export function agreement(speakers: readonly Speaker[], addresses: readonly string[]): Agreement {
  const names = speakers.map((s) => s.node.name).sort();
  const owners = new Map<string, Speaker>();
  for (const speaker of speakers) {
    if (!speaker.isRunning || !speaker.running) return { stable: false, reason: `${speaker.node.name} is not running`, owners };
    if (speaker.alive.join(',') !== names.join(',')) return { stable: false, reason: `${speaker.node.name} sees [${speaker.alive.join(', ')}] alive`, owners };
  }
  for (const ip of addresses) {
    const claimants = speakers.filter((s) => s.owned.has(ip));
    if (claimants.length !== 1) return { stable: false, reason: `${ip} is owned by [${claimants.map((s) => s.node.name).join(', ')}]`, owners };
    owners.set(ip, claimants[0] as Speaker);
  }
  return { stable: true, reason: 'stable', owners };
}

/** Waits (bounded) until the speakers agree; throws with the last reason and the log tails. */
export async function waitAgreement(speakers: readonly Speaker[], addresses: readonly string[], timeoutMs: number): Promise<Agreement> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = agreement(speakers, addresses);
    if (state.stable) return state;
    for (const s of speakers) {
      if (!s.isRunning) throw new Error(`${s.node.name}: k8s-bridge exited (${s.exitStatus ?? '?'}):\n${s.tail()}`);
    }
    if (Date.now() > deadline) {
      const tails = speakers.map((s) => `--- ${s.node.name} (owns [${[...s.owned.keys()].join(', ')}], sees [${s.alive.join(', ')}]):\n${s.tail(15)}`).join('\n');
      throw new Error(`the speakers did not agree within ${timeoutMs} ms (${state.reason}):\n${tails}`);
    }
    await sleep(20);
  }
}

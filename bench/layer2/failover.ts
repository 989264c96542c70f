/**
 * One failover round: the owner of a Service address is killed (SIGKILL) and the time to the
 * first gratuitous ARP for that address from another MAC, captured at the client, is taken;
 * then the killed node's speaker is started again and the benchmark waits until the speakers
 * agree and the announcements have stopped, so the next round starts from a quiet segment.
 *
 *   1. the owner (from the speakers' logs) is checked on the wire: the client's ARP requests get
 *      answers from exactly one MAC, the owner's eth0;
 *   2. tcpdump starts at the client (its "listening on" waited for);
 *   3. Date.now(), then SIGKILL to the owner's k8s-bridge;
 *   4. failover = kernel timestamp of the first ARP announcement (sender IP = target IP = the
 *      Service address, or a broadcast reply from it) from another MAC - the kill time;
 *   5. checked on the wire again: the new owner alone answers;
 *   6. the killed node's speaker restarted; wait for it to run, for all to agree, and for no
 *      announcement of the address for QUIET_MS (a node that takes the address back announces
 *      it five times over 3 s).
 * Every wait is bounded; a round that exceeds one is reported as failed with the reason.
 */
import { sleep } from '../full-table/proc.js';
import { ArpCapture, isAnnouncement } from './capture.js';
import type { ArpEvent } from './capture.js';
import { waitAgreement } from './cluster-state.js';
import { probe } from './load.js';
import type { Speaker } from './speakers.js';
import type { Layer2Topology } from './topology.js';

const QUIET_MS = 1_000;
const QUIET_BOUND_MS = 15_000;
const RUNNING_TIMEOUT_MS = 30_000;
const AGREE_TIMEOUT_MS = 20_000;

export interface RoundResult {
  readonly round: number;
  readonly service: string;
  readonly ip: string;
  readonly killed: string;
  /** The node whose MAC sent the first announcement after the kill. */
  readonly newOwner: string | undefined;
  /** Kill -> first announcement from another MAC at the client (ms), undefined if none in time. */
  readonly failoverMs: number | undefined;
  /** Kill -> the new owner's "addresses changed" log line naming the address (its pino time). */
  readonly claimLoggedMs: number | undefined;
  /** Who answered the client's requests for the address right after the failover (node names). */
  readonly answersAfter: readonly string[];
  /** After the restart: who owns the address (the restarted node may take it back). */
  readonly ownerAfterRestart: string | undefined;
  /** Restart -> the speakers agree again and the segment is quiet (ms). */
  readonly settleMs: number;
  readonly notes: readonly string[];
  readonly error?: string;
}

export interface RoundContext {
  readonly topo: Layer2Topology;
  readonly speakers: readonly Speaker[];
  /** Service key ("bench/svc-00000") -> its address. */
  readonly services: ReadonlyMap<string, string>;
  readonly failoverTimeoutMs: number;
}

function serviceOf(ctx: RoundContext, ip: string): string {
  for (const [key, address] of ctx.services) if (address === ip) return key;
  return '?';
}

/**
 * Which address to fail over in round `round`: one owned by node (round mod N), so the kills go
 * round the nodes; when that node owns none, one of the next node that owns any.
 */
function chooseAddress(ctx: RoundContext, owners: ReadonlyMap<string, Speaker>, round: number): string {
  const n = ctx.speakers.length;
  for (let step = 0; step < n; step++) {
    const wanted = ctx.speakers[(round + step) % n];
    for (const [ip, owner] of owners) if (owner === wanted) return ip;
  }
  throw new Error('no Service address has an owner');
}

export async function failoverRound(ctx: RoundContext, round: number): Promise<RoundResult> {
  const addresses = [...ctx.services.values()];
  const notes: string[] = [];
  const before = await waitAgreement(ctx.speakers, addresses, AGREE_TIMEOUT_MS);
  const ip = chooseAddress(ctx, before.owners, round);
  const owner = before.owners.get(ip);
  if (owner === undefined) throw new Error(`no owner for ${ip}`);
  const ownerMac = owner.node.mac;
  const onWire = await probe(ctx.topo.client.ns, ip);
  if (onWire.macs.length !== 1 || onWire.macs[0] !== ownerMac) {
    notes.push(`before the kill ${ip} was answered by [${onWire.macs.join(', ')}], expected ${owner.node.name}'s ${ownerMac} only`);
  }

  const capture = await ArpCapture.start(ctx.topo.client.ns);
  try {
    const from = capture.position;
    const killAt = await owner.kill();
    const early = capture.since(from).filter((e) => isAnnouncement(e, ip) && e.source !== ownerMac && e.time < killAt);
    if (early.length > 0) notes.push(`${early.length} announcement(s) of ${ip} from another MAC before the kill`);
    const takeover: ArpEvent | undefined = await capture.waitFor(
      from,
      (e) => isAnnouncement(e, ip) && e.source !== ownerMac && e.time >= killAt,
      ctx.failoverTimeoutMs,
    );
    const newOwnerNode = takeover === undefined ? undefined : ctx.topo.nodeByMac(takeover.source);
    const newSpeaker = ctx.speakers.find((s) => s.node === newOwnerNode);
    // The new owner logs its claim around the time it announces; give the pipe a moment.
    let claimAt: number | undefined;
    for (let i = 0; i < 50 && newSpeaker !== undefined && claimAt === undefined; i++) {
      claimAt = newSpeaker.owned.get(ip);
      if (claimAt === undefined) await sleep(20);
    }
    const answersAfter = (await probe(ctx.topo.client.ns, ip)).macs;
    if (takeover !== undefined && (answersAfter.length !== 1 || answersAfter[0] !== takeover.source)) {
      notes.push(`after the failover ${ip} was answered by [${answersAfter.join(', ')}], expected ${newOwnerNode?.name ?? '?'} only`);
    }

    // Back to three speakers, and a quiet segment, before the next round.
    const restartAt = Date.now();
    owner.start();
    await owner.waitRunning(RUNNING_TIMEOUT_MS);
    const after = await waitAgreement(ctx.speakers, addresses, AGREE_TIMEOUT_MS);
    const quietDeadline = Date.now() + QUIET_BOUND_MS;
    let quiet = false;
    while (Date.now() < quietDeadline) {
      const mark = capture.position;
      const next = await capture.waitFor(mark, (e) => isAnnouncement(e, ip), QUIET_MS);
      if (next === undefined) {
        quiet = true;
        break;
      }
    }
    if (!quiet) notes.push(`${ip} still announced ${QUIET_BOUND_MS / 1000} s after the restart`);
    const result: RoundResult = {
      round,
      service: serviceOf(ctx, ip),
      ip,
      killed: owner.node.name,
      newOwner: newOwnerNode?.name ?? (takeover === undefined ? undefined : takeover.source),
      failoverMs: takeover === undefined ? undefined : takeover.time - killAt,
      claimLoggedMs: claimAt === undefined ? undefined : claimAt - killAt,
      answersAfter: answersAfter.map((mac) => ctx.topo.nodeByMac(mac)?.name ?? mac),
      ownerAfterRestart: (await waitAgreement(ctx.speakers, addresses, AGREE_TIMEOUT_MS)).owners.get(ip)?.node.name ?? after.owners.get(ip)?.node.name,
      settleMs: Date.now() - restartAt,
      notes,
    };
    if (takeover === undefined) return { ...result, error: `no announcement of ${ip} from another MAC within ${ctx.failoverTimeoutMs} ms of the kill` };
    return result;
  } finally {
    await capture.stop();
  }
}

/**
 * Graceful restart (RFC 4724) with FRR, both roles, on the seed topology (FRR 192.0.2.1, AS 64512;
 * our node 192.0.2.100, AS 4200000000, TCP-MD5).
 *
 * 1. We restart: our speaker (gracefulRestart: enabled, restartTime 120) is stopped with SIGTERM,
 *    which with graceful restart closes without a NOTIFICATION, and started again two seconds
 *    later. FRR (helper, its default) keeps our route the whole time: it is in every sample taken
 *    every 100 ms, stale while we are away, and no longer stale once we are back (End-of-RIB).
 * 2. FRR restarts: FRR with `bgp graceful-restart` (restart time 20 s, forwarding state preserved)
 *    is killed (SIGKILL). We keep its routes, marked stale in `routes --received --json`, until it
 *    is back and has sent End-of-RIB; killed again and left down, its routes go when its restart
 *    time has passed, not before.
 */
import t from 'tap';
import { PacketCapture } from '../../lab/capture.js';
import { FrrRouter } from '../../lab/frr.js';
import { Lab } from '../../lab/netns.js';
import { pollUntil, sleep } from '../../lab/proc.js';
import { attachLogsOnFailure } from '../../lab/router.js';
import { describeWire, gracefulRestartCapability, wireMessages } from '../../support/bgp-capture.js';
import { GracefulRestartFrr, frrNeighbor, frrPaths } from '../../support/frr-inspect.js';
import { Sampler } from '../../support/sampler.js';
import type { Sample } from '../../support/sampler.js';
import { SpeakerProcess } from '../../support/speaker.js';
import type { SpeakerOptions } from '../../support/speaker.js';

const OUR_ASN = 4200000000;
const FRR_ASN = 64512;
const PASSWORD = 'gr-secret';
const ROUTER_IP = '192.0.2.1';
const ROUTER_IP6 = '2001:db8::1';
const NODE_IP = '192.0.2.100';
const OUR_V4 = '10.5.0.1/32';
const OUR_V6 = '2001:db8:5::1/128';
const FRR_V4 = '198.51.100.0/24';
const FRR_V6 = '2001:db8:100::/48';
const OUR_RESTART_TIME = 120;
const FRR_RESTART_TIME = 20;

function speakerOptions(): SpeakerOptions {
  return {
    asn: OUR_ASN,
    routerId: NODE_IP,
    listen: { address: NODE_IP },
    peers: [{ address: ROUTER_IP, asn: FRR_ASN, password: PASSWORD, holdTime: 30, gracefulRestart: { enabled: true, restartTime: OUR_RESTART_TIME } }],
    announce: [
      { prefix: OUR_V4, nextHop: 'self' },
      { prefix: OUR_V6, nextHop: 'self' },
    ],
  };
}

interface PathState {
  readonly present: boolean;
  readonly stale: boolean;
}

/** Samples that did not show the route (absent, or the question failed), as "at ms: what". */
function gaps(samples: readonly Sample<PathState>[], from: number, to: number): string[] {
  return samples
    .filter((s) => s.at >= from && s.at <= to && s.value?.present !== true)
    .map((s) => `${s.at} ms: ${s.error ?? 'absent'}`);
}

t.test('we restart gracefully: FRR keeps our route in every 100 ms sample, stale until our End-of-RIB', async (t) => {
  const lab = await Lab.create(t);
  const { router: routerNode, node } = await lab.seedTopology();
  const frr = new FrrRouter(); // FRR is a graceful restart helper by default
  attachLogsOnFailure(t, [frr]);
  await frr.start({
    runner: routerNode,
    name: 'frr',
    asn: FRR_ASN,
    routerId: ROUTER_IP,
    ipv6NextHop: ROUTER_IP6,
    neighbors: [{ address: NODE_IP, asn: OUR_ASN, password: PASSWORD, holdTime: 30 }],
  });
  const speaker = new SpeakerProcess(node);
  t.teardown(() => speaker.kill());
  t.teardown(() => {
    if (!t.passing()) t.comment(`---- speaker (all runs) ----\n${speaker.logsAllRuns().split('\n').slice(-50).join('\n')}`);
  });
  await speaker.start(speakerOptions());
  await frr.waitEstablished(NODE_IP);
  await frr.waitRoute('ipv4', OUR_V4);
  await frr.waitRoute('ipv6', OUR_V6);

  const before = await frrNeighbor(frr, NODE_IP);
  t.equal(before.gracefulRestartInfo?.remoteGrMode, 'Restart', 'FRR: we negotiated graceful restart (remote mode Restart)');
  t.equal(before.gracefulRestartInfo?.timers?.receivedRestartTimer, OUR_RESTART_TIME, `FRR: our restart time is ${OUR_RESTART_TIME} s`);

  const capture = await PacketCapture.start(routerNode, routerNode.interfaces[0] ?? 'eth0', await lab.tempDir('capture'));
  const sampler = new Sampler<PathState>(
    async () => {
      const ours = (await frrPaths(frr, OUR_V4)).find((p) => p.peer === NODE_IP);
      return { present: ours !== undefined, stale: ours?.stale === true };
    },
    100,
    120_000,
  );
  await sleep(500);

  const stoppedAt = sampler.now();
  speaker.signal('SIGTERM');
  t.same(await speaker.waitExit(5_000), { code: 0, signal: null }, 'SIGTERM: the speaker exited by itself, code 0');
  await sleep(2_000);
  const restartedAt = sampler.now();
  await speaker.restart();
  await speaker.waitEstablished(ROUTER_IP, 30_000);
  await pollUntil(
    async () => {
      const ours = (await frrPaths(frr, OUR_V4)).find((p) => p.peer === NODE_IP);
      return ours !== undefined && !ours.stale ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, onTimeout: () => 'our route at FRR is still stale 30 s after we came back' },
  );
  const freshAt = sampler.now();
  await sleep(1_000);
  const samples = await sampler.stop();
  const window = samples.filter((s) => s.at >= stoppedAt && s.at <= freshAt);
  t.comment(`stopped at ${stoppedAt} ms, started again at ${restartedAt} ms, fresh at ${freshAt} ms; ${window.length} samples in between`);

  t.same(gaps(samples, 0, Number.POSITIVE_INFINITY), [], `our route was at FRR in every one of ${samples.length} samples (every 100 ms)`);
  t.ok(window.length >= (freshAt - stoppedAt) / 100 / 2, `sampled densely enough: ${window.length} samples over ${freshAt - stoppedAt} ms`);
  t.ok(window.some((s) => s.value?.stale === true), 'FRR marked our route stale while we were away');
  const last = samples[samples.length - 1];
  t.same(last?.value, { present: true, stale: false }, 'after our End-of-RIB our route is no longer stale');
  const v6 = (await frrPaths(frr, OUR_V6)).find((p) => p.peer === NODE_IP);
  t.same({ present: v6 !== undefined, stale: v6?.stale }, { present: true, stale: false }, 'our IPv6 route too: present, not stale');

  const after = await frrNeighbor(frr, NODE_IP);
  t.equal(after.bgpState, 'Established', 'FRR: Established again');
  t.equal(after.messageStats.notificationsRecv, before.messageStats.notificationsRecv, 'FRR got no NOTIFICATION from us');

  await sleep(1_500); // tcpdump hands packets over in blocks (see ecmp.test.ts)
  await capture.stop();
  const wire = (await wireMessages(capture.file)).filter((m) => m.summary.type !== 'KEEPALIVE');
  t.comment(`on the wire:\n${describeWire(wire.filter((m) => m.summary.type !== 'UPDATE'))}`);
  t.same(wire.filter((m) => m.src === NODE_IP && m.summary.type === 'NOTIFICATION').map((m) => m.summary.description), [],
    'no NOTIFICATION from us: the connection was just closed (RFC 4724 section 4)');
  const open = wire.find((m) => m.src === NODE_IP && m.summary.type === 'OPEN');
  const gr = open === undefined ? undefined : gracefulRestartCapability(open);
  t.ok(gr, 'our OPEN after the restart carries the Graceful Restart capability');
  t.equal(gr?.restartTime, OUR_RESTART_TIME, `with restart time ${OUR_RESTART_TIME}`);
  t.same(
    gr?.families.filter((f) => f.safi === 1).map((f) => ({ afi: f.afi, forwardingPreserved: f.forwardingPreserved })).sort((a, b) => a.afi - b.afi),
    [{ afi: 1, forwardingPreserved: true }, { afi: 2, forwardingPreserved: true }],
    'IPv4 and IPv6 unicast with forwarding state preserved (F bit), so FRR keeps the stale routes until End-of-RIB',
  );
  t.comment(`our Restart State (R) bit after the restart: ${String(gr?.restartState)}`);
});

t.test('FRR restarts with graceful restart: we keep its routes, stale, until its End-of-RIB, or until its restart time passes', async (t) => {
  const lab = await Lab.create(t);
  const { router: routerNode, node } = await lab.seedTopology();
  const frr = new GracefulRestartFrr({ restartTime: FRR_RESTART_TIME, preserveForwardingState: true });
  attachLogsOnFailure(t, [frr]);
  await frr.announce(FRR_V4, { nextHop: ROUTER_IP });
  await frr.announce(FRR_V6, { nextHop: ROUTER_IP6 });
  await frr.start({
    runner: routerNode,
    name: 'frr',
    asn: FRR_ASN,
    routerId: ROUTER_IP,
    ipv6NextHop: ROUTER_IP6,
    neighbors: [{ address: NODE_IP, asn: OUR_ASN, password: PASSWORD, holdTime: 30 }],
  });
  const speaker = new SpeakerProcess(node);
  t.teardown(() => speaker.kill());
  t.teardown(() => {
    if (!t.passing()) t.comment(`---- speaker ----\n${speaker.logsAllRuns().split('\n').slice(-50).join('\n')}`);
  });
  await speaker.start(speakerOptions());
  await speaker.waitEstablished(ROUTER_IP);
  const received = async (): Promise<{ v4: PathState; v6: PathState }> => {
    const routes = await speaker.receivedRoutes(ROUTER_IP);
    const state = (prefix: string): PathState => {
      const r = routes.find((x) => x.prefix === prefix) as { stale?: boolean } | undefined;
      return { present: r !== undefined, stale: r?.stale === true };
    };
    return { v4: state(FRR_V4), v6: state(FRR_V6) };
  };
  await pollUntil(async () => {
    const r = await received();
    return r.v4.present && r.v6.present ? true : undefined;
  }, { timeoutMs: 20_000, onTimeout: () => "FRR's routes did not arrive" });
  const n = await frrNeighbor(frr, NODE_IP);
  // FRR marks a mode inherited from the global `bgp graceful-restart` with a star.
  t.match(n.gracefulRestartInfo?.localGrMode ?? '', /^Restart\*?$/, 'FRR: graceful restart on (local mode Restart)');
  t.equal(n.gracefulRestartInfo?.remoteGrMode, 'Restart', 'FRR: we negotiated it too');
  t.same(await received(), { v4: { present: true, stale: false }, v6: { present: true, stale: false } }, "FRR's routes held, not stale");

  // FRR dies and comes back: its routes stay, stale, until its End-of-RIB.
  const sampler = new Sampler(async () => (await received()).v4, 250, 120_000);
  await sleep(300);
  const killedAt = sampler.now();
  await frr.kill();
  await pollUntil(async () => ((await received()).v4.stale ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 200,
    onTimeout: () => `FRR's route was never marked stale after FRR died (now: ${JSON.stringify(sampler.samples.slice(-1))})`,
  });
  t.same(await received(), { v4: { present: true, stale: true }, v6: { present: true, stale: true } }, 'FRR dead: its routes kept, marked stale');
  t.not((await speaker.neighbor(ROUTER_IP)).state, 'Established', 'our session with FRR is down meanwhile');
  await sleep(2_000);
  await frr.restart();
  await speaker.waitEstablished(ROUTER_IP, 30_000);
  await pollUntil(async () => {
    const r = await received();
    return r.v4.present && !r.v4.stale && r.v6.present && !r.v6.stale ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, onTimeout: () => "FRR's routes still stale 30 s after it came back" });
  const freshAt = sampler.now();
  const samples = await sampler.stop();
  t.same(gaps(samples, killedAt, freshAt), [], `FRR's route held in every sample (every 250 ms) from its death to its End-of-RIB`);
  t.ok(samples.some((s) => s.at > killedAt && s.value?.stale === true), 'and marked stale meanwhile');
  t.same(await received(), { v4: { present: true, stale: false }, v6: { present: true, stale: false } }, 'after its End-of-RIB: held, not stale');

  // FRR dies and stays dead: its routes go when its restart time has passed, not before.
  const killedAgain = Date.now();
  await frr.kill();
  await pollUntil(async () => ((await received()).v4.stale ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 200,
    onTimeout: () => "FRR's route was never marked stale after FRR died again",
  });
  await sleep(Math.max(0, killedAgain + (FRR_RESTART_TIME - 4) * 1000 - Date.now()));
  t.same(await received(), { v4: { present: true, stale: true }, v6: { present: true, stale: true } },
    `${FRR_RESTART_TIME - 4} s after FRR died for good: still held, stale`);
  await pollUntil(async () => {
    const r = await received();
    return !r.v4.present && !r.v6.present ? true : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200, onTimeout: () => `FRR's stale routes still held ${FRR_RESTART_TIME + 11} s after it died` });
  const goneAfter = (Date.now() - killedAgain) / 1000;
  t.ok(goneAfter >= FRR_RESTART_TIME - 1 && goneAfter <= FRR_RESTART_TIME + 5,
    `FRR's routes went ${goneAfter.toFixed(1)} s after it died (its restart time: ${FRR_RESTART_TIME} s)`);
});

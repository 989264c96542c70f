/**
 * ECMP across nodes, as MetalLB is used: three nodes (n1-n3, 192.0.2.101-103) announce the same
 * service address 10.5.0.10/32 (and 2001:db8:5::10/128) as AS 4200000000 with TCP-MD5 to one FRR
 * router (192.0.2.1, AS 64512) on one segment; FRR with multipath on holds three equal paths and
 * uses them all. When one node's speaker is stopped (SIGTERM), FRR drops that node's path at once
 * (Cease/Administrative Shutdown, not a hold-timer expiry) and keeps the other two.
 */
import t from 'tap';
import { FrrRouter } from '../../lab/frr.js';
import { PacketCapture } from '../../lab/capture.js';
import { Lab } from '../../lab/netns.js';
import { pollUntil, sleep } from '../../lab/proc.js';
import { attachLogsOnFailure } from '../../lab/router.js';
import { describeWire, notificationCode, wireMessages } from '../../support/bgp-capture.js';
import { frrNeighbor, frrPaths } from '../../support/frr-inspect.js';
import type { FrrPath } from '../../support/frr-inspect.js';
import { buildSegment, speakerNodeSpecs, startSpeakers } from '../../support/multi-node.js';

const OUR_ASN = 4200000000;
const FRR_ASN = 64512;
const PASSWORD = 'ecmp-secret';
const ROUTER = { name: 'r1', ipv4: '192.0.2.1', ipv6: '2001:db8::1' };
const SERVICE_V4 = '10.5.0.10/32';
const SERVICE_V6 = '2001:db8:5::10/128';
/** "At once": from SIGTERM to FRR holding one path fewer. */
const DROP_WITHIN_MS = 1000;

const peersOf = (paths: readonly FrrPath[]): string[] => paths.map((p) => p.peer ?? '?').sort();

t.test('three nodes announce one /32 to FRR with multipath; one stops and FRR drops only its path, at once', async (t) => {
  const lab = await Lab.create(t);
  const nodeSpecs = speakerNodeSpecs(3);
  const segment = await buildSegment(lab, [ROUTER, ...nodeSpecs]);
  const nodes = nodeSpecs.map((s) => segment.host(s.name));

  const routerNode = segment.host(ROUTER.name);
  const frr = new FrrRouter();
  attachLogsOnFailure(t, [frr]);
  await frr.start({
    runner: routerNode,
    name: 'r1',
    asn: FRR_ASN,
    routerId: ROUTER.ipv4,
    multipath: true,
    neighbors: nodeSpecs.map((n) => ({ address: n.ipv4, asn: OUR_ASN, password: PASSWORD, holdTime: 30 })),
  });

  const speakers = await startSpeakers(t, nodes, (node) => ({
    asn: OUR_ASN,
    routerId: node.ipv4(),
    listen: { address: node.ipv4() },
    peers: [{ address: ROUTER.ipv4, asn: FRR_ASN, password: PASSWORD, holdTime: 30 }],
    announce: [
      { prefix: SERVICE_V4, nextHop: 'self' },
      { prefix: SERVICE_V6, nextHop: 'self' },
    ],
  }));
  t.teardown(() => {
    if (!t.passing()) speakers.forEach((s, i) => t.comment(`---- speaker n${i + 1} ----\n${s.logsAllRuns().split('\n').slice(-30).join('\n')}`));
  });

  for (const spec of nodeSpecs) await frr.waitEstablished(spec.ipv4, 30_000);

  const allThree = await pollUntil(
    async () => {
      const paths = await frrPaths(frr, SERVICE_V4);
      return paths.length === 3 && paths.every((p) => p.multipath) ? paths : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, onTimeout: () => `FRR did not get three multipath paths for ${SERVICE_V4}` },
  ).catch(async (error: Error) => {
    t.comment(JSON.stringify(await frrPaths(frr, SERVICE_V4)));
    throw error;
  });
  t.same(peersOf(allThree), nodeSpecs.map((n) => n.ipv4).sort(), 'one path from each node');
  t.same(allThree.map((p) => p.nextHop).sort(), nodeSpecs.map((n) => n.ipv4).sort(), "each path's next hop is its node");
  t.ok(allThree.every((p) => p.multipath), 'every path is multipath');
  t.equal(allThree.filter((p) => p.best).length, 1, 'one of them is the best path');
  t.ok(allThree.every((p) => p.valid), 'every path is valid');
  t.ok(allThree.every((p) => p.asPath === String(OUR_ASN)), 'AS path [4200000000] on every path');

  const v6 = await pollUntil(
    async () => {
      const paths = await frrPaths(frr, SERVICE_V6);
      return paths.length === 3 && paths.every((p) => p.multipath) ? paths : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, onTimeout: () => `FRR did not get three multipath paths for ${SERVICE_V6}` },
  );
  t.same(v6.map((p) => (p.nextHop ?? '').toLowerCase()).sort(), nodeSpecs.map((n) => n.ipv6).sort(), 'IPv6: three paths, next hops the nodes');

  // Stop n2 with SIGTERM, under capture at the router, and time FRR dropping its path. (Not on the
  // bridge's br0: a Linux bridge forwards learned unicast from port to port without br0 seeing it.)
  const stopped = nodeSpecs[1];
  const stoppedSpeaker = speakers[1];
  if (stopped === undefined || stoppedSpeaker === undefined) throw new Error('three nodes expected');
  const capture = await PacketCapture.start(routerNode, routerNode.interfaces[0] ?? 'eth0', await lab.tempDir('capture'));
  const before = await frrNeighbor(frr, stopped.ipv4);
  const othersBefore = await Promise.all([nodeSpecs[0], nodeSpecs[2]].map((spec) => frrNeighbor(frr, spec?.ipv4 ?? '')));
  const signalledAt = Date.now();
  stoppedSpeaker.signal('SIGTERM');
  let polls = 0;
  const remaining = await pollUntil(
    async () => {
      polls += 1;
      const paths = await frrPaths(frr, SERVICE_V4);
      return paths.length < 3 ? paths : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 20, onTimeout: () => `FRR still held three paths 30 s after SIGTERM to ${stopped.name}` },
  );
  const droppedAfterMs = Date.now() - signalledAt;
  t.comment(`FRR dropped n2's path ${droppedAfterMs} ms after SIGTERM (${polls} polls)`);
  t.ok(droppedAfterMs <= DROP_WITHIN_MS, `FRR dropped the path within ${DROP_WITHIN_MS} ms of SIGTERM (took ${droppedAfterMs} ms)`);
  t.same(peersOf(remaining), [nodeSpecs[0]?.ipv4, nodeSpecs[2]?.ipv4].sort(), 'the paths of n1 and n3 are kept');
  t.ok(remaining.every((p) => p.multipath), 'both remaining paths are still multipath');

  const exit = await stoppedSpeaker.waitExit(5_000);
  t.same(exit, { code: 0, signal: null }, 'the stopped speaker exited by itself with code 0');

  // Why FRR dropped it: a NOTIFICATION Cease/Administrative Shutdown (RFC 9003) from n2.
  const after = await frrNeighbor(frr, stopped.ipv4);
  t.not(after.bgpState, 'Established', 'FRR: the session with n2 is down');
  t.equal(after.lastErrorCodeSubcode, '0602', 'FRR: last NOTIFICATION 6/2');
  t.equal(after.lastNotificationReason, 'Cease/Administrative Shutdown', 'FRR: Cease/Administrative Shutdown');
  t.equal(after.lastResetDueTo, 'BGP Notification received', 'FRR: reset because of a NOTIFICATION it received');
  t.match(after.lastShutdownDescription ?? '', /\S/, 'FRR: the RFC 9003 shutdown message arrived');
  t.ok(after.messageStats.notificationsRecv > before.messageStats.notificationsRecv, 'FRR counted the NOTIFICATION');

  // tcpdump without --immediate-mode hands packets over in blocks (up to ~1 s late); a stop before
  // that loses the last ones.
  await sleep(1500);
  await capture.stop();
  const wire = await wireMessages(capture.file);
  const ours = wire.filter((m) => m.src === stopped.ipv4 && m.summary.type === 'NOTIFICATION');
  t.equal(ours.length, 1, `one NOTIFICATION from n2 on the wire\n${describeWire(wire.filter((m) => m.summary.type !== 'KEEPALIVE'))}`);
  const first = ours[0];
  if (first !== undefined) t.same(notificationCode(first), { code: 6, subcode: 2 }, 'on the wire: Cease (6) / Administrative Shutdown (2)');

  // The other two sessions never noticed: same session (same up time), no drop since.
  for (const [i, spec] of [nodeSpecs[0], nodeSpecs[2]].entries()) {
    if (spec === undefined) continue;
    const was = othersBefore[i];
    const n = await frrNeighbor(frr, spec.ipv4);
    t.equal(n.bgpState, 'Established', `FRR: ${spec.name} still Established`);
    t.equal(n.connectionsDropped, was?.connectionsDropped, `FRR: ${spec.name} not dropped meanwhile`);
    t.equal(n.connectionsEstablished, was?.connectionsEstablished, `FRR: ${spec.name} is the same session as before`);
  }
  const v6After = await frrPaths(frr, SERVICE_V6);
  t.same(peersOf(v6After), [nodeSpecs[0]?.ipv4, nodeSpecs[2]?.ipv4].sort(), 'IPv6: the paths of n1 and n3 are kept');
});

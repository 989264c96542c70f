/**
 * Live reload (rewrite the config file, SIGHUP) that removes one peer and adds another, with a
 * third left as it was. On one segment: our node 192.0.2.100, FRR 192.0.2.1 (AS 64512), GoBGP
 * 192.0.2.2 (AS 64513) and BIRD 192.0.2.3 (AS 64514). Before: we peer with FRR and BIRD; GoBGP is
 * configured for us but refused (we do not know it yet). The reload removes FRR and adds GoBGP:
 *   - FRR gets Cease/Peer De-configured (6/3, RFC 4486) and is not let back in;
 *   - the session with GoBGP comes up and GoBGP gets our route;
 *   - the BIRD session is not touched: BIRD's protocol "since" time is unchanged, our uptime for it
 *     keeps growing, and no OPEN or NOTIFICATION crosses between us and BIRD.
 */
import t from 'tap';
import { BirdRouter } from '../../lab/bird.js';
import { PacketCapture } from '../../lab/capture.js';
import { FrrRouter } from '../../lab/frr.js';
import { GobgpRouter } from '../../lab/gobgp.js';
import { Lab } from '../../lab/netns.js';
import { pollUntil, sleep } from '../../lab/proc.js';
import { attachLogsOnFailure } from '../../lab/router.js';
import { birdProtocol } from '../../support/bird-inspect.js';
import { describeWire, notificationCode, wireMessages } from '../../support/bgp-capture.js';
import { frrNeighbor } from '../../support/frr-inspect.js';
import { buildSegment } from '../../support/multi-node.js';
import { SpeakerProcess } from '../../support/speaker.js';
import type { SpeakerOptions, SpeakerPeer } from '../../support/speaker.js';

const OUR_ASN = 4200000000;
const PASSWORD = 'reload-secret';
const NODE = { name: 'node', ipv4: '192.0.2.100', ipv6: '2001:db8::100' };
const FRR = { name: 'frr', ipv4: '192.0.2.1', ipv6: '2001:db8::1', asn: 64512 };
const GOBGP = { name: 'gobgp', ipv4: '192.0.2.2', ipv6: '2001:db8::2', asn: 64513 };
const BIRD = { name: 'bird', ipv4: '192.0.2.3', ipv6: '2001:db8::3', asn: 64514 };
const OUR_ROUTE = '10.5.0.1/32';

const peer = (router: { ipv4: string; asn: number }): SpeakerPeer => ({ address: router.ipv4, asn: router.asn, password: PASSWORD, holdTime: 30 });

t.test('reload adds GoBGP and removes FRR (Cease 6/3); the BIRD session is untouched', async (t) => {
  const lab = await Lab.create(t);
  const segment = await buildSegment(lab, [NODE, FRR, GOBGP, BIRD]);
  const neighbor = { address: NODE.ipv4, asn: OUR_ASN, password: PASSWORD, holdTime: 30 };
  const frr = new FrrRouter();
  const gobgp = new GobgpRouter();
  const bird = new BirdRouter();
  attachLogsOnFailure(t, [frr, gobgp, bird]);
  await frr.start({ runner: segment.host(FRR.name), name: 'frr', asn: FRR.asn, routerId: FRR.ipv4, ipv6NextHop: FRR.ipv6, neighbors: [neighbor] });
  await gobgp.start({ runner: segment.host(GOBGP.name), name: 'gobgp', asn: GOBGP.asn, routerId: GOBGP.ipv4, neighbors: [neighbor] });
  await bird.start({ runner: segment.host(BIRD.name), name: 'bird', asn: BIRD.asn, routerId: BIRD.ipv4, neighbors: [neighbor] });

  const nodeNs = segment.host(NODE.name);
  const speaker = new SpeakerProcess(nodeNs);
  t.teardown(() => speaker.kill());
  t.teardown(() => {
    if (!t.passing()) t.comment(`---- speaker ----\n${speaker.logsAllRuns().split('\n').slice(-50).join('\n')}`);
  });
  const before: SpeakerOptions = {
    asn: OUR_ASN,
    routerId: NODE.ipv4,
    listen: { address: NODE.ipv4 },
    peers: [peer(FRR), peer(BIRD)],
    announce: [{ prefix: OUR_ROUTE, nextHop: 'self' }],
  };
  await speaker.start(before);
  await Promise.all([frr.waitEstablished(NODE.ipv4), bird.waitEstablished(NODE.ipv4)]);
  await frr.waitRoute('ipv4', OUR_ROUTE);
  await bird.waitRoute('ipv4', OUR_ROUTE);
  t.not(await gobgp.neighborState(NODE.ipv4), 'Established', 'GoBGP: no session yet (we do not know it)');

  // Let the BIRD session age a little, so "its uptime keeps growing" means something.
  await sleep(3000);
  const birdBefore = await birdProtocol(bird, NODE.ipv4);
  const oursBefore = await speaker.neighbor(BIRD.ipv4);
  const measuredAt = Date.now();
  t.equal(birdBefore.bgpState, 'Established', 'BIRD: Established before the reload');
  t.ok((oursBefore.uptimeSeconds ?? 0) >= 2, `our uptime with BIRD before the reload: ${String(oursBefore.uptimeSeconds)} s`);

  const capture = await PacketCapture.start(nodeNs, nodeNs.interfaces[0] ?? 'eth0', await lab.tempDir('capture'));
  await speaker.reloadWith({ ...before, peers: [peer(BIRD), peer(GOBGP)] });
  await sleep(300);
  t.ok(speaker.running, 'the speaker still runs after SIGHUP (it reloads; SIGHUP does not end it)');

  // FRR: removed, told so with Cease/Peer De-configured.
  const frrAfter = await pollUntil(
    async () => {
      const n = await frrNeighbor(frr, NODE.ipv4);
      return n.lastErrorCodeSubcode === '0603' ? n : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200, onTimeout: () => 'FRR never got NOTIFICATION 6/3 after the reload' },
  );
  t.equal(frrAfter.lastNotificationReason, 'Cease/Peer De-configured', 'FRR: Cease/Peer De-configured');
  t.equal(frrAfter.lastResetDueTo, 'BGP Notification received', 'FRR: the session ended by our NOTIFICATION');
  await frr.waitNoRoute('ipv4', OUR_ROUTE, 10_000);
  t.pass('FRR no longer holds our route');

  // GoBGP: added, comes up and gets our route.
  await gobgp.waitEstablished(NODE.ipv4, 30_000);
  const atGobgp = await gobgp.waitRoute('ipv4', OUR_ROUTE, 15_000);
  t.same(atGobgp.asPath, [OUR_ASN], 'GoBGP holds our route, AS path [4200000000]');
  t.equal(atGobgp.nextHop, NODE.ipv4, 'GoBGP: next hop is our address');

  const neighbors = await speaker.neighbors();
  t.same(neighbors.map((n) => n.address).sort(), [GOBGP.ipv4, BIRD.ipv4].sort(), 'our neighbors are now GoBGP and BIRD');
  t.equal(neighbors.find((n) => n.address === GOBGP.ipv4)?.state, 'Established', 'ours: GoBGP Established');

  // FRR is not let back in: its connection attempts (every second) never make a session.
  const frrStates: string[] = [];
  for (let i = 0; i < 12; i++) {
    frrStates.push((await frrNeighbor(frr, NODE.ipv4)).bgpState);
    await sleep(250);
  }
  t.notOk(frrStates.includes('Established'), `FRR never Established again over 3 s (${[...new Set(frrStates)].join(', ')})`);

  // BIRD: the same session, never reset.
  const birdAfter = await birdProtocol(bird, NODE.ipv4);
  const oursAfter = await speaker.neighbor(BIRD.ipv4);
  const elapsed = Math.floor((Date.now() - measuredAt) / 1000);
  t.equal(birdAfter.bgpState, 'Established', 'BIRD: still Established');
  t.equal(birdAfter.since, birdBefore.since, `BIRD: protocol "since" unchanged (${birdBefore.since})`);
  t.equal(birdAfter.lastError, birdBefore.lastError, 'BIRD: no new error');
  t.equal(oursAfter.state, 'Established', 'ours: BIRD still Established');
  t.ok(
    (oursAfter.uptimeSeconds ?? 0) >= (oursBefore.uptimeSeconds ?? 0) + elapsed - 1,
    `our uptime with BIRD kept growing: ${String(oursBefore.uptimeSeconds)} s -> ${String(oursAfter.uptimeSeconds)} s over ${elapsed} s`,
  );
  await bird.waitRoute('ipv4', OUR_ROUTE, 1000);
  t.pass('BIRD still holds our route');

  await sleep(1500); // tcpdump hands packets over in blocks (see ecmp.test.ts)
  await capture.stop();
  const wire = (await wireMessages(capture.file)).filter((m) => m.summary.type !== 'KEEPALIVE');
  t.comment(`on the wire after the reload:\n${describeWire(wire.filter((m) => m.summary.type !== 'UPDATE'))}`);
  const toFrr = wire.filter((m) => m.src === NODE.ipv4 && m.dst === FRR.ipv4 && m.summary.type === 'NOTIFICATION');
  t.equal(toFrr.length, 1, 'one NOTIFICATION from us to FRR');
  const first = toFrr[0];
  if (first !== undefined) t.same(notificationCode(first), { code: 6, subcode: 3 }, 'on the wire: Cease (6) / Peer De-configured (3)');
  const withBird = wire.filter((m) => (m.src === BIRD.ipv4 || m.dst === BIRD.ipv4) && (m.summary.type === 'OPEN' || m.summary.type === 'NOTIFICATION'));
  t.same(withBird.map((m) => m.summary.description), [], 'no OPEN and no NOTIFICATION between us and BIRD');
  const opensToGobgp = wire.filter((m) => m.src === NODE.ipv4 && m.dst === GOBGP.ipv4 && m.summary.type === 'OPEN');
  t.ok(opensToGobgp.length >= 1, 'we sent GoBGP an OPEN after the reload');
});

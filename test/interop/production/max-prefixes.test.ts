/**
 * RFC 4486 maximum prefixes against a real router: BIRD (192.0.2.1, AS 64514) announces 10 routes
 * to our speaker, configured with `maxPrefixes: { limit: 5, restartTime: 30 }` for it. BIRD must
 * get NOTIFICATION Cease / Maximum Number of Prefixes Reached (6/1), and the session must stay
 * down (neither side Established) for a good while inside the restart time. After the restart
 * time we try again, and the same happens again.
 */
import t from 'tap';
import { BirdRouter } from '../../lab/bird.js';
import { PacketCapture } from '../../lab/capture.js';
import { Lab } from '../../lab/netns.js';
import { pollUntil, sleep } from '../../lab/proc.js';
import { attachLogsOnFailure } from '../../lab/router.js';
import { birdProtocol } from '../../support/bird-inspect.js';
import { describeWire, notificationCode, wireMessages } from '../../support/bgp-capture.js';
import { SpeakerProcess } from '../../support/speaker.js';

const OUR_ASN = 4200000000;
const BIRD_ASN = 64514;
const PASSWORD = 'max-prefix-secret';
const ROUTER_IP = '192.0.2.1';
const NODE_IP = '192.0.2.100';
const LIMIT = 5;
const RESTART_TIME_S = 30;
/** How long the session must stay down after the NOTIFICATION ("several seconds, well inside restartTime"). */
const STAYS_DOWN_MS = 12_000;
/** BIRD's ten routes: 198.51.100.0/28, .16/28, ... (RFC 5737 documentation space). */
const BIRD_ROUTES = Array.from({ length: 10 }, (_, i) => `198.51.100.${i * 16}/28`);

t.test(`over ${LIMIT} prefixes from BIRD: Cease 6/1, and the session stays down for the restart time`, async (t) => {
  const lab = await Lab.create(t);
  const { router: routerNode, node } = await lab.seedTopology();
  const bird = new BirdRouter();
  attachLogsOnFailure(t, [bird]);
  for (const prefix of BIRD_ROUTES) await bird.announce(prefix);
  await bird.start({
    runner: routerNode,
    name: 'bird',
    asn: BIRD_ASN,
    routerId: ROUTER_IP,
    neighbors: [{ address: NODE_IP, asn: OUR_ASN, password: PASSWORD, holdTime: 30 }],
  });

  const capture = await PacketCapture.start(routerNode, routerNode.interfaces[0] ?? 'eth0', await lab.tempDir('capture'));
  const speaker = new SpeakerProcess(node);
  t.teardown(() => speaker.kill());
  t.teardown(() => {
    if (!t.passing()) t.comment(`---- speaker ----\n${speaker.logsAllRuns().split('\n').slice(-40).join('\n')}`);
  });
  await speaker.start({
    asn: OUR_ASN,
    routerId: NODE_IP,
    listen: { address: NODE_IP },
    peers: [{ address: ROUTER_IP, asn: BIRD_ASN, password: PASSWORD, holdTime: 30, maxPrefixes: { limit: LIMIT, restartTime: RESTART_TIME_S } }],
    announce: [{ prefix: '10.5.0.1/32', nextHop: 'self' }],
  });

  // BIRD's view: the session ended with our NOTIFICATION 6/1.
  const info = await pollUntil(
    async () => {
      const p = await birdProtocol(bird, NODE_IP);
      return p.lastError !== undefined && /Maximum number of prefixes/i.test(p.lastError) ? p : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, onTimeout: () => 'BIRD never reported "Maximum number of prefixes reached"' },
  );
  const downAt = Date.now();
  t.equal(info.lastError, 'Received: Maximum number of prefixes reached', 'BIRD: last error is the NOTIFICATION it received, Cease/Maximum Number of Prefixes Reached');

  // Down, and it stays down: sampled every 250 ms on both sides for STAYS_DOWN_MS.
  const established: string[] = [];
  let samples = 0;
  while (Date.now() - downAt < STAYS_DOWN_MS) {
    samples += 1;
    const [birdSide, ours] = await Promise.all([birdProtocol(bird, NODE_IP), speaker.neighbor(ROUTER_IP)]);
    const at = ((Date.now() - downAt) / 1000).toFixed(1);
    if (birdSide.bgpState === 'Established') established.push(`${at} s: BIRD Established`);
    if (ours.state === 'Established') established.push(`${at} s: ours Established`);
    await sleep(250);
  }
  t.same(established, [], `neither side Established in ${samples} samples over ${STAYS_DOWN_MS / 1000} s after the NOTIFICATION`);
  const ours = await speaker.neighbor(ROUTER_IP);
  t.equal(ours.received, 0, 'we hold none of the routes of the session we closed');
  t.not(ours.state, 'Established', 'our side: not Established');
  t.comment(`our neighbor view: ${JSON.stringify(ours)}`);

  // After the restart time we try again: BIRD gets its routes refused the same way, a second time.
  const second = await pollUntil(
    async () => {
      await sleep(1600); // tcpdump hands packets over in blocks (see ecmp.test.ts)
      const wire = await wireMessages(capture.file);
      const ceases = wire.filter((m) => m.src === NODE_IP && m.summary.type === 'NOTIFICATION');
      return ceases.length >= 2 ? ceases : undefined;
    },
    { timeoutMs: (RESTART_TIME_S + 20) * 1000, intervalMs: 0, onTimeout: () => `no second NOTIFICATION within restartTime + 20 s` },
  );
  await capture.stop();
  const wire = await wireMessages(capture.file);
  const birdOpens = wire.filter((m) => m.src === ROUTER_IP && m.summary.type === 'OPEN').length;
  t.comment(`our OPENs and NOTIFICATIONs on the wire (BIRD sent ${birdOpens} OPENs meanwhile):\n${describeWire(wire.filter((m) => m.src === NODE_IP && (m.summary.type === 'NOTIFICATION' || m.summary.type === 'OPEN')))}`);
  const [first, again] = second;
  if (first === undefined || again === undefined) throw new Error('two NOTIFICATIONs expected');
  t.same(notificationCode(first), { code: 6, subcode: 1 }, 'on the wire: our NOTIFICATION is Cease (6) / Maximum Number of Prefixes Reached (1)');
  t.same(notificationCode(again), { code: 6, subcode: 1 }, 'and the second one too');
  const gap = again.time - first.time;
  t.ok(gap >= RESTART_TIME_S - 1, `the second session came only after the restart time (${gap.toFixed(1)} s >= ${RESTART_TIME_S} s)`);
  const opensBetween = wire.filter((m) => m.src === NODE_IP && m.summary.type === 'OPEN' && m.time > first.time && m.time < first.time + RESTART_TIME_S - 1);
  t.equal(opensBetween.length, 0, 'we sent no OPEN during the restart time');
});

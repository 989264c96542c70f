/**
 * Route refresh (RFC 2918) from a real router: FRR's `clear bgp 192.0.2.100 soft in` (no
 * soft-reconfiguration inbound, so FRR asks us) sends us a ROUTE-REFRESH per family, and we answer
 * by sending our routes again, without resetting the session. Checked at FRR (its counters, the
 * routes still held, the same session) and on the wire (a capture at the router). We advertise the
 * Enhanced Route Refresh capability (RFC 7313), so the answer must also be framed by BoRR and EoRR.
 */
import t from 'tap';
import { PacketCapture } from '../../lab/capture.js';
import type { FrrRouter } from '../../lab/frr.js';
import { pollUntil, sleep } from '../../lab/proc.js';
import { attachLogsOnFailure } from '../../lab/router.js';
import { describeWire, wireMessages } from '../../support/bgp-capture.js';
import type { WireMessage } from '../../support/bgp-capture.js';
import { frrNeighbor } from '../../support/frr-inspect.js';
import { NODE_IP, OUR_ROUTES, ROUTER_IP, ourRoutesAtRouter, startTopology } from '../../support/interop-suite.js';

const AFI_IPV4 = 1;
const AFI_IPV6 = 2;
/** RFC 7313 section 3: the ROUTE-REFRESH subtype (the former reserved octet). */
const SUBTYPE = { request: 0, borr: 1, eorr: 2 } as const;

function refreshFields(m: WireMessage): { afi: number; subtype: number; safi: number } {
  return { afi: m.bytes.readUInt16BE(19), subtype: m.bytes[21] ?? -1, safi: m.bytes[22] ?? -1 };
}

const PREFIX_OF_AFI: Readonly<Record<number, string>> = { [AFI_IPV4]: OUR_ROUTES.v4.prefix, [AFI_IPV6]: OUR_ROUTES.v6.prefix };

t.test('FRR `clear bgp soft in` sends ROUTE-REFRESH; we send our routes again and the session stays up', async (t) => {
  const { lab, router, routerNode, speaker } = await startTopology(t, 'frr', { announceRouterRoutes: false });
  const frr = router as FrrRouter;
  attachLogsOnFailure(t, [frr]);
  t.teardown(() => {
    if (!t.passing()) t.comment(`---- speaker ----\n${speaker.logsAllRuns().split('\n').slice(-30).join('\n')}`);
  });
  await frr.waitEstablished(NODE_IP, 30_000);
  await speaker.waitEstablished(ROUTER_IP);
  await ourRoutesAtRouter(frr);
  const caps = (await frrNeighbor(frr, NODE_IP)).neighborCapabilities ?? {};
  t.equal(caps['routeRefresh'], 'advertisedAndReceivedNew', 'FRR: route refresh negotiated (RFC 2918 code 2)');
  t.equal(caps['enhancedRouteRefresh'], 'advertisedAndReceived', 'FRR: enhanced route refresh negotiated (RFC 7313)');

  // Our initial table and End-of-RIB are in once FRR's counters stop moving.
  const before = await pollUntil(
    async () => {
      const a = await frrNeighbor(frr, NODE_IP);
      await sleep(500);
      const b = await frrNeighbor(frr, NODE_IP);
      return a.messageStats.updatesRecv === b.messageStats.updatesRecv && b.messageStats.updatesRecv > 0 ? b : undefined;
    },
    { timeoutMs: 10_000, onTimeout: () => 'FRR counters kept moving' },
  );

  const capture = await PacketCapture.start(routerNode, routerNode.interfaces[0] ?? 'eth0', await lab.tempDir('capture'));
  const output = await frr.vtysh(`clear bgp ${NODE_IP} soft in`);
  t.notMatch(output, /%/, `vtysh accepted the command: ${output.trim()}`);

  const after = await pollUntil(
    async () => {
      const n = await frrNeighbor(frr, NODE_IP);
      return n.messageStats.routeRefreshSent > before.messageStats.routeRefreshSent &&
        n.messageStats.updatesRecv >= before.messageStats.updatesRecv + 2
        ? n
        : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 200, onTimeout: () => 'FRR sent no ROUTE-REFRESH, or we sent no UPDATEs after it' },
  );
  t.ok(after.messageStats.routeRefreshSent > before.messageStats.routeRefreshSent,
    `FRR sent ROUTE-REFRESH (${before.messageStats.routeRefreshSent} -> ${after.messageStats.routeRefreshSent})`);
  t.ok(after.messageStats.updatesRecv >= before.messageStats.updatesRecv + 2,
    `FRR received our UPDATEs again (${before.messageStats.updatesRecv} -> ${after.messageStats.updatesRecv})`);
  t.equal(after.bgpState, 'Established', 'FRR: still Established');
  t.equal(after.connectionsEstablished, before.connectionsEstablished, 'FRR: the same session (no reset)');
  t.equal(after.messageStats.notificationsRecv, before.messageStats.notificationsRecv, 'no NOTIFICATION from us');
  const routes = await ourRoutesAtRouter(frr);
  t.equal(routes.v4.peer, NODE_IP, 'our IPv4 route is still at FRR, as we announced it');
  t.equal(routes.v6.peer, NODE_IP, 'our IPv6 route is still at FRR, as we announced it');

  await sleep(1500); // tcpdump hands packets over in blocks; see ecmp.test.ts
  await capture.stop();
  const wire = (await wireMessages(capture.file)).filter((m) => m.summary.type !== 'KEEPALIVE');
  t.comment(`on the wire:\n${describeWire(wire)}`);
  const requests = wire.filter((m) => m.src === ROUTER_IP && m.summary.type === 'ROUTE-REFRESH');
  t.same(
    requests.map((m) => refreshFields(m)).sort((a, b) => a.afi - b.afi),
    [
      { afi: AFI_IPV4, subtype: SUBTYPE.request, safi: 1 },
      { afi: AFI_IPV6, subtype: SUBTYPE.request, safi: 1 },
    ],
    'FRR sent one ROUTE-REFRESH request per family (IPv4 and IPv6 unicast)',
  );
  const fromUs = wire.filter((m) => m.src === NODE_IP);
  for (const request of requests) {
    const { afi } = refreshFields(request);
    const prefix = PREFIX_OF_AFI[afi] ?? '?';
    const answer = fromUs.filter((m) => m.time >= request.time);
    const update = answer.findIndex((m) => m.summary.type === 'UPDATE' && m.summary.description.includes(`announces ${prefix}`));
    t.ok(update >= 0, `AFI ${afi}: after FRR's ROUTE-REFRESH we sent ${prefix} again`);
    // RFC 7313 section 4: having advertised Enhanced Route Refresh, the answer is framed by a
    // BoRR before the routes and an EoRR after them, for that AFI/SAFI.
    const markers = answer
      .map((m, i) => ({ m, i }))
      .filter(({ m }) => m.summary.type === 'ROUTE-REFRESH' && refreshFields(m).afi === afi);
    const borr = markers.find(({ m }) => refreshFields(m).subtype === SUBTYPE.borr);
    const eorr = markers.find(({ m }) => refreshFields(m).subtype === SUBTYPE.eorr);
    t.ok(borr !== undefined && borr.i < update, `AFI ${afi}: RFC 7313 BoRR from us before the re-sent routes`);
    t.ok(eorr !== undefined && eorr.i > update, `AFI ${afi}: RFC 7313 EoRR from us after the re-sent routes`);
  }
});

/**
 * The interop checks of the bgp-core issue, run the same way against each real router: the seed's
 * topology in network namespaces (router 192.0.2.1, our node 192.0.2.100, one veth), our AS
 * 4200000000, and a TCP-MD5 password on the session.
 */
import type { Test } from 'tap';
import { BirdRouter } from '../lab/bird.js';
import { FrrRouter } from '../lab/frr.js';
import { GobgpRouter } from '../lab/gobgp.js';
import { Lab } from '../lab/netns.js';
import type { LabNode } from '../lab/netns.js';
import { pollUntil } from '../lab/proc.js';
import type { LabRoute, RouterDriver } from '../lab/router.js';
import { SpeakerProcess } from './speaker.js';
import type { SpeakerOptions } from './speaker.js';

export type RouterKind = 'frr' | 'gobgp' | 'bird';

export const OUR_ASN = 4200000000;
/** RFC 6793: how a 2-octet-only speaker knows a 4-octet AS. */
export const AS_TRANS = 23456;
export const PASSWORD = 'changeme';
export const ROUTER_IP = '192.0.2.1';
export const ROUTER_IP6 = '2001:db8::1';
export const NODE_IP = '192.0.2.100';
export const NODE_IP6 = '2001:db8::100';

/** Each router gets an AS of the seed's kind (private 2-octet). */
export const ROUTER_ASN: Readonly<Record<RouterKind, number>> = { frr: 64512, gobgp: 64513, bird: 64514 };

/** What our speaker announces in every interop test. */
export const OUR_ROUTES = {
  v4: { prefix: '10.5.0.1/32', communities: ['64512:100', 'no-export'], largeCommunities: ['4200000000:1:2'], med: 5 },
  v6: { prefix: '2001:db8:5::1/128', communities: ['64512:200'], largeCommunities: ['4200000000:6:6'] },
} as const;

/** What the router originates (documentation ranges, RFC 5737 / RFC 3849). */
export const ROUTER_ROUTES = { v4: '198.51.100.0/24', v6: '2001:db8:100::/48', community: '64512:7' } as const;

export function newRouter(kind: RouterKind, node: LabNode): RouterDriver {
  switch (kind) {
    case 'frr':
      return new FrrRouter();
    case 'gobgp':
      return new GobgpRouter();
    case 'bird':
      return new BirdRouter();
  }
  void node;
}

export interface Topology {
  readonly lab: Lab;
  readonly routerNode: LabNode;
  readonly speakerNode: LabNode;
  readonly router: RouterDriver;
  readonly speaker: SpeakerProcess;
}

export interface TopologyOptions {
  readonly routerPassword?: string;
  readonly speakerPassword?: string;
  /**
   * BIRD only: false makes the router a 2-octet-AS speaker (RFC 6793 "OLD" BGP speaker). It then
   * knows us as AS_TRANS, and our speaker leaves out the 4-octet AS capability it would refuse.
   */
  readonly as4?: boolean;
  readonly announceRouterRoutes?: boolean;
}

export async function startTopology(t: Test, kind: RouterKind, options: TopologyOptions = {}): Promise<Topology> {
  const lab = await Lab.create(t);
  const { router: routerNode, node: speakerNode } = await lab.seedTopology();
  const router = newRouter(kind, routerNode);
  const routerPassword = 'routerPassword' in options ? options.routerPassword : PASSWORD;
  await router.start({
    runner: routerNode,
    name: kind,
    asn: ROUTER_ASN[kind],
    routerId: ROUTER_IP,
    ...(kind === 'frr' ? { ipv6NextHop: ROUTER_IP6 } : {}),
    neighbors: [
      {
        address: NODE_IP,
        asn: options.as4 === false ? AS_TRANS : OUR_ASN,
        holdTime: 30,
        ...(routerPassword === undefined ? {} : { password: routerPassword }),
        ...(options.as4 === undefined ? {} : { as4: options.as4 }),
      },
    ],
  });
  if (options.announceRouterRoutes ?? true) {
    await router.announce(ROUTER_ROUTES.v4, { nextHop: ROUTER_IP, communities: [ROUTER_ROUTES.community] });
    await router.announce(ROUTER_ROUTES.v6, { nextHop: ROUTER_IP6, communities: [ROUTER_ROUTES.community] });
  }

  const speaker = new SpeakerProcess(speakerNode);
  const speakerPassword = 'speakerPassword' in options ? options.speakerPassword : PASSWORD;
  const config: SpeakerOptions = {
    asn: OUR_ASN,
    routerId: NODE_IP,
    listen: { address: NODE_IP },
    peers: [
      {
        address: ROUTER_IP,
        asn: ROUTER_ASN[kind],
        holdTime: 30,
        ...(speakerPassword === undefined ? {} : { password: speakerPassword }),
        ...(options.as4 === false ? { fourOctetAs: false } : {}),
      },
    ],
    announce: [
      { ...OUR_ROUTES.v4, nextHop: 'self' },
      { ...OUR_ROUTES.v6, nextHop: 'self' },
    ],
  };
  await speaker.start(config);
  t.teardown(async () => {
    await speaker.kill();
  });
  return { lab, routerNode, speakerNode, router, speaker };
}

function sameList(found: readonly string[], wanted: readonly string[]): boolean {
  return found.length === wanted.length && [...found].sort().join() === [...wanted].sort().join();
}

/** A route at the router as we announced it: AS path [4200000000], our next hop, our communities. */
export function isOurV4Route(route: LabRoute): boolean {
  return (
    route.asPath.join() === String(OUR_ASN) &&
    route.nextHop === NODE_IP &&
    sameList(route.communities, OUR_ROUTES.v4.communities) &&
    sameList(route.largeCommunities, OUR_ROUTES.v4.largeCommunities)
  );
}

export function isOurV6Route(route: LabRoute): boolean {
  return (
    route.asPath.join() === String(OUR_ASN) &&
    route.nextHop.toLowerCase() === NODE_IP6 &&
    sameList(route.communities, OUR_ROUTES.v6.communities) &&
    sameList(route.largeCommunities, OUR_ROUTES.v6.largeCommunities)
  );
}

/** Waits for both of our prefixes at the router, as announced, and returns them for assertions. */
export async function ourRoutesAtRouter(router: RouterDriver): Promise<{ v4: LabRoute; v6: LabRoute }> {
  const v4 = await router.waitRoute('ipv4', OUR_ROUTES.v4.prefix, 20_000, isOurV4Route);
  const v6 = await router.waitRoute('ipv6', OUR_ROUTES.v6.prefix, 20_000, isOurV6Route);
  return { v4, v6 };
}

export async function waitNotEstablished(speaker: SpeakerProcess, timeoutMs: number): Promise<void> {
  await pollUntil(
    async () => ((await speaker.neighbor(ROUTER_IP)).state === 'Established' ? undefined : true),
    { timeoutMs, intervalMs: 100, onTimeout: () => `our session stayed Established for ${timeoutMs} ms` },
  );
}

/** The full interop suite against one router. */
export function interopSuite(t: Test, kind: RouterKind): void {
  t.test(`${kind}: MD5 session, our prefixes at the router, the router's at us, restart recovery`, async (t) => {
    const { router, speaker } = await startTopology(t, kind);
    await router.waitEstablished(NODE_IP, 30_000);
    const neighbor = await speaker.waitEstablished(ROUTER_IP);
    t.equal(neighbor.asn, ROUTER_ASN[kind]);

    const ours = await ourRoutesAtRouter(router);
    t.equal((await speaker.neighbor(ROUTER_IP)).advertised, 2, 'both prefixes advertised');
    t.same(ours.v4.asPath, [OUR_ASN], 'IPv4: AS path is [4200000000]');
    t.equal(ours.v4.nextHop, NODE_IP, 'IPv4: next hop is our session address');
    t.same([...ours.v4.communities].sort(), ['64512:100', 'no-export']);
    t.same(ours.v4.largeCommunities, ['4200000000:1:2']);
    t.same(ours.v6.asPath, [OUR_ASN], 'IPv6: AS path is [4200000000]');
    t.equal(ours.v6.nextHop.toLowerCase(), NODE_IP6, 'IPv6: next hop is our global address on that link');
    t.same(ours.v6.communities, ['64512:200']);

    const received = await pollUntil(
      async () => {
        const routes = await speaker.receivedRoutes(ROUTER_IP);
        return routes.length >= 2 ? routes : undefined;
      },
      { timeoutMs: 15_000, onTimeout: () => `the router's routes did not arrive\n${speaker.logs()}` },
    );
    const v4 = received.find((r) => r.prefix === ROUTER_ROUTES.v4);
    const v6 = received.find((r) => r.prefix === ROUTER_ROUTES.v6);
    t.ok(v4, `routes --received shows ${ROUTER_ROUTES.v4}`);
    t.ok(v6, `routes --received shows ${ROUTER_ROUTES.v6}`);
    t.same(v4?.asPath, [ROUTER_ASN[kind]]);
    t.equal(v4?.nextHop, ROUTER_IP);
    t.same(v4?.communities, [ROUTER_ROUTES.community]);
    t.same(v6?.asPath, [ROUTER_ASN[kind]]);
    t.equal(v6?.nextHop?.toLowerCase(), ROUTER_IP6);

    // The router dies without a NOTIFICATION; its kernel closes the TCP connection.
    await router.kill();
    await waitNotEstablished(speaker, 30_000);
    t.pass('the session went down when the router died');
    t.equal((await speaker.receivedRoutes(ROUTER_IP)).length, 0, "the dead router's routes are gone");
    await router.restart();
    await speaker.waitEstablished(ROUTER_IP, 60_000);
    await router.waitEstablished(NODE_IP, 30_000);
    const again = await ourRoutesAtRouter(router);
    t.same(again.v4.asPath, [OUR_ASN], 'after the restart our routes are back at the router, by themselves');
    t.notMatch(speaker.logs(), PASSWORD, 'the password never appears in our logs');
  });

  t.test(`${kind}: a wrong password gives no session, and our log says why without the key`, async (t) => {
    const wrong = 'not-the-password';
    const { router, speaker } = await startTopology(t, kind, { routerPassword: wrong, announceRouterRoutes: false });
    // Long enough for several connect attempts both ways (connect retry 1 s on both sides).
    await new Promise((resolve) => setTimeout(resolve, 8000));
    t.not((await speaker.neighbor(ROUTER_IP)).state, 'Established', 'no session on our side');
    t.not(await router.neighborState(NODE_IP), 'Established', 'no session at the router');
    const logs = speaker.logs();
    t.match(logs, /TCP-MD5 is configured, and a password that differs from the peer's/, 'our log names the likely cause');
    t.match(logs, /bad or missing TCP-MD5 signature meanwhile: the passwords differ/, "the kernel's counters confirm it");
    t.notMatch(logs, PASSWORD, 'our password is not in the log');
    t.notMatch(logs, wrong, "the router's password is not in the log either");
    const neighbors = await speaker.cli(['neighbors', '--json']);
    t.notMatch(neighbors, PASSWORD, 'nor in the control output');
  });
}

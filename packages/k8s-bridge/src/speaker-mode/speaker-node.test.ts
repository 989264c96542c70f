// One node's speaker against the test API server (real client) and a loopback BGP "router": a
// second bgp-speaker Speaker listening on 127.0.0.81, which the node dials from 127.0.0.82 as
// its BGPPeer says. The router must receive what MetalLB's rules make this node announce, and
// lose a route when the Service's endpoints leave the node (externalTrafficPolicy Local).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendControlRequest } from 'bgp-speaker';
import type { Speaker } from 'bgp-speaker';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import t from 'tap';
import { eventually, startApiServer, type TestApiServer } from '../kube/test-helpers/api-server.js';
import { startLoopbackRouter } from '../kube/test-helpers/router.js';
import { SpeakerNode, type SpeakerNodeOptions } from './speaker-node.js';

const quiet = pino({ level: 'silent' });
const FAST = { initialBackoffMs: 20, maxBackoffMs: 200 };
const NS = 'metallb-system';
const WAIT_MS = 10_000;
const ROUTER = { address: '127.0.0.81', asn: 64513, routerId: '10.0.0.81' };
const NODE = { address: '127.0.0.82', asn: 64512, name: 'node-a', internalIp: '10.0.0.82' };
/** BGPPeer.spec.peerPort is at most 16384. */
const PORT = 10_000 + Math.floor(Math.random() * 6000);

type Tap = { teardown(fn: () => unknown): void };

function startRouter(t: Tap): Promise<Speaker> {
  return startLoopbackRouter(t, { address: ROUTER.address, asn: ROUTER.asn, routerId: ROUTER.routerId, port: PORT, peer: NODE });
}

function metallbConfig(server: TestApiServer, communities: string[] = []): void {
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'public', namespace: NS }, spec: { addresses: ['192.0.2.0/24'] } });
  server.create('metallb.io/bgppeers', {
    metadata: { name: 'router', namespace: NS },
    spec: { myASN: NODE.asn, peerASN: ROUTER.asn, peerAddress: ROUTER.address, peerPort: PORT, sourceAddress: NODE.address, holdTime: '30s', connectTime: '1s' },
  });
  server.create('metallb.io/bgpadvertisements', { metadata: { name: 'all', namespace: NS }, spec: { ipAddressPools: ['public'], communities } });
}

function node(server: TestApiServer, name: string, internalIp: string, labels: Record<string, string> = {}): void {
  server.create('nodes', { metadata: { name, labels }, status: { addresses: [{ type: 'InternalIP', address: internalIp }] } });
}

/** A LoadBalancer Service as the controller left it: its address in status and the pool annotation. */
function allocatedService(server: TestApiServer, name: string, ip: string | undefined, policy: 'Cluster' | 'Local'): void {
  server.create('services', {
    metadata: { name, namespace: 'default', ...(ip === undefined ? {} : { annotations: { 'metallb.io/ip-allocated-from-pool': 'public' } }) },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: policy, ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
    ...(ip === undefined ? {} : { status: { loadBalancer: { ingress: [{ ip }] } } }),
  });
}

function endpoints(server: TestApiServer, service: string, nodes: string[]): void {
  server.create('discovery.k8s.io/endpointslices', {
    metadata: { name: `${service}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: nodes.map((n, i) => ({ addresses: [`10.244.0.${i + 10}`], nodeName: n, conditions: { ready: true } })),
  });
}

function received(router: Speaker): string[] {
  try {
    return router.receivedRoutes(NODE.address).map((r) => r.prefix).sort();
  } catch {
    return [];
  }
}

async function startNode(t: Tap, kc: KubeConfig, extra: Partial<SpeakerNodeOptions> = {}): Promise<SpeakerNode> {
  const speakerNode = new SpeakerNode({ kubeConfig: kc, nodeName: NODE.name, namespace: NS, logger: quiet, informerOptions: FAST, ...extra });
  t.teardown(() => speakerNode.stop());
  await speakerNode.start(WAIT_MS);
  return speakerNode;
}

t.test('the router receives the node\'s routes; endpoints leaving the node withdraw a Local Service', async (t) => {
  const { server, kc } = await startApiServer(t);
  const router = await startRouter(t);
  metallbConfig(server, ['64512:100']);
  node(server, NODE.name, NODE.internalIp);
  node(server, 'node-b', '10.0.0.83');
  allocatedService(server, 'web', '192.0.2.10', 'Local');
  endpoints(server, 'web', [NODE.name]);
  allocatedService(server, 'api', '192.0.2.11', 'Cluster');
  endpoints(server, 'api', ['node-b']);
  allocatedService(server, 'remote-local', '192.0.2.13', 'Local');
  endpoints(server, 'remote-local', ['node-b']);
  allocatedService(server, 'pending', undefined, 'Cluster');
  endpoints(server, 'pending', [NODE.name]);

  const dir = await mkdtemp(join(tmpdir(), 'speaker-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const control = join(dir, 'control.sock');
  const speakerNode = await startNode(t, kc, { controlPath: control });
  t.same(speakerNode.state.peers, [ROUTER.address]);
  t.equal(speakerNode.speaker?.config.routerId, NODE.internalIp, "the router ID is the Node's InternalIP");

  await eventually('the router has the two routes', () => received(router).length === 2, WAIT_MS);
  t.same(received(router), ['192.0.2.10/32', '192.0.2.11/32'], 'Local with an endpoint here, Cluster with one anywhere; not the remote Local one, not the pending one');
  const web = router.receivedRoutes(NODE.address).find((r) => r.prefix === '192.0.2.10/32');
  t.equal(web?.nextHop, NODE.address, 'next hop: the node');
  t.same(web?.communities, ['64512:100'], "the advertisement's community");
  t.same(web?.asPath, [NODE.asn]);

  // The bgp-speaker control socket answers for the node.
  const neighbors = (await sendControlRequest(control, { command: 'neighbors' })) as { address: string; state: string }[];
  t.match(neighbors, [{ address: ROUTER.address, state: 'Established' }]);

  // The Local Service's endpoints move to another node: withdrawn at the router.
  const withdrawn: string[] = [];
  router.on('routesWithdrawn', (_peer, prefixes) => withdrawn.push(...prefixes));
  server.patch('discovery.k8s.io/endpointslices', 'web-abcde', 'default', {
    endpoints: [{ addresses: ['10.244.0.10'], nodeName: 'node-b', conditions: { ready: true } }],
  });
  await eventually('192.0.2.10/32 withdrawn', () => withdrawn.includes('192.0.2.10/32'), WAIT_MS);
  t.same(received(router), ['192.0.2.11/32'], 'the Cluster Service stays');

  // The controller publishes the pending Service's address: announced.
  server.patch('services', 'pending', 'default', {
    metadata: { annotations: { 'metallb.io/ip-allocated-from-pool': 'public' } },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.12' }] } },
  });
  await eventually('192.0.2.12/32 announced', () => received(router).includes('192.0.2.12/32'), WAIT_MS);

  // Endpoints come back, but not ready: still withdrawn. Ready again: announced again.
  server.patch('discovery.k8s.io/endpointslices', 'web-abcde', 'default', {
    endpoints: [{ addresses: ['10.244.0.10'], nodeName: NODE.name, conditions: { ready: false } }],
  });
  await new Promise((r) => setTimeout(r, 200));
  await speakerNode.settled();
  t.notOk(received(router).includes('192.0.2.10/32'), 'a not-ready endpoint announces nothing');
  server.patch('discovery.k8s.io/endpointslices', 'web-abcde', 'default', {
    endpoints: [{ addresses: ['10.244.0.10'], nodeName: NODE.name, conditions: { ready: true } }],
  });
  await eventually('192.0.2.10/32 announced again', () => received(router).includes('192.0.2.10/32'), WAIT_MS);

  // A deleted Service is withdrawn.
  server.delete('services', 'api');
  await eventually('192.0.2.11/32 withdrawn', () => !received(router).includes('192.0.2.11/32'), WAIT_MS);

  // The node excluded from load balancers: everything withdrawn, the session stays up.
  server.patch('nodes', NODE.name, undefined, { metadata: { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } });
  await eventually('everything withdrawn', () => received(router).length === 0, WAIT_MS);
  t.equal(router.neighbors()[0]?.state, 'Established', 'the session is not torn down for that');
});

t.test('the peers follow the configuration: a changed advertisement is re-sent, a removed peer ends the session', async (t) => {
  const { server, kc } = await startApiServer(t);
  const router = await startRouter(t);
  metallbConfig(server);
  node(server, NODE.name, NODE.internalIp);
  allocatedService(server, 'web', '192.0.2.20', 'Cluster');
  endpoints(server, 'web', [NODE.name]);
  const speakerNode = await startNode(t, kc, { routerId: '10.9.9.9' });
  t.equal(speakerNode.speaker?.config.routerId, '10.9.9.9', '--router-id wins over the InternalIP');
  await eventually('the route arrives', () => received(router).includes('192.0.2.20/32'), WAIT_MS);
  const running = speakerNode.speaker;

  server.patch('metallb.io/bgpadvertisements', 'all', NS, { spec: { communities: ['64512:7'] } });
  await eventually('the route carries the new community', () => router.receivedRoutes(NODE.address).find((r) => r.prefix === '192.0.2.20/32')?.communities?.[0] === '64512:7', WAIT_MS);
  t.equal(speakerNode.speaker, running, 'the same speaker: an attribute change needs no restart');

  const downs: string[] = [];
  router.on('peerDown', (address) => downs.push(address));
  server.delete('metallb.io/bgppeers', 'router', NS);
  await eventually('the speaker stops: no peer applies', () => speakerNode.speaker === undefined && speakerNode.state.idle !== undefined, WAIT_MS);
  t.match(speakerNode.state.idle, /no BGP peer applies to this node/);
  t.same(speakerNode.state.routes, [], 'no routes without a speaker');
  await eventually('the router saw the session end', () => downs.includes(NODE.address), WAIT_MS);
  t.same(received(router), [], 'and dropped the routes');
});

// ---- Layer 2 mode: two speakers heartbeating on loopback, fake raw sockets ----------------------

/** Records own/disown instead of opening AF_PACKET sockets (the namespace tests do that for real). */
function fakeAnnouncer(options: { interfaces?: readonly string[] }) {
  const owned = new Map<string, readonly string[]>();
  return {
    get addresses() {
      return [...owned.keys()];
    },
    own: (ip: string, own: { interfaces?: readonly string[] } = {}) => void owned.set(ip, own.interfaces ?? options.interfaces ?? []),
    disown: (ip: string) => void owned.delete(ip),
    interfacesOf: (ip: string) => (owned.has(ip) ? [...(owned.get(ip) ?? [])] : undefined),
    addressStats: () => new Map(),
    close: () => owned.clear(),
  };
}

const LINKS = [{ name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:01', up: true, broadcast: true, loopback: false, ethernet: true, hasMaster: false }];

/** sha256(node#ip), lowest wins: the owner by definition. */
async function expectedOwner(ip: string, nodes: string[]): Promise<string | undefined> {
  const { createHash } = await import('node:crypto');
  const rank = (n: string) => createHash('sha256').update(`${n}#${ip}`).digest('hex');
  return [...nodes].sort((a, b) => (rank(a) < rank(b) ? -1 : 1))[0];
}

t.test('Layer 2: one of two speakers answers for each address; the other takes over when it stops', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'lan', namespace: NS }, spec: { addresses: ['192.0.2.0/24'] } });
  server.create('metallb.io/l2advertisements', { metadata: { name: 'lan', namespace: NS }, spec: { ipAddressPools: ['lan'] } });
  // MetalLB's memberlist Secret (its name since MetalLB 0.13): the heartbeats are signed with it.
  server.create('secrets', { metadata: { name: 'metallb-memberlist', namespace: NS }, type: 'Opaque', data: { secretkey: Buffer.from('the memberlist key').toString('base64') } });
  // The InternalIPs are loopback addresses: the heartbeats stay on this host.
  node(server, 'node-a', '127.0.0.82');
  node(server, 'node-b', '127.0.0.83');
  const services = ['192.0.2.30', '192.0.2.31', '192.0.2.32', '192.0.2.33', '192.0.2.34', '192.0.2.35'];
  for (const [i, ip] of services.entries()) {
    server.create('services', {
      metadata: { name: `s${i}`, namespace: 'default', annotations: { 'metallb.io/ip-allocated-from-pool': 'lan' } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }] },
      status: { loadBalancer: { ingress: [{ ip }] } },
    });
    endpoints(server, `s${i}`, ['node-a']);
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const layer2 = { port, listLinks: () => LINKS, createAnnouncer: fakeAnnouncer };
  const a = new SpeakerNode({ kubeConfig: kc, nodeName: 'node-a', namespace: NS, logger: quiet, informerOptions: FAST, layer2 });
  const b = new SpeakerNode({ kubeConfig: kc, nodeName: 'node-b', namespace: NS, logger: quiet, informerOptions: FAST, layer2 });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  await Promise.all([a.start(WAIT_MS), b.start(WAIT_MS)]);

  const owners = async (ip: string) => expectedOwner(ip, ['node-a', 'node-b']);
  const wantA = (await Promise.all(services.map(async (ip) => ((await owners(ip)) === 'node-a' ? ip : undefined)))).filter((ip) => ip !== undefined);
  const wantB = services.filter((ip) => !wantA.includes(ip));
  t.ok(wantA.length > 0 && wantB.length > 0, 'the six addresses spread over both nodes (else the test proves less)');
  await eventually('each address answered by its elected node', () =>
    a.state.layer2.length + b.state.layer2.length === services.length, WAIT_MS);
  t.same([...a.state.layer2].sort(), wantA.sort(), 'node-a answers exactly for the addresses it wins');
  t.same([...b.state.layer2].sort(), wantB.sort(), 'node-b for the others: never both');
  t.same([...a.layer2.alive()], ['node-a', 'node-b'], 'each sees the other alive');
  t.ok(a.layer2.authenticated && b.layer2.authenticated, 'both sign their heartbeats with the memberlist Secret');
  const heard = a.layer2.membershipStats;
  t.ok((heard?.received ?? 0) > 0 && heard?.unauthenticated === 0, `signed heartbeats, all accepted (${heard?.received ?? 0} received, ${heard?.unauthenticated ?? '?'} unauthenticated)`);
  // MetalLB's Event, so `kubectl describe service` tells which node answers.
  const assigned = (service: string): string[] =>
    server
      .list('events', 'default')
      .filter((e) => (e['involvedObject'] as { name?: string }).name === service && e['reason'] === 'nodeAssigned')
      .map((e) => `${String(e['reportingInstance'])}: ${String(e['message'])}`);
  await eventually('an Event per Service', () => services.every((_, i) => assigned(`s${i}`).length === 1), WAIT_MS);
  for (const [i, ip] of services.entries()) {
    const owner = await owners(ip);
    t.same(assigned(`s${i}`), [`${owner}: announcing from node "${owner}" with protocol "layer2"`], `s${i}: nodeAssigned from ${owner}`);
  }

  // MetalLB's ServiceL2Status objects: one per Service, by the node answering for it.
  const l2Statuses = (): { service: string; node: string; labelNode: string; interfaces: string[] }[] =>
    server.list('metallb.io/servicel2statuses', NS).map((o) => {
      const status = (o['status'] ?? {}) as { serviceNamespace?: string; serviceName?: string; node?: string; interfaces?: { name: string }[] };
      const labels = ((o['metadata'] as { labels?: Record<string, string> }).labels ?? {});
      return { service: `${status.serviceNamespace}/${status.serviceName}`, node: String(status.node), labelNode: labels['metallb.io/node'] ?? '', interfaces: (status.interfaces ?? []).map((i) => i.name) };
    });
  const expectedStatuses = async (owners: (ip: string) => Promise<string | undefined>) =>
    (await Promise.all(services.map(async (ip, i) => ({ service: `default/s${i}`, node: (await owners(ip)) ?? '', labelNode: (await owners(ip)) ?? '', interfaces: ['eth0'] })))).sort((x, y) => x.service.localeCompare(y.service));
  const sortedStatuses = () => l2Statuses().sort((x, y) => x.service.localeCompare(y.service));
  const wantStatuses = await expectedStatuses(owners);
  await eventually('one ServiceL2Status per Service', () => JSON.stringify(sortedStatuses()) === JSON.stringify(wantStatuses), WAIT_MS);
  t.same(sortedStatuses(), wantStatuses, 'one ServiceL2Status per Service: the elected node, its interfaces, the metallb.io/node label');

  // externalTrafficPolicy Local with the endpoint on node-b only: node-b answers whatever the ranking.
  server.patch('services', 's0', 'default', { spec: { externalTrafficPolicy: 'Local' } });
  server.patch('discovery.k8s.io/endpointslices', 's0-abcde', 'default', { endpoints: [{ addresses: ['10.244.0.10'], nodeName: 'node-b', conditions: { ready: true } }] });
  await eventually('s0 answered by node-b', () => b.state.layer2.includes('192.0.2.30') && !a.state.layer2.includes('192.0.2.30'), WAIT_MS);

  // node-a's speaker stops on purpose: it tells node-b, which takes every address at once.
  const stoppedAt = Date.now();
  await a.stop();
  await eventually('node-b answers for all', () => b.state.layer2.length === services.length, WAIT_MS);
  const tookMs = Date.now() - stoppedAt;
  t.equal(b.layer2.membershipStats?.departures, 1, 'node-b heard node-a leave (no 400 ms dead time to wait)');
  t.ok(tookMs < 1000, `taken over ${tookMs} ms after node-a's stop began`);
  t.same([...b.layer2.alive()], ['node-b']);
  await eventually('node-b holds every ServiceL2Status, node-a removed its own on stop', () =>
    l2Statuses().length === services.length && l2Statuses().every((x) => x.node === 'node-b'), WAIT_MS);

  // node-a's speaker starts again (a rollout): its addresses go back to it, and at no moment does
  // neither node answer for one of them (node-b keeps them until node-a has settled and claims).
  const again = new SpeakerNode({ kubeConfig: kc, nodeName: 'node-a', namespace: NS, logger: quiet, informerOptions: FAST, layer2 });
  t.teardown(() => again.stop());
  const samples: { a: readonly string[]; b: readonly string[] }[] = [];
  // The announcers themselves, not the passes' summaries (a pass reports after its API writes).
  const sampler = setInterval(() => samples.push({ a: again.layer2.addresses, b: b.layer2.addresses }), 2);
  await again.start(WAIT_MS);
  await eventually('node-a answers for its addresses again', () => wantA.every((ip) => again.state.layer2.includes(ip)), WAIT_MS);
  await eventually('and node-b lets them go', () => wantA.every((ip) => !b.state.layer2.includes(ip)), WAIT_MS);
  clearInterval(sampler);
  const gaps = samples.filter((sample) => services.some((ip) => !sample.a.includes(ip) && !sample.b.includes(ip)));
  t.same(gaps, [], `over ${samples.length} samples (every 2 ms) of the hand-back, every address was answered by some node`);
  const overlap = samples.filter((sample) => wantA.some((ip) => sample.a.includes(ip) && sample.b.includes(ip))).length;
  t.comment(`both answered during ${overlap} samples (~${overlap * 2} ms): at most about one heartbeat interval`);
});

t.test('Layer 2 without the ServiceL2Status CRD (an older MetalLB install): the speaker answers all the same', async (t) => {
  const { server, kc } = await startApiServer(t);
  // The API server answers 404 for the resource, as it does when its CRD is not installed.
  server.failRequests({ verb: 'list', resource: 'metallb.io/servicel2statuses', code: 404, count: 1_000_000 });
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'lan', namespace: NS }, spec: { addresses: ['192.0.2.0/24'] } });
  server.create('metallb.io/l2advertisements', { metadata: { name: 'lan', namespace: NS }, spec: { ipAddressPools: ['lan'] } });
  node(server, 'node-a', '127.0.0.84');
  server.create('services', {
    metadata: { name: 'web', namespace: 'default', annotations: { 'metallb.io/ip-allocated-from-pool': 'lan' } },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.40' }] } },
  });
  endpoints(server, 'web', ['node-a']);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const speakerNode = new SpeakerNode({
    kubeConfig: kc, nodeName: 'node-a', namespace: NS, logger: quiet, informerOptions: FAST,
    layer2: { port, listLinks: () => LINKS, createAnnouncer: fakeAnnouncer },
  });
  t.teardown(() => speakerNode.stop());
  await speakerNode.start(WAIT_MS);
  await eventually('node-a answers for 192.0.2.40', () => speakerNode.state.layer2.includes('192.0.2.40'), WAIT_MS);
  t.pass('started and answering without the resource');
  t.same(server.list('metallb.io/servicel2statuses', NS), [], 'and wrote none');
});

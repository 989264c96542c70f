// The controller against the test API server with the real @kubernetes/client-node: allocation
// published on the Service (status, annotation, Event), restarts that move no address, watch
// outages, pool exhaustion and recovery, conflicts on write, and one writer among two replicas.
// Every wait is bounded (eventually: 10 s at most).

import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import t from 'tap';
import { parseConfigText } from '../config/load.js';
import { eventually, startApiServer, type TestApiServer } from '../kube/test-helpers/api-server.js';
import { Controller, type ControllerOptions } from './controller.js';

const quiet = pino({ level: 'silent' });
const FAST = { initialBackoffMs: 20, maxBackoffMs: 200 };
const TIMING = { leaseDurationSeconds: 1, renewDeadlineMs: 500, retryPeriodMs: 100 };
const NS = 'metallb-system';
const POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';
const WAIT_MS = 10_000;

type Tap = { teardown(fn: () => unknown): void };

function addPool(server: TestApiServer, name: string, addresses: string[]): void {
  server.create('metallb.io/ipaddresspools', { metadata: { name, namespace: NS }, spec: { addresses } });
}

function lbService(name: string, namespace = 'default', extra: Record<string, unknown> = {}): object {
  return { metadata: { name, namespace }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name }, ...extra } };
}

function ingressOf(server: TestApiServer, name: string, namespace = 'default'): string[] {
  const status = server.get('services', name, namespace)?.['status'] as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined;
  return (status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

function poolAnnotationOf(server: TestApiServer, name: string, namespace = 'default'): string | undefined {
  return server.get('services', name, namespace)?.metadata.annotations?.[POOL_ANNOTATION];
}

interface EventView {
  reason: string;
  type: string;
  message: string;
  instance: string;
}

function eventsOf(server: TestApiServer, name: string, namespace = 'default'): EventView[] {
  return server
    .list('events', namespace)
    .filter((e) => (e['involvedObject'] as { name?: string }).name === name)
    .map((e) => ({ reason: String(e['reason']), type: String(e['type']), message: String(e['message']), instance: String(e['reportingInstance']) }));
}

async function startController(t: Tap, kc: KubeConfig, extra: Partial<ControllerOptions> = {}): Promise<Controller> {
  const controller = new Controller({
    kubeConfig: kc,
    namespace: NS,
    identity: 'controller-a',
    logger: quiet,
    informerOptions: FAST,
    leaderElection: false,
    ...extra,
  });
  t.teardown(() => controller.stop());
  await controller.start(WAIT_MS);
  return controller;
}

/** Every listed Service has exactly one address. */
function allAllocated(server: TestApiServer, names: readonly string[]): boolean {
  return names.every((n) => ingressOf(server, n).length === 1);
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inRange(ip: string, first: string, last: string): boolean {
  return ipNumber(first) <= ipNumber(ip) && ipNumber(ip) <= ipNumber(last);
}

t.test('(a) LoadBalancer Services get an address in status, the pool annotation and an IPAllocated Event', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'blue', ['192.0.2.0/28']);
  server.create('services', lbService('existing'));
  const controller = await startController(t, kc);
  await eventually('the existing Service is allocated', () => ingressOf(server, 'existing').length === 1, WAIT_MS);

  server.create('services', lbService('web', 'apps'));
  server.create('services', lbService('db', 'apps'));
  server.create('services', { metadata: { name: 'internal', namespace: 'apps' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } });
  server.create('services', lbService('other-class', 'apps', { loadBalancerClass: 'example.com/other' }));
  await eventually('web and db are allocated', () => ingressOf(server, 'web', 'apps').length === 1 && ingressOf(server, 'db', 'apps').length === 1, WAIT_MS);
  await eventually('their Events are there', () => eventsOf(server, 'web', 'apps').length === 1 && eventsOf(server, 'db', 'apps').length === 1, WAIT_MS);
  await controller.idle();

  const ips = [ingressOf(server, 'existing')[0], ingressOf(server, 'web', 'apps')[0], ingressOf(server, 'db', 'apps')[0]];
  t.equal(new Set(ips).size, 3, `three distinct addresses (${ips.join(', ')})`);
  for (const ip of ips) t.ok(inRange(String(ip), '192.0.2.0', '192.0.2.15'), `${ip} is in the pool`);
  t.equal(poolAnnotationOf(server, 'web', 'apps'), 'blue');
  t.equal(poolAnnotationOf(server, 'existing'), 'blue');
  const [event] = eventsOf(server, 'web', 'apps');
  t.match(event, { reason: 'IPAllocated', type: 'Normal', instance: 'controller-a' });
  t.equal(event?.message, `Assigned IP ${JSON.stringify([ingressOf(server, 'web', 'apps')[0]])} from pool "blue"`);
  t.same(controller.assignmentOf('apps', 'web'), { ips: ingressOf(server, 'web', 'apps'), pool: 'blue' });

  t.same(ingressOf(server, 'internal', 'apps'), [], 'a ClusterIP Service gets nothing');
  t.same(ingressOf(server, 'other-class', 'apps'), [], 'a Service of another loadBalancerClass is not ours');
  t.same(eventsOf(server, 'other-class', 'apps'), [], '...and gets no Event from us');

  // Our own writes come back as watch events: they must not cause more writes or Events.
  const writes = controller.stats().writes;
  await new Promise((r) => setTimeout(r, 200));
  await controller.idle();
  t.equal(controller.stats().writes, writes, 'no write after the allocations settled');
  t.equal(eventsOf(server, 'existing').length, 1, 'one Event per allocation');

  // A Service that stops being a LoadBalancer gives its address back.
  server.patch('services', 'web', 'apps', { spec: { type: 'ClusterIP' } });
  await eventually('web loses its address', () => ingressOf(server, 'web', 'apps').length === 0, WAIT_MS);
  await eventually('and the annotation', () => poolAnnotationOf(server, 'web', 'apps') === undefined, WAIT_MS);
});

t.test('(b) a restart with pending Services keeps every address already published', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'main', ['10.20.0.0/26']);
  // Ten Services older than the others (and sorting first by name within one second) that become
  // LoadBalancers while no controller runs: they are pending, and the allocator sees them first.
  // Without restoring every published address first, they would be handed the old Services'
  // addresses (MetalLB #1774, #2443).
  const fresh = Array.from({ length: 10 }, (_, i) => `aaa-new-${i}`);
  for (const name of fresh) server.create('services', lbService(name, 'default', { type: 'ClusterIP' }));
  const first = await startController(t, kc);
  const old = Array.from({ length: 20 }, (_, i) => `old-${String(i).padStart(2, '0')}`);
  for (const name of old) server.create('services', lbService(name));
  await eventually('20 Services allocated', () => allAllocated(server, old), WAIT_MS);
  await first.idle();
  const before = new Map(old.map((n) => [n, ingressOf(server, n)[0]]));
  t.same(fresh.filter((n) => ingressOf(server, n).length > 0), [], 'the ClusterIP Services got nothing');
  await first.stop();

  for (const name of fresh) server.patch('services', name, 'default', { spec: { type: 'LoadBalancer' } });
  server.resetRequestLog();
  const second = await startController(t, kc, { identity: 'controller-b' });
  await eventually('10 new Services allocated', () => allAllocated(server, fresh), WAIT_MS);
  await second.idle();

  for (const name of old) t.equal(ingressOf(server, name)[0], before.get(name), `${name} kept its address`);
  const all = [...old, ...fresh].map((n) => ingressOf(server, n)[0]);
  t.equal(new Set(all).size, 30, 'no address is used twice');
  const freshIps = fresh.map((n) => String(ingressOf(server, n)[0]));
  t.notOk(freshIps.some((ip) => [...before.values()].includes(ip)), 'the new Services got addresses nobody held');
  const patched = new Set(server.requests({ verb: 'patch', resource: 'services' }).map((r) => r.name));
  t.same([...patched].filter((n) => n !== undefined && !n.startsWith('aaa-new-')), [], 'the restarted controller wrote only to the new Services');
  for (const name of old) t.equal(eventsOf(server, name).length, 1, `${name}: no second IPAllocated Event after the restart`);
});

for (const compaction of [false, true]) {
  t.test(`(c) a broken watch${compaction ? ' and a compacted history (410, re-list)' : ''}: each Service allocated once, deleted ones released`, async (t) => {
    const { server, kc } = await startApiServer(t);
    addPool(server, 'main', ['10.30.0.0/27']);
    const controller = await startController(t, kc);
    const first = Array.from({ length: 10 }, (_, i) => `s-${i}`);
    for (const name of first) server.create('services', lbService(name));
    await eventually('10 Services allocated', () => allAllocated(server, first), WAIT_MS);
    await controller.idle();
    const deleted = ['s-1', 's-4', 's-7'];
    const freed = deleted.map((n) => String(ingressOf(server, n)[0]));

    // The next reconnections fail, so the changes below happen while nobody watches.
    server.failRequests({ verb: 'watch', resource: 'services', code: 503, count: 2 });
    t.equal(server.breakWatches() >= 1, true, 'the watches were cut');
    for (const name of deleted) server.delete('services', name);
    const added = Array.from({ length: 5 }, (_, i) => `t-${i}`);
    for (const name of added) server.create('services', lbService(name));
    if (compaction) server.compactBefore();

    const live = [...first.filter((n) => !deleted.includes(n)), ...added];
    await eventually('every live Service allocated', () => allAllocated(server, live), WAIT_MS);
    await eventually('every live Service has its Event', () => live.every((n) => eventsOf(server, n).length >= 1), WAIT_MS);
    await controller.idle();
    await new Promise((r) => setTimeout(r, 200));
    await controller.idle();

    const ips = live.map((n) => String(ingressOf(server, n)[0]));
    t.equal(new Set(ips).size, live.length, 'no address used twice');
    for (const name of live) t.equal(eventsOf(server, name).filter((e) => e.reason === 'IPAllocated').length, 1, `${name} allocated exactly once`);
    for (const name of deleted) t.equal(controller.assignmentOf('default', name), undefined, `${name} released`);

    if (!compaction) {
      // Events replayed in order: the deletions came first, so the new Services took the freed addresses.
      const addedIps = added.map((n) => String(ingressOf(server, n)[0]));
      for (const ip of freed) t.ok(addedIps.includes(ip), `freed ${ip} was reused`);
    } else {
      // A re-list reports additions before deletions; a Service created now takes the lowest freed one.
      const stillFree = freed.filter((ip) => !ips.includes(ip)).sort((a, b) => ipNumber(a) - ipNumber(b));
      server.create('services', lbService('late'));
      await eventually('late is allocated', () => ingressOf(server, 'late').length === 1, WAIT_MS);
      if (stillFree.length > 0) t.equal(ingressOf(server, 'late')[0], stillFree[0], 'a freed address is handed out again');
      else t.ok(freed.every((ip) => ips.includes(ip)), 'every freed address was reused');
    }
  });
}

t.test('(d) exhaustion: AllocationFailed names the pool and the Service waits; a deletion hands it the freed address', async (t) => {
  const { server, kc } = await startApiServer(t);
  // From a config file this time (the StaticConfigSource path).
  const config = parseConfigText(
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: small, namespace: ${NS} }
spec:
  addresses: [192.0.2.10-192.0.2.11]
`,
    'pools.yaml',
  );
  const controller = await startController(t, kc, { config });
  server.create('services', lbService('one'));
  server.create('services', lbService('two'));
  await eventually('two Services allocated', () => allAllocated(server, ['one', 'two']), WAIT_MS);
  server.create('services', lbService('three'));
  await eventually('an AllocationFailed Event on three', () => eventsOf(server, 'three').length === 1, WAIT_MS);
  const [failed] = eventsOf(server, 'three');
  t.equal(failed?.reason, 'AllocationFailed');
  t.equal(failed?.type, 'Warning');
  t.match(failed?.message, /pool-exhausted/);
  t.match(failed?.message, /pool "small"/, 'the message names the pool');
  t.same(ingressOf(server, 'three'), [], 'three stays pending');

  // Changes to the pending Service re-evaluate it, but the same failure is not announced again.
  server.patch('services', 'three', 'default', { metadata: { labels: { touched: 'yes' } } });
  await new Promise((r) => setTimeout(r, 200));
  await controller.idle();
  t.equal(eventsOf(server, 'three').length, 1, 'one AllocationFailed Event, not one per update');

  const freed = ingressOf(server, 'one')[0];
  server.delete('services', 'one');
  await eventually('three gets the freed address', () => ingressOf(server, 'three')[0] === freed, WAIT_MS);
  await eventually('and an IPAllocated Event', () => eventsOf(server, 'three').some((e) => e.reason === 'IPAllocated'), WAIT_MS);
  t.equal(poolAnnotationOf(server, 'three'), 'small');
  t.equal(eventsOf(server, 'three').find((e) => e.reason === 'IPAllocated')?.message, `Assigned IP ${JSON.stringify([freed])} from pool "small"`);
  t.equal(ingressOf(server, 'two').length, 1, 'two kept its address');
});

t.test('a changed request is re-evaluated: the Service moves to the address it asks for, the old one is freed', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'main', ['10.45.0.0/30']);
  const controller = await startController(t, kc);
  server.create('services', lbService('mover'));
  await eventually('allocated', () => ingressOf(server, 'mover').length === 1, WAIT_MS);
  await controller.idle();
  const old = String(ingressOf(server, 'mover')[0]);
  const wanted = old === '10.45.0.3' ? '10.45.0.2' : '10.45.0.3';
  server.patch('services', 'mover', 'default', { metadata: { annotations: { 'metallb.io/loadBalancerIPs': wanted } } });
  await eventually('moved to the requested address', () => ingressOf(server, 'mover')[0] === wanted, WAIT_MS);
  await eventually('a second IPAllocated Event', () => eventsOf(server, 'mover').length === 2, WAIT_MS);
  t.match(eventsOf(server, 'mover')[1]?.message, wanted);
  // An impossible request: as MetalLB does, the address that no longer fits the request is
  // dropped (clearServiceState) and the Service waits, saying why.
  server.patch('services', 'mover', 'default', { metadata: { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.99' } } });
  await eventually('AllocationFailed for an address in no pool', () => eventsOf(server, 'mover').some((e) => e.reason === 'AllocationFailed'), WAIT_MS);
  t.match(eventsOf(server, 'mover').find((e) => e.reason === 'AllocationFailed')?.message, /requested-ip-not-in-pool/);
  await eventually('its status is cleared', () => ingressOf(server, 'mover').length === 0, WAIT_MS);
  t.equal(controller.assignmentOf('default', 'mover'), undefined);
});

t.test('a 409 on a write: the Service is read again and the write retried', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'main', ['10.40.0.0/28']);
  const controller = await startController(t, kc);
  server.failRequests({ verb: 'patch', resource: 'services', code: 409, count: 3 });
  server.create('services', lbService('contested'));
  await eventually('allocated despite three conflicts', () => ingressOf(server, 'contested').length === 1, WAIT_MS);
  await controller.idle();
  t.ok(controller.stats().conflicts >= 3, `conflicts counted (${controller.stats().conflicts})`);
  t.ok(server.requests({ verb: 'get', resource: 'services' }).length >= 3, 'the Service was read again after each conflict');
  t.equal(eventsOf(server, 'contested').length, 1, 'one Event');

  // A conflict that does not end within the attempts: retried later, with a backoff.
  server.failRequests({ verb: 'patch', resource: 'services', code: 409, count: 7 });
  server.create('services', lbService('stubborn'));
  await eventually('allocated after the retry', () => ingressOf(server, 'stubborn').length === 1, WAIT_MS);
});

t.test('a new pool configuration: addresses outside every pool are replaced, the others kept', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'main', ['10.50.0.0/29']);
  const controller = await startController(t, kc);
  for (const name of ['p', 'q']) server.create('services', lbService(name));
  await eventually('allocated', () => allAllocated(server, ['p', 'q']), WAIT_MS);
  await controller.idle();
  const p = String(ingressOf(server, 'p')[0]);
  const q = String(ingressOf(server, 'q')[0]);
  // Shrink the pool to p's address and add another: q must move, p must not.
  server.patch('metallb.io/ipaddresspools', 'main', NS, { spec: { addresses: [`${p}/32`] } });
  addPool(server, 'second', ['10.60.0.0/29']);
  // The annotation and the status are two writes: wait for both.
  await eventually('q moved to the second pool', () => poolAnnotationOf(server, 'q') === 'second' && ingressOf(server, 'q')[0] !== q, WAIT_MS);
  t.equal(ingressOf(server, 'p')[0], p, 'p kept its address');
  t.not(ingressOf(server, 'q')[0], q);
  t.ok(inRange(String(ingressOf(server, 'q')[0]), '10.60.0.0', '10.60.0.7'));

  // Invalid objects: the last valid configuration stays in force.
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'broken', namespace: NS }, spec: { addresses: ['not-a-cidr'] } });
  server.create('services', lbService('r'));
  await eventually('r is allocated from the configuration in force', () => ingressOf(server, 'r').length === 1, WAIT_MS);
  t.equal(poolAnnotationOf(server, 'r'), 'second');
  t.equal(controller.config?.pools.length, 2);
});

t.test('(e) two controllers: only the Lease holder writes; the other takes over when it stops', async (t) => {
  const { server, kc } = await startApiServer(t);
  addPool(server, 'main', ['10.70.0.0/27']);
  const a = await startController(t, kc, { identity: 'replica-a', leaderElection: TIMING });
  const b = await startController(t, kc, { identity: 'replica-b', leaderElection: TIMING });
  await eventually('a leader', () => a.isLeader || b.isLeader, WAIT_MS);
  const [leader, follower] = a.isLeader ? [a, b] : [b, a];
  const leaderId = leader === a ? 'replica-a' : 'replica-b';
  const followerId = leader === a ? 'replica-b' : 'replica-a';

  const names = Array.from({ length: 6 }, (_, i) => `svc-${i}`);
  for (const name of names) server.create('services', lbService(name));
  await eventually('allocated', () => allAllocated(server, names), WAIT_MS);
  await eventually('Events written', () => names.every((n) => eventsOf(server, n).length === 1), WAIT_MS);
  await leader.idle();
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(follower.isLeader, 'still one leader');
  t.equal(follower.stats().writes, 0, 'the follower wrote nothing');
  t.equal(follower.stats().events, 0, 'the follower created no Event');
  t.ok(leader.stats().writes >= names.length);
  t.same(new Set(names.flatMap((n) => eventsOf(server, n).map((e) => e.instance))), new Set([leaderId]), 'every Event comes from the leader');
  const before = new Map(names.map((n) => [n, ingressOf(server, n)[0]]));

  await leader.stop();
  await eventually('the follower takes over', () => follower.isLeader, WAIT_MS);
  server.create('services', lbService('after'));
  await eventually('the new leader allocates', () => ingressOf(server, 'after').length === 1, WAIT_MS);
  for (const name of names) t.equal(ingressOf(server, name)[0], before.get(name), `${name} unchanged across the change of leader`);
  t.notOk(names.map((n) => before.get(n)).includes(ingressOf(server, 'after')[0]), 'a free address for the new Service');
  // The Event is fire and forget: it may land just after the status.
  await eventually('the Event of the new Service', () => eventsOf(server, 'after').length === 1, WAIT_MS);
  t.equal(eventsOf(server, 'after')[0]?.instance, followerId, 'written by the new leader');
});

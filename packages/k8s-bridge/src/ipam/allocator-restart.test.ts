/**
 * Controller restarts with pending Services: MetalLB issues #1774, #2443, #2479 (a pending Service
 * processed before the holder of an address was handed that same address). Here restore() reads every
 * existing assignment back before anything is allocated.
 */
import t from 'tap';
import { Allocator } from './allocator.js';
import { allocateAll } from './dry-run.js';
import { lbService, pool, shuffled, withIngress } from './test-helpers/service.js';
import { isAllocated } from './types.js';
import type { ServiceSpec } from './types.js';

const POOLS = [pool('main', ['10.20.0.0/24'], { avoidBuggyIps: true })];

/** ISO time for the n-th Service: older first. */
function created(n: number): string {
  return new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();
}

/** 54 Services allocated by a first controller, 4 then deleted to leave holes: 50 stand in the API. */
function firstRun(): { assigned: ServiceSpec[]; before: Map<string, string> } {
  const a = new Allocator(POOLS);
  const services: ServiceSpec[] = [];
  for (let i = 0; i < 54; i++) {
    const service = lbService(`app-${String(i).padStart(2, '0')}`, { namespace: i % 2 === 0 ? 'blue' : 'green', creationTimestamp: created(i) });
    const result = a.allocate(service);
    if (!isAllocated(result)) throw new Error(result.error.message);
    services.push(withIngress(service, result.ips, result.pool));
  }
  // Holes: Services deleted before the restart; their addresses are free and lower than the newest ones.
  const deleted = new Set(['app-03', 'app-10', 'app-11', 'app-30']);
  const assigned = services.filter((s) => !deleted.has(s.name));
  const before = new Map(assigned.map((s) => [`${s.namespace}/${s.name}`, s.status?.loadBalancer?.ingress?.[0]?.ip ?? '']));
  return { assigned, before };
}

function pendingServices(count: number): ServiceSpec[] {
  // Created after the others, and named to sort *before* them: neither order may let them jump the queue.
  return Array.from({ length: count }, (_, i) => lbService(`aaa-new-${i}`, { namespace: 'blue', creationTimestamp: created(100 + i) }));
}

t.test('restart with 20 pending Services keeps every existing IP (any listing order)', async (t) => {
  const { assigned, before } = firstRun();
  t.equal(before.size, 50);
  const pending = pendingServices(20);
  for (const seed of [1, 2, 3, 42, 2024]) {
    const listed = shuffled([...assigned, ...pending], seed);
    const a = new Allocator(POOLS);
    const restored = a.restore(listed);
    t.equal(restored.kept.length, 50, `seed ${seed}: all 50 kept`);
    t.same(restored.conflicts, [], 'no conflicts');
    t.equal(restored.pending.length, 20);
    t.equal(restored.pending[0]?.name, 'aaa-new-0', 'pending in batch order (creation time)');

    // Then the controller converges every Service, in whatever order its queue gives them.
    const finalIps = new Map<string, string>();
    for (const service of shuffled(listed, seed + 1000)) {
      const result = a.allocate(service);
      if (!isAllocated(result)) {
        t.fail(`${service.name}: ${result.error.message}`);
        continue;
      }
      finalIps.set(`${service.namespace}/${service.name}`, result.ips.join(','));
    }
    let moved = 0;
    for (const [key, ip] of before) if (finalIps.get(key) !== ip) moved++;
    t.equal(moved, 0, 'no existing IP moved');
    const all = [...finalIps.values()];
    t.equal(new Set(all).size, all.length, 'no IP handed out twice');
    const oldIps = new Set(before.values());
    const fresh = pending.map((s) => finalIps.get(`blue/${s.name}`) ?? '');
    t.equal(fresh.filter((ip) => ip !== '' && !oldIps.has(ip)).length, 20, 'every pending Service got a new, unused IP');
    t.ok(fresh.includes('10.20.0.4') && fresh.includes('10.20.0.11'), 'the holes left by deleted Services are reused');
  }
});

t.test('the dry run is identical whatever order the Services are listed in', async (t) => {
  const { assigned } = firstRun();
  const services = [...assigned, ...pendingServices(20)];
  const canonical = (seed: number): string =>
    JSON.stringify(
      allocateAll(POOLS, shuffled(services, seed))
        .map((e) => [e.namespace, e.name, 'ips' in e ? e.ips : e.error.reason])
        .sort(),
    );
  const reference = canonical(7);
  for (const seed of [8, 9, 10]) t.equal(canonical(seed), reference, `seed ${seed}`);
  // Pending Services are served oldest first: aaa-new-0 gets the lowest hole.
  const entry = allocateAll(POOLS, shuffled(services, 11)).find((e) => e.name === 'aaa-new-0');
  t.same(entry && 'ips' in entry ? entry.ips : [], ['10.20.0.4']);
});

t.test('#1774: one address, its holder and a pending Service; the pending one is listed first', async (t) => {
  const pools = [pool('one', ['192.168.0.2/32'])];
  const svc1 = withIngress(lbService('svc1', { creationTimestamp: created(1) }), ['192.168.0.2'], 'one');
  const svc2 = lbService('svc2', { creationTimestamp: created(2) });
  const a = new Allocator(pools);
  a.restore([svc2, svc1]);
  const second = a.allocate(svc2);
  t.equal(isAllocated(second) ? 'allocated' : second.error.reason, 'pool-exhausted', 'svc2 stays pending');
  const first = a.allocate(svc1);
  t.same(first, { ips: ['192.168.0.2'], pool: 'one' }, 'svc1 keeps its address');
});

t.test('after the bug: two Services hold one address; the older keeps it, the other is reported', async (t) => {
  const pools = [pool('p', ['10.0.0.1-10.0.0.2'])];
  const older = withIngress(lbService('older', { creationTimestamp: created(1) }), ['10.0.0.1']);
  const younger = withIngress(lbService('younger', { creationTimestamp: created(5) }), ['10.0.0.1']);
  const a = new Allocator(pools);
  const restored = a.restore([younger, older]);
  t.same(restored.kept.map((k) => k.name), ['older']);
  t.equal(restored.conflicts.length, 1);
  t.match(restored.conflicts[0], { name: 'younger', reason: 'ip-in-use', ips: ['10.0.0.1'], heldBy: ['default/older'] });
  t.match(restored.conflicts[0]?.message, /default\/younger: 10\.0\.0\.1 is in use by default\/older/);
  t.same(a.allocate(younger), { ips: ['10.0.0.2'], pool: 'p' }, 'the younger one is moved to a free address');
  t.same(a.allocate(older), { ips: ['10.0.0.1'], pool: 'p' });
});

t.test('#1984: a requested address held in status is not handed to pending Services', async (t) => {
  const pools = [pool('p', ['192.168.20.10-192.168.20.11'])];
  const pinned = withIngress(lbService('pinned', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '192.168.20.10' } }), ['192.168.20.10']);
  const others = [lbService('a-pending'), lbService('b-pending')];
  const results = allocateAll(pools, [...others, pinned]);
  t.same(results.map((r) => [r.name, 'ips' in r ? r.ips.join(',') : r.error.reason]), [
    ['a-pending', '192.168.20.11'],
    ['b-pending', 'pool-exhausted'],
    ['pinned', '192.168.20.10'],
  ]);
});

t.test('restore reports addresses it cannot keep, precisely', async (t) => {
  const pools = [pool('a', ['10.0.0.0/24']), pool('team', ['10.9.0.0/24'], { serviceAllocation: { namespaces: ['team'] } })];
  const services = [
    withIngress(lbService('gone-pool', { creationTimestamp: created(1) }), ['172.16.0.1']),
    withIngress(lbService('garbage', { creationTimestamp: created(2) }), ['not-an-ip']),
    withIngress(lbService('moved-request', { creationTimestamp: created(3), loadBalancerIP: '10.0.0.50' }), ['10.0.0.7']),
    withIngress(lbService('pool-asked', { creationTimestamp: created(4), annotations: { 'metallb.io/address-pool': 'team' } }), ['10.0.0.8']),
    withIngress(lbService('not-allowed', { creationTimestamp: created(5) }), ['10.9.0.1']),
    withIngress(lbService('wrong-family', { creationTimestamp: created(6), ipFamilies: ['IPv6'] }), ['10.0.0.9']),
    withIngress(lbService('renamed', { creationTimestamp: created(7) }), ['10.0.0.10'], 'old-name'),
    withIngress(lbService('hostname-only', { creationTimestamp: created(8) }), []),
    lbService('foreign', { loadBalancerClass: 'other.io/lb' }),
  ];
  const a = new Allocator(pools);
  const restored = a.restore(services);
  t.same(
    restored.conflicts.map((c) => [c.name, c.reason]),
    [
      ['gone-pool', 'ip-not-in-pool'],
      ['garbage', 'invalid-ip'],
      ['moved-request', 'requested-ip-changed'],
      ['pool-asked', 'pool-changed'],
      ['not-allowed', 'pool-not-allowed'],
      ['wrong-family', 'family-mismatch'],
    ],
  );
  t.match(restored.conflicts[0]?.message, /172\.16\.0\.1 is in no address pool/);
  t.match(restored.conflicts[2]?.message, /holds 10\.0\.0\.7 but requests 10\.0\.0\.50/);
  t.same(restored.kept, [{ namespace: 'default', name: 'renamed', ips: ['10.0.0.10'], pool: 'a' }]);
  t.match(restored.notes, [{ name: 'renamed', message: /ip-allocated-from-pool annotation says "old-name"/ }]);
  t.same(restored.ignored.map((i) => i.name), ['foreign']);
  t.equal(restored.pending.length, 7, 'six conflicts and the hostname-only Service');
  t.same(a.allocate(services[2] as ServiceSpec), { ips: ['10.0.0.50'], pool: 'a' }, 'the changed request is honoured');
});

t.test('a restored PreferDualStack Service with one family gains the other afterwards', async (t) => {
  const pools = [pool('dual', ['10.0.0.0/30', '2001:db8::/126'])];
  const service = withIngress(lbService('pref', { ipFamilyPolicy: 'PreferDualStack' }), ['2001:db8::2']);
  const a = new Allocator(pools);
  t.same(a.restore([service]).kept, [{ namespace: 'default', name: 'pref', ips: ['2001:db8::2'], pool: 'dual' }]);
  t.same(a.allocate(service), { ips: ['10.0.0.0', '2001:db8::2'], pool: 'dual' });
});

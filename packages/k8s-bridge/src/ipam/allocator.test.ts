import t from 'tap';
import { allocationEvent } from './allocation-event.js';
import { Allocator } from './allocator.js';
import { IpamConfigError } from './errors.js';
import { lbService, pool } from './test-helpers/service.js';
import { isAllocated } from './types.js';
import type { Test } from 'tap';
import type { AllocationResult, Allocated, AllocationErrorReason } from './types.js';

function ok(t: Test, result: AllocationResult, ips: string[], poolName: string, what?: string): void {
  if (!isAllocated(result)) {
    t.fail(`${what ?? 'allocation'} failed: ${result.error.reason}: ${result.error.message}`);
    return;
  }
  t.same(result, { ips, pool: poolName }, what ?? 'allocated');
}

function refused(t: Test, result: AllocationResult, reason: AllocationErrorReason, message?: RegExp, what?: string): void {
  if (isAllocated(result)) {
    t.fail(`${what ?? 'allocation'} should fail with ${reason}, got ${result.ips.join(',')} from ${result.pool}`);
    return;
  }
  t.equal(result.error.reason, reason, what ?? reason);
  if (message !== undefined) t.match(result.error.message, message);
}

t.test('lowest free address first, pools in config order', async (t) => {
  const a = new Allocator([pool('first', ['10.0.0.1-10.0.0.2']), pool('second', ['10.0.1.0/30'])]);
  ok(t, a.allocate(lbService('s1')), ['10.0.0.1'], 'first');
  ok(t, a.allocate(lbService('s2')), ['10.0.0.2'], 'first');
  ok(t, a.allocate(lbService('s3')), ['10.0.1.0'], 'second', 'then the next pool');
  ok(t, a.allocate(lbService('s1')), ['10.0.0.1'], 'first', 'allocating again is idempotent');
  t.same(a.assignmentOf('default', 's2'), { ips: ['10.0.0.2'], pool: 'first' });
  t.equal(a.assignmentOf('default', 'nope'), undefined);
  t.same(
    a.poolStats().map((s) => [s.name, s.inUse.IPv4, s.capacity.IPv4]),
    [
      ['first', 2, 2n],
      ['second', 1, 4n],
    ],
  );
});

t.test('avoid_buggy_ips over a /23: every .0 and .255 skipped, 508 addresses, then exhausted', async (t) => {
  const a = new Allocator([pool('buggy', ['192.168.10.0/23'], { avoidBuggyIps: true })]);
  const given = new Set<string>();
  let bad = 0;
  let count = 0;
  for (let i = 0; i < 508; i++) {
    const result = a.allocate(lbService(`s${i}`));
    if (!isAllocated(result)) {
      t.fail(`service ${i}: ${result.error.message}`);
      return;
    }
    const [ip] = result.ips;
    const last = Number((ip ?? '').split('.')[3]);
    if (last === 0 || last === 255 || given.has(ip ?? '')) bad++;
    given.add(ip ?? '');
    count++;
  }
  t.equal(count, 508, '508 Services got an address');
  t.equal(given.size, 508, 'all different');
  t.equal(bad, 0, 'none ends in .0 or .255, none repeated');
  t.ok(given.has('192.168.10.1') && given.has('192.168.10.254') && given.has('192.168.11.1') && given.has('192.168.11.254'));
  t.notOk(given.has('192.168.10.255') || given.has('192.168.11.0'), 'the .255/.0 in the middle of the /23 are skipped too');
  refused(t, a.allocate(lbService('s508')), 'pool-exhausted', /pool "buggy" 508 of 508 IPv4 in use/);
  t.same(a.poolStats()[0]?.inUse, { IPv4: 508, IPv6: 0 });
  refused(t, a.allocate(lbService('asks', { loadBalancerIP: '192.168.11.0' })), 'requested-ip-not-in-pool', /ends in \.0 or \.255/);
});

t.test('autoAssign false: used only when a Service asks for the pool or one of its addresses', async (t) => {
  const a = new Allocator([pool('manual', ['10.0.9.0/30'], { autoAssign: false }), pool('auto', ['10.0.0.0/30'])]);
  ok(t, a.allocate(lbService('plain')), ['10.0.0.0'], 'auto', 'not from the manual pool');
  ok(t, a.allocate(lbService('by-pool', { annotations: { 'metallb.io/address-pool': 'manual' } })), ['10.0.9.0'], 'manual');
  ok(t, a.allocate(lbService('old-annotation', { annotations: { 'metallb.universe.tf/address-pool': 'manual' } })), ['10.0.9.1'], 'manual', 'deprecated annotation');
  ok(t, a.allocate(lbService('by-ip', { loadBalancerIP: '10.0.9.3' })), ['10.0.9.3'], 'manual', 'a requested address of the pool');
  refused(t, a.allocate(lbService('ghost', { annotations: { 'metallb.io/address-pool': 'nope' } })), 'unknown-pool', /"nope"/);

  const onlyManual = new Allocator([pool('manual', ['10.0.9.0/30'], { autoAssign: false })]);
  refused(t, onlyManual.allocate(lbService('plain')), 'no-pool-for-family', /autoAssign false/);
});

t.test('requested addresses: spec.loadBalancerIP and both annotations', async (t) => {
  const a = new Allocator([pool('v4', ['10.0.0.0/24']), pool('v6', ['2001:db8::/64']), pool('other', ['10.0.5.0/24'])]);
  ok(t, a.allocate(lbService('field', { loadBalancerIP: '10.0.0.50' })), ['10.0.0.50'], 'v4');
  ok(t, a.allocate(lbService('annotation', { annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.51' } })), ['10.0.0.51'], 'v4');
  ok(t, a.allocate(lbService('deprecated', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '2001:db8::0:7' } })), ['2001:db8::7'], 'v6');
  ok(
    t,
    a.allocate(lbService('both-annotations', { annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.52', 'metallb.universe.tf/loadBalancerIPs': '10.0.0.53' } })),
    ['10.0.0.52'],
    'v4',
    'metallb.io/ wins over metallb.universe.tf/',
  );
  refused(t, a.allocate(lbService('taken', { loadBalancerIP: '10.0.0.50' })), 'requested-ip-in-use', /in use by default\/field/);
  refused(t, a.allocate(lbService('outside', { loadBalancerIP: '192.0.2.1' })), 'requested-ip-not-in-pool', /192\.0\.2\.1 is in no address pool/);
  refused(t, a.allocate(lbService('garbage', { loadBalancerIP: '10.0.0.999' })), 'invalid-request', /invalid spec\.loadBalancerIP/);
  refused(
    t,
    a.allocate(lbService('twice', { loadBalancerIP: '10.0.0.60', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.60' } })),
    'invalid-request',
    /can not have both/,
  );
  refused(
    t,
    a.allocate(lbService('wrong-pool', { loadBalancerIP: '10.0.0.61', annotations: { 'metallb.io/address-pool': 'other' } })),
    'requested-ip-not-in-pool',
    /from pool "v4" but metallb\.io\/address-pool asks for "other"/,
  );
  refused(t, a.allocate(lbService('split', { ipFamilyPolicy: 'RequireDualStack', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.70,10.0.5.70' } })), 'invalid-request', /two IPv4/);
  refused(t, a.allocate(lbService('family', { ipFamilies: ['IPv6'], loadBalancerIP: '10.0.0.71' })), 'invalid-request', /an IPv4 address for an IPv6 Service/);

  // Changing the requested address moves the Service there and frees the old one.
  ok(t, a.allocate(lbService('field', { loadBalancerIP: '10.0.0.80' })), ['10.0.0.80'], 'v4');
  ok(t, a.allocate(lbService('taken', { loadBalancerIP: '10.0.0.50' })), ['10.0.0.50'], 'v4', 'the freed address can be requested');
  // A pending Service that asked for a held address gets it once the holder is gone.
  refused(t, a.allocate(lbService('waiter', { loadBalancerIP: '10.0.0.51' })), 'requested-ip-in-use');
  a.release('default', 'annotation');
  const retried = a.retryPending();
  const waiter = retried.find((r) => r.name === 'waiter');
  t.ok(waiter, 'waiter was pending');
  if (waiter) ok(t, waiter.result, ['10.0.0.51'], 'v4', 'retried after release');
});

t.test('exhaustion and recovery: a pool of 4, the 5th Service waits for a release', async (t) => {
  const a = new Allocator([pool('small', ['10.0.0.1-10.0.0.4'])]);
  for (let i = 1; i <= 4; i++) ok(t, a.allocate(lbService(`s${i}`)), [`10.0.0.${i}`], 'small');
  const fifth = a.allocate(lbService('s5'));
  refused(t, fifth, 'pool-exhausted', /pool "small" 4 of 4 IPv4 in use/);
  t.same(a.pending(), [{ namespace: 'default', name: 's5' }], 's5 is pending');
  const event = allocationEvent({ namespace: 'default', name: 's5' }, fifth);
  t.equal(event?.type, 'Warning');
  t.equal(event?.reason, 'AllocationFailed');
  t.match(event?.message ?? '', /pool-exhausted.*pool "small"/);

  a.release('default', 's2');
  const outcomes = a.retryPending();
  t.equal(outcomes.length, 1);
  ok(t, outcomes[0]?.result ?? { error: { reason: 'pool-exhausted', message: 'missing' } }, ['10.0.0.2'], 'small', 's5 gets the freed address');
  t.same(a.pending(), [], 'nothing pending');
  t.equal(allocationEvent({ namespace: 'default', name: 's5' }, outcomes[0]?.result as Allocated)?.reason, 'IPAllocated');
  refused(t, a.allocate(lbService('s6')), 'pool-exhausted');
});

t.test('loadBalancerClass: only Services of our class (or none, without a class) are ours', async (t) => {
  const plain = new Allocator([pool('p', ['10.0.0.0/29'])]);
  refused(t, plain.allocate(lbService('other-class', { loadBalancerClass: 'example.com/other' })), 'not-ours', /"example\.com\/other"/);
  refused(t, plain.allocate(lbService('cluster-ip', { type: 'ClusterIP' })), 'not-ours', /type is ClusterIP/);
  ok(t, plain.allocate(lbService('no-class')), ['10.0.0.0'], 'p');

  const classy = new Allocator([pool('p', ['10.0.0.0/29'])], { loadBalancerClass: 'metallb.io/ts' });
  refused(t, classy.allocate(lbService('no-class')), 'not-ours', /no loadBalancerClass/);
  refused(t, classy.allocate(lbService('other-class', { loadBalancerClass: 'example.com/other' })), 'not-ours');
  ok(t, classy.allocate(lbService('ours', { loadBalancerClass: 'metallb.io/ts' })), ['10.0.0.0'], 'p');
  t.equal(allocationEvent({ namespace: 'default', name: 'x' }, { error: { reason: 'not-ours', message: '' } }), undefined, 'no Event for others');

  // A Service that stops being a LoadBalancer gives its address back.
  refused(t, classy.allocate(lbService('ours', { loadBalancerClass: 'metallb.io/ts', type: 'NodePort' })), 'not-ours');
  ok(t, classy.allocate(lbService('next', { loadBalancerClass: 'metallb.io/ts' })), ['10.0.0.0'], 'p');
});

t.test('serviceAllocation: priority, namespaces, namespace and service selectors', async (t) => {
  const pools = [
    pool('general', ['10.0.0.0/24']),
    pool('team-low', ['10.1.0.0/24'], { serviceAllocation: { priority: 20, namespaces: ['team'] } }),
    pool('team-high', ['10.2.0.0/30'], { serviceAllocation: { priority: 10, namespaces: ['team'] } }),
    pool('team-none', ['10.5.0.0/24'], { serviceAllocation: { namespaces: ['team'] } }),
    pool('labelled-ns', ['10.3.0.0/24'], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { env: 'prod' } }] } }),
    pool('web-only', ['10.4.0.0/24'], { serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: 'role', operator: 'In', values: ['web'] }] }] } }),
  ];
  const a = new Allocator(pools, { namespaceLabels: { shop: { env: 'prod' }, lab: { env: 'dev' } } });
  ok(t, a.allocate(lbService('elsewhere')), ['10.0.0.0'], 'general', 'unrestricted Services never use restricted pools');
  ok(t, a.allocate(lbService('t1', { namespace: 'team' })), ['10.2.0.0'], 'team-high', 'lowest priority number first');
  for (let i = 2; i <= 4; i++) a.allocate(lbService(`t${i}`, { namespace: 'team' }));
  ok(t, a.allocate(lbService('t5', { namespace: 'team' })), ['10.1.0.0'], 'team-low', 'then the next priority');
  ok(t, a.allocate(lbService('p1', { namespace: 'shop' })), ['10.3.0.0'], 'labelled-ns', 'namespaceSelectors match namespace labels');
  ok(t, a.allocate(lbService('d1', { namespace: 'lab' })), ['10.0.0.1'], 'general', 'a non-matching namespace falls back to general');
  ok(t, a.allocate(lbService('w1', { labels: { role: 'web' } })), ['10.4.0.0'], 'web-only', 'serviceSelectors');
  refused(
    t,
    a.allocate(lbService('intruder', { annotations: { 'metallb.io/address-pool': 'team-low' } })),
    'pool-not-allowed',
    /"team-low", which does not serve it/,
  );
  refused(t, a.allocate(lbService('intruder-ip', { loadBalancerIP: '10.1.0.77' })), 'pool-not-allowed');
  ok(t, a.allocate(lbService('member-ip', { namespace: 'team', loadBalancerIP: '10.1.0.77' })), ['10.1.0.77'], 'team-low');

  // Namespace labels change: the shop Service's pool no longer selects it, so it is released.
  const update = a.setNamespaceLabels({ shop: { env: 'staging' } });
  t.same(update.released.map((r) => [r.name, r.reason]), [['p1', 'pool-not-allowed']]);
  const retried = a.retryPending();
  const p1 = retried.find((r) => r.name === 'p1');
  if (p1) ok(t, p1.result, ['10.0.0.2'], 'general', 'reallocated from a pool that serves it');
  else t.fail('p1 should be pending');
});

t.test('priority ties keep config order; no-priority pools come after prioritized ones', async (t) => {
  const a = new Allocator([
    pool('none', ['10.9.0.0/30'], { serviceAllocation: {} }),
    pool('b', ['10.8.0.0/30'], { serviceAllocation: { priority: 5 } }),
    pool('a', ['10.7.0.0/30'], { serviceAllocation: { priority: 5 } }),
  ]);
  ok(t, a.allocate(lbService('x')), ['10.8.0.0'], 'b');
});

t.test('an IPv6 /64 pool allocates quickly, without enumeration', async (t) => {
  const a = new Allocator([pool('big', ['2001:db8:1::/64'])]);
  const start = performance.now();
  for (let i = 0; i < 300; i++) {
    const r = a.allocate(lbService(`s${i}`, { ipFamilies: ['IPv6'] }));
    if (!isAllocated(r)) {
      t.fail(r.error.message);
      return;
    }
  }
  const elapsed = performance.now() - start;
  t.same(a.assignmentOf('default', 's0'), { ips: ['2001:db8:1::'], pool: 'big' });
  t.same(a.assignmentOf('default', 's299'), { ips: ['2001:db8:1::12b'], pool: 'big' });
  t.equal(a.poolStats()[0]?.capacity.IPv6, 2n ** 64n);
  t.ok(elapsed < 5000, `300 allocations in ${elapsed.toFixed(0)} ms`);
});

t.test('updatePools keeps what is still valid, follows renames, releases the rest', async (t) => {
  const a = new Allocator([pool('a', ['10.0.0.0/30']), pool('b', ['10.0.1.0/30'])]);
  ok(t, a.allocate(lbService('s1')), ['10.0.0.0'], 'a');
  ok(t, a.allocate(lbService('s2', { annotations: { 'metallb.io/address-pool': 'b' } })), ['10.0.1.0'], 'b');
  t.throws(() => a.updatePools([pool('a', ['nonsense'])]), IpamConfigError);
  t.same(a.assignmentOf('default', 's1'), { ips: ['10.0.0.0'], pool: 'a' }, 'a refused update changes nothing');
  const result = a.updatePools([pool('renamed', ['10.0.0.0/30']), pool('c', ['10.0.2.0/30'])]);
  t.same(result.moved, [{ namespace: 'default', name: 's1', ips: ['10.0.0.0'], from: 'a', to: 'renamed' }]);
  t.same(result.released.map((r) => [r.name, r.reason]), [['s2', 'ip-not-in-pool']]);
  t.same(a.pending(), [{ namespace: 'default', name: 's2' }]);
  const [retry] = a.retryPending();
  if (retry) refused(t, retry.result, 'unknown-pool', /"b"/, 'still asks for the vanished pool');
  else t.fail('no retry');
});

t.test('the search starts above the addresses in use, and still finds the lowest free one', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/24'])]);
  for (let i = 0; i < 50; i++) a.allocate(lbService(`s${i}`));
  ok(t, a.allocate(lbService('s50')), ['10.0.0.50'], 'p', 'the next one after 50 in use');
  a.release('default', 's7');
  a.release('default', 's3');
  ok(t, a.allocate(lbService('n1')), ['10.0.0.3'], 'p', 'a released address below the others is found again');
  ok(t, a.allocate(lbService('n2')), ['10.0.0.7'], 'p', 'and the next released one');
  ok(t, a.allocate(lbService('n3')), ['10.0.0.51'], 'p', 'then on above');

  // A sharing Service may join an address in use far below: it still walks from the bottom.
  const shared = new Allocator([pool('p', ['10.0.0.0/24'])]);
  ok(t, shared.allocate(lbService('web', { annotations: { 'metallb.io/allow-shared-ip': 'k' }, ports: [{ port: 80 }] })), ['10.0.0.0'], 'p');
  for (let i = 0; i < 20; i++) shared.allocate(lbService(`s${i}`));
  ok(t, shared.allocate(lbService('web-tls', { annotations: { 'metallb.io/allow-shared-ip': 'k' }, ports: [{ port: 443 }] })), ['10.0.0.0'], 'p', 'joins 10.0.0.0 under its key');

  // New pools: a range below everything used so far is searched from its start.
  const grown = new Allocator([pool('p', ['10.0.1.0/24'])]);
  for (let i = 0; i < 10; i++) grown.allocate(lbService(`s${i}`));
  grown.updatePools([pool('p', ['10.0.0.0/24', '10.0.1.0/24'])]);
  ok(t, grown.allocate(lbService('late')), ['10.0.0.0'], 'p', 'the new lower range first');
});

t.test('allocating 10,000 Services is linear, not quadratic', async (t) => {
  const a = new Allocator([pool('big', ['10.5.0.0/16'])]);
  const started = performance.now();
  for (let i = 0; i < 10_000; i++) a.allocate(lbService(`s${i}`));
  const elapsed = performance.now() - started;
  ok(t, a.allocate(lbService('last')), ['10.5.39.16'], 'big', 'the 10,001st address');
  // Not a benchmark: a bound ten times above what it takes, which the quadratic walk (10 s) broke.
  t.ok(elapsed < 5000, `10,000 allocations in ${elapsed.toFixed(0)} ms`);
});

// Leader election through a Lease with the real client against the test API server: one leader
// among contenders, take-over after the leader stops renewing, release on stop, and stepping
// down when someone else writes the Lease. Durations are short (a 1 s lease) so the tests run in
// a few seconds; every wait is bounded.

import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import t from 'tap';
import { LeaderElector, type LeaderElectionOptions } from './lease.js';
import { eventually, startApiServer, type TestApiServer } from './test-helpers/api-server.js';

const LEASE = 'coordination.k8s.io/leases';
const TIMING = { leaseDurationSeconds: 1, renewDeadlineMs: 500, retryPeriodMs: 100 };

interface Candidate {
  readonly elector: LeaderElector;
  readonly log: string[];
}

function candidate(t: { teardown(fn: () => unknown): void }, kc: KubeConfig, identity: string, extra: Partial<LeaderElectionOptions> = {}): Candidate {
  const log: string[] = [];
  const elector = new LeaderElector(kc.makeApiClient(CoordinationV1Api), {
    namespace: 'metallb-system',
    name: 'metallb-ts-controller',
    identity,
    ...TIMING,
    onStartedLeading: () => log.push('started'),
    onStoppedLeading: () => log.push('stopped'),
    onNewLeader: (id) => log.push(`leader:${id}`),
    ...extra,
  });
  t.teardown(() => elector.stop({ release: false }));
  return { elector, log };
}

function holder(server: TestApiServer): string | undefined {
  return (server.get(LEASE, 'metallb-ts-controller', 'metallb-system')?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('two contenders: exactly one leads, and keeps leading while it renews', async (t) => {
  const { server, kc } = await startApiServer(t);
  const a = candidate(t, kc, 'a');
  const b = candidate(t, kc, 'b');
  a.elector.start();
  b.elector.start();
  await eventually('a leader', () => a.elector.isLeader || b.elector.isLeader);
  const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
  const leaderId = leader === a ? 'a' : 'b';
  t.equal(holder(server), leaderId);
  for (let i = 0; i < 8; i++) {
    await sleep(100);
    t.ok(leader.elector.isLeader !== follower.elector.isLeader, `exactly one leader (${i})`);
  }
  t.ok(leader.elector.isLeader, 'the leader kept its term across 8 retry periods');
  await eventually('the follower knows the leader', () => follower.elector.leader === leaderId);
  t.same(leader.log, [`leader:${leaderId}`, 'started']);
  t.notOk(follower.log.includes('started'));
  const spec = server.get(LEASE, 'metallb-ts-controller', 'metallb-system')?.['spec'] as Record<string, unknown>;
  t.match(spec, { leaseDurationSeconds: 1, leaseTransitions: 0 });
  t.match(String(spec['renewTime']), /\.\d{6}Z$/, 'MicroTime with six digits');
  t.ok(server.requestCounts().update >= 5, 'the leader renews by replacing the Lease');
});

t.test('when the leader stops renewing, the other takes over after the lease duration', async (t) => {
  const { server, kc } = await startApiServer(t);
  const a = candidate(t, kc, 'a');
  a.elector.start();
  await eventually('a leads', () => a.elector.isLeader);
  const b = candidate(t, kc, 'b');
  b.elector.start();
  await sleep(300);
  t.notOk(b.elector.isLeader, 'b waits while a renews');

  const crashedAt = Date.now();
  await a.elector.stop({ release: false }); // as a crash: the Lease is left to expire
  await eventually('b takes over', () => b.elector.isLeader, 5_000);
  const waited = Date.now() - crashedAt;
  t.ok(waited >= 900, `not before the lease duration (${waited} ms)`);
  t.ok(waited < 3_000, `soon after it (${waited} ms)`);
  t.equal(holder(server), 'b');
  t.match(server.get(LEASE, 'metallb-ts-controller', 'metallb-system')?.['spec'], { leaseTransitions: 1 });
  t.same(a.log, ['leader:a', 'started', 'stopped']);
  t.ok(b.log.includes('leader:a') && b.log.includes('leader:b'));
});

t.test('a leader that stops releases the Lease, so the successor need not wait', async (t) => {
  const { server, kc } = await startApiServer(t);
  const a = candidate(t, kc, 'a', { leaseDurationSeconds: 3, renewDeadlineMs: 2_000 });
  a.elector.start();
  await eventually('a leads', () => a.elector.isLeader);
  const b = candidate(t, kc, 'b', { leaseDurationSeconds: 3, renewDeadlineMs: 2_000 });
  b.elector.start();
  await sleep(200);
  const stoppedAt = Date.now();
  await a.elector.stop();
  t.equal(holder(server), '', 'released');
  await eventually('b takes over', () => b.elector.isLeader, 5_000);
  t.ok(Date.now() - stoppedAt < 1_500, 'well before the 3 s lease would expire');
});

t.test('a conflict while renewing ends the term at once', async (t) => {
  const { server, kc } = await startApiServer(t);
  const a = candidate(t, kc, 'a');
  a.elector.start();
  await eventually('a leads', () => a.elector.isLeader);
  server.failRequests({ verb: 'update', resource: LEASE, code: 409, count: 1 });
  await eventually('a steps down', () => a.log.includes('stopped'), 2_000);
  // Nobody else holds the Lease: a takes it again on the next round.
  await eventually('a leads again', () => a.elector.isLeader, 2_000);
  t.same(a.log, ['leader:a', 'started', 'stopped', 'started']);
});

t.test('someone else taking the Lease: the leader steps down and follows', async (t) => {
  const { server, kc } = await startApiServer(t);
  const a = candidate(t, kc, 'a');
  a.elector.start();
  await eventually('a leads', () => a.elector.isLeader);
  const lease = server.get(LEASE, 'metallb-ts-controller', 'metallb-system');
  const now = new Date().toISOString().replace('Z', '000Z');
  server.update(LEASE, { ...lease, spec: { ...(lease?.['spec'] as object), holderIdentity: 'intruder', renewTime: now, acquireTime: now, leaseDurationSeconds: 1 } });
  await eventually('a follows the intruder', () => !a.elector.isLeader && a.elector.leader === 'intruder', 2_000);
  // The intruder never renews: after its lease duration a takes the Lease back.
  await eventually('a leads again', () => a.elector.isLeader, 5_000);
  t.equal(holder(server), 'a');
  t.same(a.log, ['leader:a', 'started', 'leader:intruder', 'stopped', 'leader:a', 'started']);
});

t.test('API failures are retried; the leader keeps its term until the renew deadline', async (t) => {
  const { server, kc } = await startApiServer(t);
  const errors: unknown[] = [];
  // A generous deadline, so a slow machine does not end the term before the test means it to.
  const a = candidate(t, kc, 'a', { leaseDurationSeconds: 2, renewDeadlineMs: 1_500, onError: (e) => errors.push(e) });
  server.failRequests({ verb: 'get', resource: LEASE, code: 500, count: 2 });
  a.elector.start();
  await eventually('a leads despite two failed reads', () => a.elector.isLeader, 2_000);
  t.equal(errors.length, 2);
  server.failRequests({ verb: 'get', resource: LEASE, code: 503, count: 2 });
  await sleep(400);
  t.ok(a.elector.isLeader, 'two failed renewals (200 ms) are within the 1.5 s deadline');
  const failingFrom = Date.now();
  server.failRequests({ verb: 'get', resource: LEASE, code: 503, count: 30 });
  await eventually('the term ends at the deadline', () => !a.elector.isLeader, 5_000);
  t.ok(Date.now() - failingFrom >= 1_300, 'not before the deadline');
  await eventually('and resumes once the API answers', () => a.elector.isLeader, 3_000);
  t.same(a.log, ['leader:a', 'started', 'stopped', 'started']);
});

t.test('option checks', async (t) => {
  const { kc } = await startApiServer(t);
  const api = kc.makeApiClient(CoordinationV1Api);
  const base = { namespace: 'n', name: 'l', identity: 'i' };
  t.throws(() => new LeaderElector(api, { ...base, leaseDurationSeconds: 0.5 }), RangeError);
  t.throws(() => new LeaderElector(api, { ...base, leaseDurationSeconds: 1, renewDeadlineMs: 1_000 }), RangeError);
  t.throws(() => new LeaderElector(api, { ...base, retryPeriodMs: 20_000 }), RangeError);
  t.doesNotThrow(() => new LeaderElector(api, base));
});

// Publishing an allocation with the real client against the test API server: the IPs land in
// the /status subresource, the pool in the annotation, each with a merge patch, no write when
// nothing changed, and a stale Service answers 409 instead of being overwritten.

import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import t from 'tap';
import { isConflict } from './errors.js';
import { clearServiceAssignment, IP_ALLOCATED_FROM_POOL, writeServiceAssignment } from './status.js';
import { startApiServer, type TestApiServer } from './test-helpers/api-server.js';

async function fixture(t: { teardown(fn: () => unknown): void }): Promise<{ server: TestApiServer; core: CoreV1Api; svc: V1Service }> {
  const { server, kc } = await startApiServer(t);
  server.create('services', { metadata: { name: 'web', namespace: 'apps', annotations: { owner: 'team-a' } }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } });
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({ name: 'web', namespace: 'apps' });
  return { server, core, svc };
}

t.test('an assignment lands: ingress through /status, pool in the annotation', async (t) => {
  const { server, core, svc } = await fixture(t);
  server.resetRequestLog();
  const result = await writeServiceAssignment(core, svc, { ips: ['192.0.2.10', '2001:db8::10'], pool: 'blue' });
  t.ok(result.annotationWritten);
  t.ok(result.statusWritten);
  const stored = server.get('services', 'web', 'apps');
  t.same((stored?.['status'] as any).loadBalancer.ingress, [{ ip: '192.0.2.10' }, { ip: '2001:db8::10' }]);
  t.same(stored?.metadata.annotations, { owner: 'team-a', [IP_ALLOCATED_FROM_POOL]: 'blue' }, 'other annotations kept');
  t.equal((stored?.['spec'] as any).type, 'LoadBalancer');
  t.same(server.requests().map((r) => [r.verb, r.subresource ?? '', r.status]), [['patch', '', 200], ['patch', 'status', 200]]);
  t.equal(result.service.metadata?.resourceVersion, stored?.metadata.resourceVersion, 'the result is the latest object');
  t.same(result.service.status?.loadBalancer?.ingress?.map((i) => i.ip), ['192.0.2.10', '2001:db8::10']);

  // Same assignment again: nothing to write.
  server.resetRequestLog();
  const again = await writeServiceAssignment(core, result.service, { ips: ['192.0.2.10', '2001:db8::10'], pool: 'blue' });
  t.notOk(again.annotationWritten);
  t.notOk(again.statusWritten);
  t.equal(server.requests().length, 0);
});

t.test('only what changed is written; ipMode is carried', async (t) => {
  const { server, core, svc } = await fixture(t);
  const first = await writeServiceAssignment(core, svc, { ips: ['192.0.2.10'], pool: 'blue' });
  server.resetRequestLog();
  const poolOnly = await writeServiceAssignment(core, first.service, { ips: ['192.0.2.10'], pool: 'green' });
  t.ok(poolOnly.annotationWritten);
  t.notOk(poolOnly.statusWritten);
  const withMode = await writeServiceAssignment(core, poolOnly.service, { ips: ['192.0.2.10'], pool: 'green', ipMode: 'VIP' });
  t.notOk(withMode.annotationWritten);
  t.ok(withMode.statusWritten);
  t.same((server.get('services', 'web', 'apps')?.['status'] as any).loadBalancer.ingress, [{ ip: '192.0.2.10', ipMode: 'VIP' }]);
  t.same(server.requests().map((r) => r.subresource ?? 'main'), ['main', 'status']);
});

t.test('a Service changed since it was read answers 409, and nothing is overwritten', async (t) => {
  const { server, core, svc } = await fixture(t);
  server.patch('services', 'web', 'apps', { spec: { loadBalancerIP: '192.0.2.99' } });
  const before = server.get('services', 'web', 'apps');
  const err = await writeServiceAssignment(core, svc, { ips: ['192.0.2.10'], pool: 'blue' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isConflict(err), 'rejected with 409 Conflict');
  t.same(server.get('services', 'web', 'apps'), before);

  // The same stale object for the status write alone (annotation already right).
  const annotated = server.patch('services', 'web', 'apps', { metadata: { annotations: { [IP_ALLOCATED_FROM_POOL]: 'blue' } } });
  const stale = { ...svc, metadata: { ...svc.metadata, annotations: annotated.metadata.annotations } } as V1Service;
  await t.rejects(writeServiceAssignment(core, stale, { ips: ['192.0.2.10'], pool: 'blue' }), { code: 409 });

  const forced = await writeServiceAssignment(core, svc, { ips: ['192.0.2.10'], pool: 'blue' }, { precondition: false });
  t.ok(forced.statusWritten);
  t.equal((server.get('services', 'web', 'apps')?.['spec'] as any).loadBalancerIP, '192.0.2.99', 'the spec change survived');
});

t.test('clearing removes the ingress and the annotation', async (t) => {
  const { server, core, svc } = await fixture(t);
  const written = await writeServiceAssignment(core, svc, { ips: ['192.0.2.10'], pool: 'blue' });
  const cleared = await clearServiceAssignment(core, written.service);
  t.ok(cleared.annotationWritten && cleared.statusWritten);
  const stored = server.get('services', 'web', 'apps');
  t.same(stored?.['status'], { loadBalancer: {} });
  t.same(stored?.metadata.annotations, { owner: 'team-a' });
});

t.test('an invalid IP is refused by the API server and reported', async (t) => {
  const { core, svc } = await fixture(t);
  await t.rejects(writeServiceAssignment(core, svc, { ips: ['not-an-ip'], pool: 'blue' }), { code: 422 });
});

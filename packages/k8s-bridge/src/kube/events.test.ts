// Events about a Service, created with the real client against the test API server.

import { CoreV1Api } from '@kubernetes/client-node';
import t from 'tap';
import { EventRecorder } from './events.js';
import { eventually, startApiServer } from './test-helpers/api-server.js';

t.test('an Event on a Service names it, its reason, message, type and source', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', { metadata: { name: 'web', namespace: 'apps' }, spec: { type: 'LoadBalancer' } });
  const core = kc.makeApiClient(CoreV1Api);
  // Listed Services carry no kind: the reference must still say Service.
  const [listed] = (await core.listNamespacedService({ namespace: 'apps' })).items;
  t.ok(listed);
  const at = new Date('2026-01-02T03:04:05.678Z');
  const recorder = new EventRecorder(core, { component: 'metallb-ts-controller', instance: 'node-1' }, () => at);
  const created = await recorder.recordForService(listed!, 'Normal', 'IPAllocated', 'Assigned IP ["192.0.2.10"]');
  t.equal(created.metadata?.namespace, 'apps');

  const [stored] = server.list('events', 'apps');
  t.match(stored, {
    metadata: { namespace: 'apps', name: /^web\.[0-9a-f]+$/ },
    involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: 'apps', name: 'web', uid: listed!.metadata?.uid },
    reason: 'IPAllocated',
    message: 'Assigned IP ["192.0.2.10"]',
    type: 'Normal',
    count: 1,
    source: { component: 'metallb-ts-controller', host: 'node-1' },
    reportingComponent: 'metallb-ts-controller',
    reportingInstance: 'node-1',
  });
  t.equal(Date.parse(String(stored?.['firstTimestamp'])), at.getTime());

  const second = await recorder.recordForService(listed!, 'Warning', 'AllocationFailed', 'x'.repeat(5000));
  t.not(second.metadata?.name, created.metadata?.name, 'two events in one millisecond get two names');
  t.equal(second.message?.length, 1024, 'long messages are cut');
  t.equal(server.list('events', 'apps').length, 2);
});

t.test('emit() is best effort: a refused Event is reported, not thrown', async (t) => {
  const { server, kc } = await startApiServer(t);
  const core = kc.makeApiClient(CoreV1Api);
  const errors: unknown[] = [];
  const recorder = new EventRecorder(core, { component: 'c' }, undefined, (e) => errors.push(e));
  server.failRequests({ verb: 'create', resource: 'events', code: 500, count: 1 });
  recorder.emit({ kind: 'Service', apiVersion: 'v1', namespace: 'default', name: 's' }, 'Warning', 'R', 'm');
  await eventually('the failure is reported', () => errors.length === 1);
  t.match(errors[0], { code: 500 });
  recorder.emit({ kind: 'Service', apiVersion: 'v1', namespace: 'default', name: 's' }, 'Normal', 'R', 'm');
  await eventually('the next one lands', () => server.list('events', 'default').length === 1);
  t.equal(errors.length, 1);
  await t.rejects(recorder.record({ kind: 'Service', namespace: 'default' }, 'Normal', 'R', 'm'), /needs the name/);
});

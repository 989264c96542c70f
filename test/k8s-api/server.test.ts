// The test API server on its own, spoken to with raw HTTP: the list/watch protocol
// (resourceVersion, resume, bookmarks, 410 after compaction, timeouts, selectors), the status
// subresource, patches, optimistic concurrency and the test-control API.

import t from 'tap';
import { eventually, rawRequest, rawWatch, type WatchEvent } from './raw-http.js';
import { TestApiServer, type TestApiServerOptions } from './server.js';

const SVC = '/api/v1/namespaces/default/services';

function service(name: string, labels: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
}

async function withServer(t: { teardown(fn: () => unknown): void }, options?: TestApiServerOptions): Promise<TestApiServer> {
  const server = await TestApiServer.start(options);
  t.teardown(() => server.close());
  return server;
}

t.test('list carries the snapshot resourceVersion; built-in items omit their type, custom ones keep it', async (t) => {
  const server = await withServer(t);
  const created = await rawRequest(server.url, 'POST', SVC, service('a'));
  t.equal(created.status, 201);
  t.equal(created.body.kind, 'Service');
  t.equal(created.body.spec.type, 'LoadBalancer');
  t.same(created.body.status, { loadBalancer: {} }, 'a new Service gets an empty status');
  t.match(created.body.metadata.uid, /^[0-9a-f-]{36}$/);

  const list = await rawRequest(server.url, 'GET', SVC);
  t.equal(list.status, 200);
  t.equal(list.body.kind, 'ServiceList');
  t.equal(list.body.metadata.resourceVersion, String(server.resourceVersion));
  t.equal(list.body.items.length, 1);
  t.equal(list.body.items[0].kind, undefined);
  t.equal(list.body.items[0].metadata.resourceVersion, created.body.metadata.resourceVersion);

  const pool = await rawRequest(server.url, 'POST', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools', {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name: 'p' },
    spec: { addresses: ['192.0.2.0/24'] },
  });
  t.equal(pool.status, 201);
  t.equal(pool.body.metadata.generation, 1);
  const pools = await rawRequest(server.url, 'GET', '/apis/metallb.io/v1beta1/ipaddresspools');
  t.equal(pools.body.items[0].kind, 'IPAddressPool');
  t.equal(pools.body.items[0].apiVersion, 'metallb.io/v1beta1');

  const peers = await rawRequest(server.url, 'POST', '/apis/metallb.io/v1beta2/namespaces/metallb-system/bgppeers', { metadata: { name: 'r1' }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' } });
  t.equal(peers.status, 201);
  t.equal(peers.body.apiVersion, 'metallb.io/v1beta2');
  const asV1beta1 = await rawRequest(server.url, 'GET', '/apis/metallb.io/v1beta1/namespaces/metallb-system/bgppeers/r1');
  t.equal(asV1beta1.body.apiVersion, 'metallb.io/v1beta1', 'both served versions read the same storage');

  const tooNew = await rawRequest(server.url, 'GET', `${SVC}?resourceVersion=${server.resourceVersion + 10}`);
  t.equal(tooNew.status, 504);
  t.equal(tooNew.body.reason, 'Timeout');
});

t.test('a watch from a list resourceVersion sees every later change once, in order; resume replays exactly the rest', async (t) => {
  const server = await withServer(t);
  await rawRequest(server.url, 'POST', SVC, service('before'));
  const list = await rawRequest(server.url, 'GET', SVC);
  const watch = await rawWatch(server.url, `${SVC}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
  t.teardown(() => watch.close());
  t.equal(watch.status, 200);

  const a = await rawRequest(server.url, 'POST', SVC, service('a'));
  const patched = await rawRequest(server.url, 'PATCH', `${SVC}/a`, { metadata: { labels: { x: '1' } } }, 'application/merge-patch+json');
  t.equal(patched.status, 200);
  const del = await rawRequest(server.url, 'DELETE', `${SVC}/before`);
  t.equal(del.status, 200);
  await eventually('three events', () => watch.events.length >= 3);
  t.same(watch.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a'], ['MODIFIED', 'a'], ['DELETED', 'before']]);
  const rvs = watch.events.map((e) => Number(e.object.metadata.resourceVersion));
  t.ok(rvs.every((rv, i) => i === 0 || rv > (rvs[i - 1] as number)), 'resourceVersions increase');
  t.equal(watch.events[0]?.object.kind, 'Service', 'watch objects carry their type');
  t.equal(rvs[2], server.resourceVersion, 'a deletion carries its own resourceVersion');

  // Resume from after the first event: only the last two come again.
  const resumed = await rawWatch(server.url, `${SVC}?watch=1&resourceVersion=${a.body.metadata.resourceVersion}`);
  t.teardown(() => resumed.close());
  await eventually('two replayed events', () => resumed.events.length >= 2);
  await new Promise((r) => setTimeout(r, 50));
  t.same(resumed.events.map((e: WatchEvent) => e.type), ['MODIFIED', 'DELETED']);

  // Without a resourceVersion, the watch starts with the current state.
  const fresh = await rawWatch(server.url, `${SVC}?watch=true`);
  t.teardown(() => fresh.close());
  await eventually('initial ADDED', () => fresh.events.length >= 1);
  t.same(fresh.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a']]);
});

t.test('bookmarks go only to watches that allow them, at the current resourceVersion', async (t) => {
  const server = await withServer(t);
  const rv = server.resourceVersion;
  const withMarks = await rawWatch(server.url, `/api/v1/nodes?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`);
  const without = await rawWatch(server.url, `/api/v1/nodes?watch=true&resourceVersion=${rv}`);
  t.teardown(() => {
    withMarks.close();
    without.close();
  });
  server.create('services', service('unrelated'));
  t.equal(server.sendBookmarks(), 1);
  await eventually('a bookmark', () => withMarks.events.length >= 1);
  const mark = withMarks.events[0];
  t.equal(mark?.type, 'BOOKMARK');
  t.same(mark?.object, { apiVersion: 'v1', kind: 'Node', metadata: { resourceVersion: String(server.resourceVersion) } });
  await new Promise((r) => setTimeout(r, 30));
  t.equal(without.events.length, 0, 'nothing for a watch that did not ask, and no unrelated events');

  const periodic = await withServer(t, { bookmarkIntervalMs: 30 });
  const ticking = await rawWatch(periodic.url, '/api/v1/nodes?watch=true&allowWatchBookmarks=true');
  t.teardown(() => ticking.close());
  await eventually('periodic bookmarks', () => ticking.events.filter((e) => e.type === 'BOOKMARK').length >= 2, 2_000);
});

t.test('after compaction an old resourceVersion answers 410 Expired: as an ERROR event, or as HTTP 410', async (t) => {
  const server = await withServer(t);
  const old = server.resourceVersion;
  server.create('services', service('a'));
  server.create('services', service('b'));
  server.compactBefore();
  const watch = await rawWatch(server.url, `${SVC}?watch=true&resourceVersion=${old}`);
  t.equal(watch.status, 200);
  t.equal(await watch.finished, 'end', 'the stream ends after the error');
  t.equal(watch.events.length, 1);
  t.equal(watch.events[0]?.type, 'ERROR');
  t.match(watch.events[0]?.object, { kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });

  const current = await rawWatch(server.url, `${SVC}?watch=true&resourceVersion=${server.resourceVersion}`);
  t.teardown(() => current.close());
  t.equal(current.status, 200);
  server.create('services', service('c'));
  await eventually('the current resourceVersion stays watchable', () => current.events.length === 1);

  server.expiredWatch = 'http-410';
  const refused = await rawRequest(server.url, 'GET', `${SVC}?watch=true&resourceVersion=${old}`);
  t.equal(refused.status, 410);
  t.match(refused.body, { kind: 'Status', code: 410, reason: 'Expired' });
});

t.test('timeoutSeconds ends a watch cleanly; breakWatches cuts it', async (t) => {
  const server = await withServer(t);
  const started = Date.now();
  const timed = await rawWatch(server.url, `${SVC}?watch=true&timeoutSeconds=1`);
  t.equal(await timed.finished, 'end');
  t.ok(Date.now() - started >= 900, 'not before the timeout');

  const cut = await rawWatch(server.url, `${SVC}?watch=true&resourceVersion=${server.resourceVersion}`);
  await eventually('the watch is registered', () => server.openWatches('services') === 1);
  t.equal(server.breakWatches(), 1);
  t.equal(await cut.finished, 'aborted');
  t.equal(server.openWatches(), 0);
});

t.test('label and field selectors filter lists and watches, with enter/leave as ADDED/DELETED', async (t) => {
  const server = await withServer(t);
  server.create('services', service('in', { app: 'web' }));
  server.create('services', service('out', { app: 'db' }));
  const list = await rawRequest(server.url, 'GET', `${SVC}?labelSelector=${encodeURIComponent('app in (web,api)')}`);
  t.same(list.body.items.map((i: any) => i.metadata.name), ['in']);
  const byName = await rawRequest(server.url, 'GET', `${SVC}?fieldSelector=metadata.name%3Dout`);
  t.same(byName.body.items.map((i: any) => i.metadata.name), ['out']);
  const notWeb = await rawRequest(server.url, 'GET', `${SVC}?labelSelector=app!%3Dweb`);
  t.same(notWeb.body.items.map((i: any) => i.metadata.name), ['out']);
  const bad = await rawRequest(server.url, 'GET', `${SVC}?labelSelector=app%20in%20(web`);
  t.equal(bad.status, 400);

  const watch = await rawWatch(server.url, `${SVC}?watch=true&resourceVersion=${server.resourceVersion}&labelSelector=app%3Dweb`);
  t.teardown(() => watch.close());
  server.patch('services', 'out', 'default', { metadata: { labels: { app: 'web' } } });
  server.patch('services', 'in', 'default', { metadata: { labels: { app: 'db' } } });
  server.patch('services', 'in', 'default', { metadata: { annotations: { note: 'not seen' } } });
  await eventually('two events', () => watch.events.length >= 2);
  await new Promise((r) => setTimeout(r, 30));
  t.same(watch.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'out'], ['DELETED', 'in']]);
  t.equal(watch.events[1]?.object.metadata.labels.app, 'web', 'a leaving object is sent as it was');
});

t.test('the status subresource: status writes keep spec, main writes keep status', async (t) => {
  const server = await withServer(t);
  const created = await rawRequest(server.url, 'POST', SVC, service('s'));
  const obj = created.body;

  obj.status = { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } };
  obj.spec.type = 'ClusterIP';
  const viaMain = await rawRequest(server.url, 'PUT', `${SVC}/s`, obj);
  t.equal(viaMain.status, 200);
  t.same(viaMain.body.status, { loadBalancer: {} }, 'PUT on the main resource ignores status');
  t.equal(viaMain.body.spec.type, 'ClusterIP');

  const statusObj = { ...viaMain.body, spec: { ...viaMain.body.spec, type: 'NodePort' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } };
  const viaStatus = await rawRequest(server.url, 'PUT', `${SVC}/s/status`, statusObj);
  t.equal(viaStatus.status, 200);
  t.same(viaStatus.body.status.loadBalancer.ingress, [{ ip: '192.0.2.10' }]);
  t.equal(viaStatus.body.spec.type, 'ClusterIP', 'PUT on /status ignores spec');

  const patched = await rawRequest(server.url, 'PATCH', `${SVC}/s/status`, { status: { loadBalancer: { ingress: [{ ip: '2001:db8::1' }] } } }, 'application/merge-patch+json');
  t.same(patched.body.status.loadBalancer.ingress, [{ ip: '2001:db8::1' }], 'a merge patch replaces the list');
  const badIp = await rawRequest(server.url, 'PATCH', `${SVC}/s/status`, { status: { loadBalancer: { ingress: [{ ip: '300.1.1.1' }] } } }, 'application/merge-patch+json');
  t.equal(badIp.status, 422);
  t.equal(badIp.body.reason, 'Invalid');

  // Custom resources: a status write changes nothing but status.
  const pool = server.create('metallb.io/ipaddresspools', { metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['192.0.2.0/24'] } });
  const crStatus = await rawRequest(server.url, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p/status', { metadata: { labels: { a: 'b' } }, spec: { addresses: [] }, status: { assigned: 1 } }, 'application/merge-patch+json');
  t.equal(crStatus.status, 200);
  t.same(crStatus.body.status, { assigned: 1 });
  t.same(crStatus.body.spec, pool['spec']);
  t.equal(crStatus.body.metadata.labels, undefined);
  t.equal(crStatus.body.metadata.generation, 1, 'a status write does not bump generation');
  const crSpec = await rawRequest(server.url, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p', { spec: { addresses: ['198.51.100.0/24'] } }, 'application/merge-patch+json');
  t.equal(crSpec.body.metadata.generation, 2, 'a spec change bumps generation');
  const noStatus = await rawRequest(server.url, 'GET', '/api/v1/namespaces/default/secrets/x/status');
  t.equal(noStatus.status, 404, 'no /status where the type has none');
});

t.test('patches: merge (null removes), strategic as merge, JSON patch, unsupported types', async (t) => {
  const server = await withServer(t);
  server.create('services', { metadata: { name: 's', annotations: { keep: '1', drop: '2' } }, spec: { type: 'LoadBalancer' } });
  const merge = await rawRequest(server.url, 'PATCH', `${SVC}/s`, { metadata: { annotations: { drop: null, 'metallb.io/ip-allocated-from-pool': 'p' } } }, 'application/merge-patch+json');
  t.same(merge.body.metadata.annotations, { keep: '1', 'metallb.io/ip-allocated-from-pool': 'p' });
  const strategic = await rawRequest(server.url, 'PATCH', `${SVC}/s`, { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
  t.same(strategic.body.metadata.labels, { a: 'b' });
  const json = await rawRequest(
    server.url,
    'PATCH',
    `${SVC}/s`,
    [
      { op: 'test', path: '/metadata/labels/a', value: 'b' },
      { op: 'add', path: '/metadata/annotations/x~1y', value: 'z' },
      { op: 'remove', path: '/metadata/annotations/keep' },
    ],
    'application/json-patch+json',
  );
  t.equal(json.status, 200);
  t.same(json.body.metadata.annotations, { 'metallb.io/ip-allocated-from-pool': 'p', 'x/y': 'z' });
  const failedTest = await rawRequest(server.url, 'PATCH', `${SVC}/s`, [{ op: 'test', path: '/metadata/labels/a', value: 'c' }], 'application/json-patch+json');
  t.equal(failedTest.status, 422);
  const apply = await rawRequest(server.url, 'PATCH', `${SVC}/s`, {}, 'application/apply-patch+yaml');
  t.equal(apply.status, 415);
  const missing = await rawRequest(server.url, 'PATCH', `${SVC}/nope`, {}, 'application/merge-patch+json');
  t.equal(missing.status, 404);
  t.equal(missing.body.reason, 'NotFound');
});

t.test('optimistic concurrency: stale resourceVersions answer 409 Conflict; no-op writes keep the resourceVersion', async (t) => {
  const server = await withServer(t);
  const created = (await rawRequest(server.url, 'POST', SVC, service('s'))).body;
  const again = await rawRequest(server.url, 'POST', SVC, service('s'));
  t.equal(again.status, 409);
  t.equal(again.body.reason, 'AlreadyExists');

  const first = await rawRequest(server.url, 'PUT', `${SVC}/s`, { ...created, metadata: { ...created.metadata, labels: { v: '1' } } });
  t.equal(first.status, 200);
  const stale = await rawRequest(server.url, 'PUT', `${SVC}/s`, { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
  t.equal(stale.status, 409);
  t.match(stale.body, { kind: 'Status', reason: 'Conflict', code: 409, details: { name: 's', kind: 'services' } });
  const stalePatch = await rawRequest(server.url, 'PATCH', `${SVC}/s`, { metadata: { resourceVersion: created.metadata.resourceVersion, labels: { v: '3' } } }, 'application/merge-patch+json');
  t.equal(stalePatch.status, 409, 'a resourceVersion in a patch is a precondition');
  const staleDelete = await rawRequest(server.url, 'DELETE', `${SVC}/s`, { preconditions: { resourceVersion: created.metadata.resourceVersion } });
  t.equal(staleDelete.status, 409);

  const rv = server.resourceVersion;
  const noop = await rawRequest(server.url, 'PUT', `${SVC}/s`, first.body);
  t.equal(noop.status, 200);
  t.equal(noop.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
  t.equal(server.resourceVersion, rv, 'no new resourceVersion for an unchanged object');

  const pool = server.create('metallb.io/ipaddresspools', { metadata: { name: 'p', namespace: 'metallb-system' }, spec: {} });
  const { resourceVersion: _rv, ...metaWithoutRv } = pool.metadata;
  const unconditional = await rawRequest(server.url, 'PUT', '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools/p', { ...pool, metadata: metaWithoutRv });
  t.equal(unconditional.status, 422, 'custom resources refuse an update without resourceVersion');

  t.throws(() => server.update('services', { ...created }), /modified/, 'the control API checks resourceVersion too');
});

t.test('validation the real server would do: namespaces, names, MicroTime, events', async (t) => {
  const server = await withServer(t);
  const noNs = await rawRequest(server.url, 'POST', '/api/v1/namespaces/absent/services', service('s'));
  t.equal(noNs.status, 404);
  t.match(noNs.body.message, /namespaces "absent" not found/);
  const badName = await rawRequest(server.url, 'POST', SVC, service('Not_Valid'));
  t.equal(badName.status, 422);
  const generated = await rawRequest(server.url, 'POST', SVC, { metadata: { generateName: 'gen-' }, spec: {} });
  t.match(generated.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  const wrongKind = await rawRequest(server.url, 'POST', SVC, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
  t.equal(wrongKind.status, 400);

  const leases = '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases';
  const millis = await rawRequest(server.url, 'POST', leases, { metadata: { name: 'l' }, spec: { holderIdentity: 'a', renewTime: '2024-01-01T00:00:00.123Z' } });
  t.equal(millis.status, 422, 'MicroTime needs six fractional digits');
  const micros = await rawRequest(server.url, 'POST', leases, { metadata: { name: 'l' }, spec: { holderIdentity: 'a', renewTime: '2024-01-01T00:00:00.123000Z', leaseDurationSeconds: 15 } });
  t.equal(micros.status, 201);

  const events = '/api/v1/namespaces/default/events';
  const wrongNs = await rawRequest(server.url, 'POST', events, { metadata: { name: 'e' }, involvedObject: { kind: 'Service', namespace: 'other', name: 's' }, reason: 'R', message: 'm', type: 'Normal' });
  t.equal(wrongNs.status, 422);
  const ok = await rawRequest(server.url, 'POST', events, { metadata: { name: 'e' }, involvedObject: { kind: 'Service', namespace: 'default', name: 's' }, reason: 'R', message: 'm', type: 'Normal' });
  t.equal(ok.status, 201);
});

t.test('test control: request counts, injected failures, namespace deletion takes its contents', async (t) => {
  const server = await withServer(t);
  await rawRequest(server.url, 'GET', SVC);
  await rawRequest(server.url, 'POST', SVC, service('s'));
  await rawRequest(server.url, 'GET', `${SVC}/s`);
  server.failRequests({ verb: 'list', resource: 'services', code: 500, count: 1 });
  const failed = await rawRequest(server.url, 'GET', SVC);
  t.equal(failed.status, 500);
  t.equal((await rawRequest(server.url, 'GET', SVC)).status, 200, 'the rule is spent');
  t.match(server.requestCounts(), { list: 3, get: 1, create: 1, watch: 0 });
  t.same(server.requests({ verb: 'list' }).map((r) => r.status), [200, 500, 200]);

  server.create('secrets', { metadata: { name: 'x', namespace: 'gone' }, data: {} });
  t.ok(server.get('namespaces', 'gone'), 'the control API creates a missing namespace');
  await rawRequest(server.url, 'DELETE', '/api/v1/namespaces/gone');
  t.equal(server.list('secrets', 'gone').length, 0);
  t.equal((await rawRequest(server.url, 'GET', '/api/v1/nothing')).status, 404);
});

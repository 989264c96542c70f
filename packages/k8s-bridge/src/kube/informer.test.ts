// Informers running the real @kubernetes/client-node 1.4.0 against the test API server:
// adds/updates/deletes, then outages (a cut watch, a 410 after compaction, failed lists) after
// which the store must equal the server's objects with every change seen exactly once.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1Service } from '@kubernetes/client-node';
import t from 'tap';
import type { InformerEvent, ResourceInformer } from './informer.js';
import { endpointSliceInformer, metallbInformer, nodeInformer, secretInformer, serviceInformer } from './informers.js';
import { eventually, startApiServer, type TestApiServer } from './test-helpers/api-server.js';

const FAST = { initialBackoffMs: 20, maxBackoffMs: 200 };

function svc(name: string, namespace = 'default', labels: Record<string, string> = {}): object {
  return { metadata: { name, namespace, labels }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
}

/** Events as comparable tuples: [type, key]. */
function recorder<T extends V1Service>(informer: ResourceInformer<T>): Array<[string, string]> {
  const seen: Array<[string, string]> = [];
  informer.onChange((e: InformerEvent<T>) => seen.push([e.type, `${e.object.metadata?.namespace}/${e.object.metadata?.name}`]));
  return seen;
}

/** The informer's store and the server agree on every object and its resourceVersion. */
function inStep(server: TestApiServer, informer: ResourceInformer<V1Service>): boolean {
  const want = server.list('services').map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
  const have = informer.list().map((o) => `${o.metadata?.namespace}/${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
  return JSON.stringify(want) === JSON.stringify(have);
}

async function startedServiceInformer(t: Tap, server: TestApiServer, kc: Parameters<typeof serviceInformer>[0], options = {}): Promise<ResourceInformer<V1Service>> {
  const informer = serviceInformer(kc, { ...FAST, ...options });
  t.teardown(() => informer.stop());
  informer.start();
  await informer.whenSynced(5_000);
  await eventually('the watch is open', () => server.openWatches('services') === 1);
  return informer;
}

type Tap = { teardown(fn: () => unknown): void };

t.test('an informer lists, then sees adds, updates and deletes once each', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', svc('existing'));
  const informer = serviceInformer(kc, FAST);
  t.teardown(() => informer.stop());
  const seen = recorder(informer);
  informer.start();
  await informer.whenSynced(5_000);
  t.same(seen, [['added', 'default/existing']], 'the initial list arrives as adds');
  t.type(informer.get('existing', 'default')?.metadata?.creationTimestamp, Date, 'listed objects are model instances');

  server.create('services', svc('new', 'other'));
  server.patch('services', 'existing', 'default', { metadata: { annotations: { a: '1' } } });
  server.delete('services', 'existing', 'default');
  await eventually('three more events', () => seen.length >= 4);
  t.same(seen.slice(1), [['added', 'other/new'], ['updated', 'default/existing'], ['deleted', 'default/existing']]);
  t.ok(inStep(server, informer));
  t.type(informer.get('new', 'other')?.metadata?.creationTimestamp, Date, 'watched objects get the same model classes');
  t.same(informer.keys(), ['other/new']);
  t.equal(informer.list('other').length, 1);
  t.equal(informer.stats().lists, 1);
});

t.test('updated events carry the previous object; an update with no new resourceVersion emits nothing', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', svc('s'));
  const informer = await startedServiceInformer(t, server, kc);
  const events: Array<InformerEvent<V1Service>> = [];
  informer.onChange((e) => events.push(e));
  server.patch('services', 's', 'default', { metadata: { labels: { v: '2' } } });
  server.patch('services', 's', 'default', { metadata: { labels: { v: '2' } } }); // no-op on the server
  await eventually('one update', () => events.length >= 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(events.length, 1);
  const e = events[0];
  t.equal(e?.type, 'updated');
  if (e?.type === 'updated') {
    t.same(e.previous.metadata?.labels, {});
    t.same(e.object.metadata?.labels, { v: '2' });
  }
});

t.test('a watch cut mid-stream: changes made during the outage arrive once each, without a re-list', async (t) => {
  const { server, kc } = await startApiServer(t);
  for (const n of ['a', 'b', 'c']) server.create('services', svc(n));
  const informer = await startedServiceInformer(t, server, kc);
  const seen = recorder(informer);
  const errors: unknown[] = [];
  informer.onError((e) => errors.push(e));

  // The next two watch attempts fail, so the outage outlasts the first reconnection.
  server.failRequests({ verb: 'watch', resource: 'services', code: 503, count: 2 });
  t.equal(server.breakWatches(), 1);
  server.create('services', svc('d'));
  server.patch('services', 'a', 'default', { spec: { ports: [{ port: 8080 }] } });
  server.delete('services', 'b', 'default');

  await eventually('the store converges', () => inStep(server, informer) && seen.length >= 3, 10_000);
  await new Promise((r) => setTimeout(r, 100));
  t.same(seen, [['added', 'default/d'], ['updated', 'default/a'], ['deleted', 'default/b']], 'each change once, nothing else');
  t.equal(informer.stats().lists, 1, 'resumed from the last resourceVersion: no re-list');
  t.ok(errors.length >= 1, 'the failed reconnections were reported');
  t.ok(informer.stats().restarts >= 1);
  t.equal(server.openWatches('services'), 1, 'exactly one watch afterwards');
});

for (const mode of ['error-event', 'http-410'] as const) {
  t.test(`410 Gone after compaction (${mode}): a re-list with synthetic deletes and no duplicates`, async (t) => {
    const { server, kc } = await startApiServer(t, { expiredWatch: mode });
    for (const n of ['a', 'b', 'c', 'same']) server.create('services', svc(n));
    const informer = await startedServiceInformer(t, server, kc);
    const seen = recorder(informer);

    server.failRequests({ verb: 'watch', resource: 'services', code: 503, count: 1 });
    server.breakWatches();
    server.create('services', svc('d'));
    server.patch('services', 'a', 'default', { metadata: { labels: { changed: 'yes' } } });
    server.delete('services', 'b', 'default');
    server.delete('services', 'c', 'default');
    server.create('services', svc('c')); // same name, new uid
    server.compactBefore();

    await eventually('the store converges', () => inStep(server, informer) && seen.length >= 5, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    const sorted = [...seen].sort((x, y) => (x[1] + x[0] < y[1] + y[0] ? -1 : 1));
    t.same(
      sorted,
      [['updated', 'default/a'], ['deleted', 'default/b'], ['added', 'default/c'], ['deleted', 'default/c'], ['added', 'default/d']],
      'each change once; "same" unchanged emits nothing',
    );
    const cIndex = seen.findIndex((e) => e[1] === 'default/c');
    t.same(seen.slice(cIndex, cIndex + 2), [['deleted', 'default/c'], ['added', 'default/c']], 're-created object: delete before add');
    t.equal(informer.stats().lists, 2, 'exactly one re-list');
    t.equal(informer.get('c', 'default')?.metadata?.uid, server.get('services', 'c')?.metadata.uid);
  });
}

t.test('a failing list is retried with backoff until the informer syncs', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', svc('a'));
  server.failRequests({ verb: 'list', resource: 'services', code: 500, count: 3 });
  const informer = serviceInformer(kc, FAST);
  t.teardown(() => informer.stop());
  const errors: unknown[] = [];
  informer.onError((e) => errors.push(e));
  informer.start();
  await informer.whenSynced(5_000);
  t.equal(errors.length, 3);
  t.equal(informer.stats().lists, 4);
  t.ok(informer.get('a', 'default'));
});

t.test('stop() ends the watch and no event follows', async (t) => {
  const { server, kc } = await startApiServer(t);
  const informer = await startedServiceInformer(t, server, kc);
  const seen = recorder(informer);
  const errors: unknown[] = [];
  informer.onError((e) => errors.push(e));
  await informer.stop();
  await eventually('the server sees the watch closed', () => server.openWatches() === 0);
  server.create('services', svc('late'));
  await new Promise((r) => setTimeout(r, 100));
  t.same(seen, []);
  t.same(errors, [], 'the abort of stop() is not reported as a failure');
  await t.rejects(serviceInformer(kc).whenSynced(20), /not synced/);
});

t.test('a label selector: objects entering and leaving it are added and deleted', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', svc('web', 'default', { app: 'web' }));
  server.create('services', svc('db', 'default', { app: 'db' }));
  const informer = await startedServiceInformer(t, server, kc, { labelSelector: 'app=web' });
  t.same(informer.keys(), ['default/web']);
  const seen = recorder(informer);
  server.patch('services', 'web', 'default', { metadata: { labels: { app: 'other' } } });
  server.patch('services', 'db', 'default', { metadata: { labels: { app: 'web' } } });
  await eventually('two events', () => seen.length >= 2);
  t.same(seen, [['deleted', 'default/web'], ['added', 'default/db']]);
  t.same(server.requests({ verb: 'watch' }).map((r) => new URLSearchParams(r.query).get('labelSelector')), ['app=web']);
});

t.test('the other informers: EndpointSlices, Nodes, Secrets, MetalLB CRDs', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('discovery.k8s.io/endpointslices', { metadata: { name: 's-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 's' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], nodeName: 'n1' }] });
  server.create('nodes', { metadata: { name: 'n1' }, spec: {} });
  server.create('secrets', { metadata: { name: 'bgp-pass', namespace: 'metallb-system' }, type: 'kubernetes.io/basic-auth', data: { password: 'c2VjcmV0' } });
  server.create('secrets', { metadata: { name: 'elsewhere', namespace: 'default' }, data: {} });
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'pool', namespace: 'metallb-system' }, spec: { addresses: ['192.0.2.0/24'] } });
  server.create('metallb.io/bgppeers', { metadata: { name: 'peer', namespace: 'metallb-system' }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1' } });

  const slices = endpointSliceInformer(kc, FAST);
  const nodes = nodeInformer(kc, FAST);
  const secrets = secretInformer(kc, 'metallb-system', FAST);
  const pools = metallbInformer(kc, 'ipaddresspools', 'metallb-system', FAST);
  const peers = metallbInformer(kc, 'bgppeers', 'metallb-system', FAST);
  const all = [slices, nodes, secrets, pools, peers];
  t.teardown(() => Promise.all(all.map((i) => i.stop())));
  for (const i of all) i.start();
  await Promise.all(all.map((i) => i.whenSynced(5_000)));

  t.equal(slices.get('s-1', 'default')?.endpoints[0]?.nodeName, 'n1');
  t.ok(nodes.get('n1'));
  t.same(secrets.keys(), ['metallb-system/bgp-pass'], 'only the namespace asked for');
  t.equal(secrets.get('bgp-pass', 'metallb-system')?.data?.['password'], 'c2VjcmV0');
  t.same(pools.get('pool', 'metallb-system')?.spec, { addresses: ['192.0.2.0/24'] });
  t.equal(peers.get('peer', 'metallb-system')?.apiVersion, 'metallb.io/v1beta2');

  const poolEvents: string[] = [];
  pools.onChange((e) => poolEvents.push(`${e.type}:${e.object.metadata?.name}`));
  server.patch('metallb.io/ipaddresspools', 'pool', 'metallb-system', { spec: { autoAssign: false } });
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'pool2', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/24'] } });
  server.delete('nodes', 'n1');
  await eventually('CRD and node events', () => poolEvents.length >= 2 && nodes.size === 0);
  t.same(poolEvents, ['updated:pool', 'added:pool2']);
  t.equal(pools.get('pool', 'metallb-system')?.spec?.['autoAssign'], false);
});

t.test('a kubeconfig file written for the server works with KubeConfig.loadFromFile', async (t) => {
  const { server } = await startApiServer(t);
  server.create('services', svc('from-file'));
  const dir = await mkdtemp(join(tmpdir(), 'k8s-api-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'kubeconfig');
  await server.writeKubeconfig(path);
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  t.equal(kc.getCurrentCluster()?.server, server.url);
  const informer = serviceInformer(kc, FAST);
  t.teardown(() => informer.stop());
  informer.start();
  await informer.whenSynced(5_000);
  t.same(informer.keys(), ['default/from-file']);
});

t.test('bookmarks move the resume point: after compaction a resumed watch needs no re-list', async (t) => {
  const { server, kc } = await startApiServer(t);
  server.create('services', svc('a'));
  const informer = await startedServiceInformer(t, server, kc);
  // Writes to other types move the global resourceVersion past the informer's last event.
  for (let i = 0; i < 5; i++) server.create('nodes', { metadata: { name: `n${i}` } });
  const bookmarked = server.resourceVersion;
  t.equal(server.sendBookmarks(), 1, 'the informer asked for bookmarks');
  await new Promise((r) => setTimeout(r, 50));
  server.compactBefore();
  server.breakWatches();
  await eventually('watching again', () => server.openWatches('services') === 1, 5_000);
  const lastWatch = server.requests({ verb: 'watch', resource: 'services' }).at(-1);
  t.equal(new URLSearchParams(lastWatch?.query).get('resourceVersion'), String(bookmarked));
  t.equal(informer.stats().lists, 1, 'no 410, so no re-list');
});

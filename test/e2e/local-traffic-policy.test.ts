/**
 * End to end, externalTrafficPolicy Local: only the node holding a ready endpoint announces the
 * Service, so FRR's next hop for its address follows the endpoint. The seed's configuration
 * (fixtures/k8s-bridge/kubespray-bgp-password.yaml) on two nodes, FRR at 192.0.2.1.
 */
import t from 'tap';
import type { EndpointSpec, KubeObject } from '../support/bridge.js';
import { E2E, bridgeFixture, e2eNodes, endpointSlice, loadBalancerService, startBridgeCluster, waitPaths } from '../support/bridge.js';

const NODE_A = '192.0.2.101';
const NODE_B = '192.0.2.102';

/** A Local Service with its endpoints as given, and a Cluster Service with an endpoint on each node. */
function cluster(localEndpoints: readonly EndpointSpec[]): KubeObject[] {
  return [
    ...e2eNodes(),
    loadBalancerService('default', 'ingress', { externalTrafficPolicy: 'Local', port: 443 }),
    endpointSlice('default', 'ingress', localEndpoints, 443),
    loadBalancerService('default', 'web'),
    endpointSlice('default', 'web', [
      { address: '10.244.1.10', nodeName: 'node-a' },
      { address: '10.244.2.10', nodeName: 'node-b' },
    ]),
  ];
}

t.test("externalTrafficPolicy Local: FRR's next hop follows the endpoint from node-a to node-b", async (t) => {
  const lab = await startBridgeCluster(t, {
    config: { file: bridgeFixture('kubespray-bgp-password.yaml') },
    cluster: cluster([{ address: '10.244.1.50', nodeName: 'node-a' }]),
  });
  const [a, b] = lab.bridges;
  if (a === undefined || b === undefined) throw new Error('two bridges expected');
  const allocated = await a.waitAllocated(['default/ingress', 'default/web']);
  t.same(await b.waitAllocated(['default/ingress', 'default/web']), allocated, 'both nodes allocated the same');
  const ingress = `${allocated.get('default/ingress')?.ips[0] ?? 'none'}/32`;
  const web = `${allocated.get('default/web')?.ips[0] ?? 'none'}/32`;
  t.not(ingress, web, 'two Services, two addresses');

  // The Cluster Service from both nodes shows that both have applied the file.
  await waitPaths(lab.frr, web, [NODE_A, NODE_B], 30_000, () => lab.logs());
  const before = await waitPaths(lab.frr, ingress, [NODE_A], 10_000, () => lab.logs());
  t.equal(before.length, 1, `${ingress}: one path at FRR`);
  t.equal(before[0]?.nextHop, NODE_A, `${ingress}: next hop 192.0.2.101 (node-a holds the endpoint)`);
  t.same(before[0]?.asPath, [E2E.ourAsn], `${ingress}: AS path [4200000000]`);
  t.ok((await a.advertisedRoutes()).some((r) => r.prefix === ingress), 'node-a announces it');
  t.notOk((await b.advertisedRoutes()).some((r) => r.prefix === ingress), 'node-b does not');

  // The pod moves: the EndpointSlice now puts the endpoint on node-b (file edited in place).
  await lab.writeCluster(cluster([{ address: '10.244.2.50', nodeName: 'node-b' }]), { inPlace: true });
  const after = await waitPaths(lab.frr, ingress, [NODE_B], 30_000, () => lab.logs());
  t.equal(after[0]?.nextHop, NODE_B, `${ingress}: next hop moved to 192.0.2.102`);
  t.equal(after[0]?.peer, NODE_B, 'learnt from node-b');
  t.same(after[0]?.asPath, [E2E.ourAsn], `${ingress}: AS path [4200000000]`);
  t.notOk((await a.advertisedRoutes()).some((r) => r.prefix === ingress), 'node-a withdrew it');
  t.ok((await b.advertisedRoutes()).some((r) => r.prefix === ingress), 'node-b announces it');
  t.equal((await waitPaths(lab.frr, web, [NODE_A, NODE_B], 5_000, () => lab.logs())).length, 2, 'the Cluster Service is untouched');

  // The endpoint stops being ready: nobody announces the Local Service (renamed over this time).
  await lab.writeCluster(cluster([{ address: '10.244.2.50', nodeName: 'node-b', ready: false }]));
  await waitPaths(lab.frr, ingress, [], 30_000, () => lab.logs());
  t.pass(`${ingress}: withdrawn when its only endpoint is not ready`);
  t.notOk((await b.advertisedRoutes()).some((r) => r.prefix === ingress), 'node-b no longer announces it');

  // Ready again, on node-a: the same address comes back (the allocation was kept), via node-a.
  await lab.writeCluster(cluster([{ address: '10.244.1.51', nodeName: 'node-a' }]));
  const back = await waitPaths(lab.frr, ingress, [NODE_A], 30_000, () => lab.logs());
  t.equal(back[0]?.nextHop, NODE_A, `${ingress}: back, via 192.0.2.101`);
});

/**
 * End to end, a pool with auto_assign: false (fixtures/k8s-bridge/e2e/kubespray-bgp-manual-pool.yaml:
 * the seed's BGP mode with its password plus kube_service_pool_1, 10.6.0.0/16): only the Service
 * that asks for it with the annotation metallb.io/address-pool gets one of its addresses, and FRR
 * holds that address; every other Service, also one added later, gets one from 10.5.0.0/16.
 */
import t from 'tap';
import type { KubeObject } from '../support/bridge.js';
import { E2E, bridgeFixture, e2eNodes, endpointSlice, inIpv4Cidr, loadBalancerService, startBridgeCluster, waitPaths } from '../support/bridge.js';

const NODE_A = '192.0.2.101';
const NODE_B = '192.0.2.102';
const MANUAL_POOL = 'kube_service_pool_1';

function withEndpoints(namespace: string, name: string, service: KubeObject): KubeObject[] {
  return [
    service,
    endpointSlice(namespace, name, [
      { address: '10.244.1.7', nodeName: 'node-a' },
      { address: '10.244.2.7', nodeName: 'node-b' },
    ]),
  ];
}

function cluster(extra: readonly KubeObject[] = []): KubeObject[] {
  return [
    ...e2eNodes(),
    ...withEndpoints('default', 'web', loadBalancerService('default', 'web')),
    ...withEndpoints('shop', 'checkout', loadBalancerService('shop', 'checkout', { annotations: { 'metallb.io/address-pool': MANUAL_POOL } })),
    ...withEndpoints('default', 'api', loadBalancerService('default', 'api')),
    ...extra,
  ];
}

t.test('a pool with auto_assign false serves only the Service that asks for it', async (t) => {
  const lab = await startBridgeCluster(t, { config: { file: bridgeFixture('e2e/kubespray-bgp-manual-pool.yaml') }, cluster: cluster() });
  const [a, b] = lab.bridges;
  if (a === undefined || b === undefined) throw new Error('two bridges expected');
  const keys = ['default/web', 'shop/checkout', 'default/api'];
  const allocated = await a.waitAllocated(keys);
  t.same(await b.waitAllocated(keys), allocated, 'both nodes allocated the same');

  const checkout = allocated.get('shop/checkout');
  const checkoutIp = checkout?.ips[0] ?? '';
  t.equal(checkout?.pool, MANUAL_POOL, 'shop/checkout: from the pool it asked for');
  t.ok(inIpv4Cidr(checkoutIp, '10.6.0.0/16'), `shop/checkout: ${checkoutIp} is in 10.6.0.0/16`);
  t.notOk(/\.(0|255)$/.test(checkoutIp), `shop/checkout: ${checkoutIp} is not a .0 or .255 address (avoid_buggy_ips: true)`);
  for (const key of ['default/web', 'default/api']) {
    const ip = allocated.get(key)?.ips[0] ?? '';
    t.equal(allocated.get(key)?.pool, 'loadbalanced', `${key}: from the auto-assigned pool`);
    t.ok(inIpv4Cidr(ip, '10.5.0.0/16'), `${key}: ${ip} is in 10.5.0.0/16`);
  }

  for (const key of keys) {
    const ip = allocated.get(key)?.ips[0] ?? '';
    const paths = await waitPaths(lab.frr, `${ip}/32`, [NODE_A, NODE_B], 30_000, () => lab.logs());
    t.ok(paths.every((p) => p.asPath.join() === String(E2E.ourAsn)), `${key}: ${ip}/32 at FRR from both nodes, AS path [4200000000]`);
  }
  const manualAtFrr = [...new Set((await lab.frr.routes('ipv4')).map((r) => r.prefix))].filter((p) => inIpv4Cidr(p.split('/')[0] ?? '', '10.6.0.0/16'));
  t.same(manualAtFrr, [`${checkoutIp}/32`], "FRR holds exactly one address of the manual pool: shop/checkout's");

  // A Service added later without the annotation still does not get one of the manual pool.
  await lab.writeCluster(cluster(withEndpoints('default', 'late', loadBalancerService('default', 'late'))));
  const late = (await a.waitAllocated(['default/late'])).get('default/late');
  const lateIp = late?.ips[0] ?? '';
  t.equal(late?.pool, 'loadbalanced', 'default/late: from the auto-assigned pool');
  t.ok(inIpv4Cidr(lateIp, '10.5.0.0/16'), `default/late: ${lateIp} is in 10.5.0.0/16`);
  t.same((await b.waitAllocated(['default/late'])).get('default/late'), late, 'node-b allocated the same');
  await waitPaths(lab.frr, `${lateIp}/32`, [NODE_A, NODE_B], 30_000, () => lab.logs());
  const manualAfter = [...new Set((await lab.frr.routes('ipv4')).map((r) => r.prefix))].filter((p) => inIpv4Cidr(p.split('/')[0] ?? '', '10.6.0.0/16'));
  t.same(manualAfter, [`${checkoutIp}/32`], 'still only shop/checkout from the manual pool');
});

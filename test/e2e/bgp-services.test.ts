/**
 * End to end, the seed's BGP mode: FRR at 192.0.2.1 (AS 64512, password changeme) and two
 * Kubernetes nodes, each running `k8s-bridge standalone` with the seed's kubespray variables
 * unchanged (fixtures/k8s-bridge/kubespray-bgp-password.yaml). Every LoadBalancer Service gets an
 * address from 10.5.0.0/16, and FRR holds it from both nodes with AS path [4200000000]; a Service
 * deleted from the cluster file is withdrawn.
 */
import t from 'tap';
import type { LabRoute } from '../lab/router.js';
import {
  E2E,
  bridgeFixture,
  e2eNodes,
  endpointSlice,
  inIpv4Cidr,
  loadBalancerService,
  startBridgeCluster,
  waitPaths,
} from '../support/bridge.js';
import type { KubeObject } from '../support/bridge.js';

const NODE_A = '192.0.2.101';
const NODE_B = '192.0.2.102';

/** Four Services, externalTrafficPolicy Cluster, with ready endpoints spread over the nodes. */
function services(without: readonly string[] = []): KubeObject[] {
  const all: [string, string, KubeObject[]][] = [
    ['default', 'web', [loadBalancerService('default', 'web'), endpointSlice('default', 'web', [{ address: '10.244.1.10', nodeName: 'node-a' }])]],
    ['default', 'api', [loadBalancerService('default', 'api', { port: 443 }), endpointSlice('default', 'api', [{ address: '10.244.2.10', nodeName: 'node-b' }], 443)]],
    [
      'shop',
      'checkout',
      [
        loadBalancerService('shop', 'checkout', { port: 8443 }),
        endpointSlice('shop', 'checkout', [
          { address: '10.244.1.20', nodeName: 'node-a' },
          { address: '10.244.2.20', nodeName: 'node-b' },
        ], 8443),
      ],
    ],
    ['monitoring', 'grafana', [loadBalancerService('monitoring', 'grafana', { port: 3000 }), endpointSlice('monitoring', 'grafana', [{ address: '10.244.2.30', nodeName: 'node-b' }], 3000)]],
  ];
  return [
    ...e2eNodes(),
    ...all.filter(([ns, name]) => !without.includes(`${ns}/${name}`)).flatMap(([, , objects]) => objects),
    // Deleted Services keep their EndpointSlice here: the Service alone decides.
    ...all.filter(([ns, name]) => without.includes(`${ns}/${name}`)).flatMap(([, , objects]) => objects.filter((o) => o['kind'] === 'EndpointSlice')),
  ];
}

const KEYS = ['default/web', 'default/api', 'shop/checkout', 'monitoring/grafana'];

t.test('every Service address from 10.5.0.0/16 is in FRR, from both nodes, AS path [4200000000]; a deleted Service is withdrawn', async (t) => {
  const cluster = await startBridgeCluster(t, { config: { file: bridgeFixture('kubespray-bgp-password.yaml') }, cluster: services() });
  const [a, b] = cluster.bridges;
  if (a === undefined || b === undefined) throw new Error('two bridges expected');

  // (a) allocations: every Service, from the seed's range, the same on both nodes.
  const onA = await a.waitAllocated(KEYS);
  const onB = await b.waitAllocated(KEYS);
  const ips = new Map<string, string>();
  for (const key of KEYS) {
    const allocation = onA.get(key);
    t.equal(allocation?.ips.length, 1, `${key}: one address`);
    const ip = allocation?.ips[0] ?? '';
    t.ok(inIpv4Cidr(ip, '10.5.0.0/16'), `${key}: ${ip} is in 10.5.0.0/16`);
    t.equal(allocation?.pool, 'loadbalanced', `${key}: from kubespray's pool "loadbalanced"`);
    t.same(onB.get(key), allocation, `${key}: node-b allocated the same`);
    ips.set(key, ip);
  }
  t.equal(new Set(ips.values()).size, KEYS.length, 'four different addresses');

  for (const [index, bridge] of cluster.bridges.entries()) {
    const neighbor = await bridge.waitEstablished(E2E.router.address);
    t.equal(neighbor.asn, E2E.router.asn, `${bridge.nodeName}: its neighbor is FRR, AS 64512`);
    const address = E2E.nodes[index]?.address ?? '';
    const atFrr = JSON.parse(await cluster.frr.vtysh(`show bgp neighbors ${address} json`)) as Record<string, { remoteRouterId?: string; remoteAs?: number }>;
    t.equal(atFrr[address]?.remoteRouterId, address, `${bridge.nodeName}: router id ${address}, its Node's InternalIP`);
    t.equal(atFrr[address]?.remoteAs, E2E.ourAsn, `${bridge.nodeName}: AS 4200000000 at FRR (the seed's my_asn)`);
  }

  // (a) FRR's own table: each address from both nodes (Cluster policy), AS path [4200000000].
  for (const [key, ip] of ips) {
    const paths = await waitPaths(cluster.frr, `${ip}/32`, [NODE_A, NODE_B], 30_000, () => cluster.logs());
    for (const path of paths) {
      t.same(path.asPath, [E2E.ourAsn], `${key} ${ip}/32 via ${path.nextHop}: AS path [4200000000]`);
      t.equal(path.peer, path.nextHop, `${key} via ${path.nextHop}: learnt from that node (next hop self)`);
    }
  }
  const table = await cluster.frr.routes('ipv4');
  t.same(
    [...new Set(table.map((r: LabRoute) => r.prefix))].sort(),
    [...ips.values()].map((ip) => `${ip}/32`).sort(),
    "FRR holds exactly the Services' addresses",
  );
  for (const bridge of cluster.bridges) {
    const advertised = (await bridge.advertisedRoutes()).map((r) => r.prefix).sort();
    t.same(advertised, [...ips.values()].map((ip) => `${ip}/32`).sort(), `${bridge.nodeName}: routes --json lists the four /32s`);
    t.equal((await bridge.neighbor(E2E.router.address)).advertised, KEYS.length, `${bridge.nodeName}: four prefixes advertised to FRR`);
  }

  // (b) the Service default/api is deleted from the cluster file (written anew, renamed over).
  await cluster.writeCluster(services(['default/api']));
  const apiIp = ips.get('default/api') ?? '';
  await cluster.frr.waitNoRoute('ipv4', `${apiIp}/32`, 30_000);
  t.pass(`FRR no longer holds ${apiIp}/32 (default/api deleted)`);
  for (const key of KEYS.filter((k) => k !== 'default/api')) {
    const ip = ips.get(key) ?? '';
    const paths = await waitPaths(cluster.frr, `${ip}/32`, [NODE_A, NODE_B], 5_000, () => cluster.logs());
    t.equal(paths.length, 2, `${key} keeps ${ip}/32 from both nodes`);
  }
  for (const bridge of cluster.bridges) {
    const advertised = (await bridge.advertisedRoutes()).map((r) => r.prefix);
    t.notOk(advertised.includes(`${apiIp}/32`), `${bridge.nodeName}: no longer announces ${apiIp}/32`);
    t.equal(advertised.length, KEYS.length - 1, `${bridge.nodeName}: the three others are still announced`);
  }
  t.notMatch(cluster.logs(), E2E.password, 'the password appears in no log');
});

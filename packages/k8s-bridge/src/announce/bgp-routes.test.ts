/**
 * bgpRoutesForNode: which service addresses a node announces, with which attributes, to which
 * peers. Configurations are written as MetalLB objects and go through the real loader, so each
 * case is an input an operator could apply.
 */
import t from 'tap';
import { parseConfigText } from '../config/load.js';
import type { BridgeConfig } from '../config/model.js';
import { EXCLUDE_FROM_LB_LABEL, bgpRoutesForNode, nodeIneligibility } from './bgp-routes.js';
import type { AnnouncedService, NodeState } from './bgp-routes.js';

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: public, namespace: metallb-system }
spec:
  addresses: [10.5.0.0/16, 2001:db8:5::/64]
`;

/** tor-a (192.0.2.1) meets every node; tor-b (192.0.2.2) only nodes labelled rack=b. */
const PEERS = `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor-a, namespace: metallb-system }
spec: { myASN: 4200000000, peerASN: 64512, peerAddress: 192.0.2.1 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor-b, namespace: metallb-system }
spec:
  myASN: 4200000000
  peerASN: 64513
  peerAddress: 192.0.2.2
  nodeSelectors: [{ matchLabels: { rack: b } }]
`;

/** tor-a and tor-b both meet every node. */
const PEERS_EVERYWHERE = `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor-a, namespace: metallb-system }
spec: { myASN: 4200000000, peerASN: 64512, peerAddress: 192.0.2.1 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: tor-b, namespace: metallb-system }
spec: { myASN: 4200000000, peerASN: 64513, peerAddress: 192.0.2.2 }
`;

function advertisement(name: string, spec: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: ${name}, namespace: metallb-system }
spec:
${spec
  .trim()
  .split('\n')
  .map((line) => `  ${line}`)
  .join('\n')}
`;
}

const PLAIN_AD = advertisement('all', 'ipAddressPools: [public]');

function config(...documents: string[]): BridgeConfig {
  return parseConfigText(documents.join('---\n'), 'bgp-routes.test.yaml');
}

function node(name: string, labels: Record<string, string> = {}, networkUnavailable = false): NodeState {
  return { name, labels, networkUnavailable };
}

function service(name: string, ips: readonly string[], options: Partial<Omit<AnnouncedService, 'name' | 'ips'>> = {}): AnnouncedService {
  return {
    namespace: options.namespace ?? 'default',
    name,
    labels: options.labels ?? {},
    ips,
    pool: options.pool ?? 'public',
    externalTrafficPolicy: options.externalTrafficPolicy ?? 'Cluster',
    readyEndpointNodes: options.readyEndpointNodes ?? new Set(['node-a']),
  };
}

const prefixes = (routes: readonly { prefix: string }[]): string[] => routes.map((r) => r.prefix);

t.test('externalTrafficPolicy Cluster: every eligible node announces a service with a ready endpoint anywhere', async (t) => {
  const cfg = config(POOL, PEERS, PLAIN_AD);
  const services = [
    service('web', ['10.5.0.7'], { readyEndpointNodes: new Set(['node-c']) }),
    service('idle', ['10.5.0.8'], { readyEndpointNodes: new Set() }),
  ];
  const a = bgpRoutesForNode(cfg, 'node-a', node('node-a'), services);
  t.same(a.routes, [{ prefix: '10.5.0.7/32', nextHop: 'self', communities: [], largeCommunities: [], peers: ['192.0.2.1'] }], 'node-a announces web, held on node-c');
  t.equal(a.ineligible, undefined);
  const b = bgpRoutesForNode(cfg, 'node-b', node('node-b', { rack: 'b' }), services);
  t.same(prefixes(b.routes), ['10.5.0.7/32'], 'node-b announces it too');
  t.same(b.routes[0]?.peers, ['192.0.2.1', '192.0.2.2'], 'to both of its peers');
  t.notOk(prefixes(a.routes).includes('10.5.0.8/32'), 'a service without a ready endpoint is announced by nobody');
});

t.test('externalTrafficPolicy Local: only nodes holding a ready endpoint announce', async (t) => {
  const cfg = config(POOL, PEERS, PLAIN_AD);
  const local = service('local', ['10.5.0.9'], { externalTrafficPolicy: 'Local', readyEndpointNodes: new Set(['node-a']) });
  t.same(prefixes(bgpRoutesForNode(cfg, 'node-a', node('node-a'), [local]).routes), ['10.5.0.9/32'], 'the node with the endpoint');
  t.same(bgpRoutesForNode(cfg, 'node-b', node('node-b'), [local]).routes, [], 'a node without one announces nothing');
  const moved = { ...local, readyEndpointNodes: new Set(['node-b']) };
  t.same(bgpRoutesForNode(cfg, 'node-a', node('node-a'), [moved]).routes, [], 'after the endpoint moved: not node-a');
  t.same(prefixes(bgpRoutesForNode(cfg, 'node-b', node('node-b'), [moved]).routes), ['10.5.0.9/32'], 'but node-b');
  const none = { ...local, readyEndpointNodes: new Set<string>() };
  t.same(bgpRoutesForNode(cfg, 'node-a', node('node-a'), [none]).routes, [], 'no ready endpoint: nobody');
});

t.test('ineligible nodes announce nothing and say why', async (t) => {
  const cfg = config(POOL, PEERS, PLAIN_AD);
  const services = [service('web', ['10.5.0.7'], { readyEndpointNodes: new Set(['node-a', 'node-b']) })];

  const excluded = bgpRoutesForNode(cfg, 'node-a', node('node-a', { [EXCLUDE_FROM_LB_LABEL]: 'true' }), services);
  t.same(excluded.routes, []);
  t.match(excluded.ineligible, EXCLUDE_FROM_LB_LABEL, 'the exclude label is named');
  t.same(excluded.peers.map((p) => p.name), ['tor-a'], 'its sessions are still listed (the peers match it)');
  const emptyValue = bgpRoutesForNode(cfg, 'node-a', node('node-a', { [EXCLUDE_FROM_LB_LABEL]: '' }), services);
  t.same(emptyValue.routes, [], 'the label counts whatever its value, also empty');

  const unavailable = bgpRoutesForNode(cfg, 'node-a', node('node-a', {}, true), services);
  t.same(unavailable.routes, []);
  t.match(unavailable.ineligible, /NetworkUnavailable/);

  const unknown = bgpRoutesForNode(cfg, 'node-x', undefined, services);
  t.same(unknown.routes, []);
  t.match(unknown.ineligible, /node-x is not known/);

  t.equal(nodeIneligibility(node('node-a', { 'node.kubernetes.io/other': 'x' }), 'node-a'), undefined, 'other labels do not matter');
  // A Local service whose only endpoint is on an excluded node is announced by nobody.
  const local = [service('local', ['10.5.0.9'], { externalTrafficPolicy: 'Local', readyEndpointNodes: new Set(['node-a']) })];
  t.same(bgpRoutesForNode(cfg, 'node-a', node('node-a', { [EXCLUDE_FROM_LB_LABEL]: 'true' }), local).routes, []);
});

t.test("an advertisement's nodeSelectors choose the nodes that announce", async (t) => {
  const cfg = config(POOL, PEERS, advertisement('edge', 'ipAddressPools: [public]\nnodeSelectors: [{ matchLabels: { edge: "true" } }]'));
  const services = [service('web', ['10.5.0.7'], { readyEndpointNodes: new Set(['node-a', 'node-b']) })];
  t.same(prefixes(bgpRoutesForNode(cfg, 'node-a', node('node-a', { edge: 'true' }), services).routes), ['10.5.0.7/32'], 'edge node announces');
  const plain = bgpRoutesForNode(cfg, 'node-b', node('node-b'), services);
  t.same(plain.routes, [], 'a node the selector does not match announces nothing');
  t.equal(plain.ineligible, undefined, 'although it is eligible');
});

t.test("an advertisement's serviceSelectors choose the services", async (t) => {
  const cfg = config(POOL, PEERS, advertisement('public', 'ipAddressPools: [public]\nserviceSelectors: [{ matchExpressions: [{ key: expose, operator: In, values: [public] }] }]'));
  const services = [
    service('shop', ['10.5.0.7'], { labels: { expose: 'public' } }),
    service('admin', ['10.5.0.8'], { labels: { expose: 'internal' } }),
    service('bare', ['10.5.0.9']),
  ];
  t.same(prefixes(bgpRoutesForNode(cfg, 'node-a', node('node-a'), services).routes), ['10.5.0.7/32']);
});

t.test('aggregationLength: the announced prefix is the address aggregated, and one aggregate covers several services', async (t) => {
  const cfg = config(POOL, PEERS, advertisement('agg', 'ipAddressPools: [public]\naggregationLength: 24\naggregationLengthV6: 64'));
  const one = bgpRoutesForNode(cfg, 'node-a', node('node-a'), [service('web', ['10.5.0.7'])]);
  t.same(prefixes(one.routes), ['10.5.0.0/24'], '10.5.0.7 with aggregationLength 24 is 10.5.0.0/24');
  const several = bgpRoutesForNode(cfg, 'node-a', node('node-a'), [
    service('web', ['10.5.0.7']),
    service('api', ['10.5.0.200']),
    service('db', ['10.5.1.3']),
    service('v6', ['2001:db8:5::7']),
  ]);
  t.same(prefixes(several.routes), ['10.5.0.0/24', '10.5.1.0/24', '2001:db8:5::/64'], 'one route per aggregate, in prefix order');
});

t.test('peers: an advertisement naming one peer, and peers limited to some nodes', async (t) => {
  const cfg = config(
    POOL,
    PEERS_EVERYWHERE,
    advertisement('to-a', 'ipAddressPools: [public]\npeers: [tor-a]\nserviceSelectors: [{ matchLabels: { to: a } }]'),
    advertisement('to-both', 'ipAddressPools: [public]\nserviceSelectors: [{ matchLabels: { to: both } }]'),
  );
  const services = [service('only-a', ['10.5.0.7'], { labels: { to: 'a' } }), service('both', ['10.5.0.8'], { labels: { to: 'both' } })];
  const result = bgpRoutesForNode(cfg, 'node-a', node('node-a'), services);
  t.same(result.peers.map((p) => p.address), ['192.0.2.1', '192.0.2.2'], 'the node meets both peers');
  t.same(
    result.routes.map((r) => [r.prefix, r.peers]),
    [
      ['10.5.0.7/32', ['192.0.2.1']],
      ['10.5.0.8/32', ['192.0.2.1', '192.0.2.2']],
    ],
    'the advertisement naming tor-a reaches only 192.0.2.1; the other reaches both',
  );

  // tor-b only meets rack=b nodes.
  const limited = config(POOL, PEERS, advertisement('to-b', 'ipAddressPools: [public]\npeers: [tor-b]'));
  const web = [service('web', ['10.5.0.7'])];
  const rackA = bgpRoutesForNode(limited, 'node-a', node('node-a', { rack: 'a' }), web);
  t.same(rackA.peers.map((p) => p.name), ['tor-a'], 'a rack-a node has a session with tor-a only');
  t.same(rackA.routes, [], 'an advertisement to tor-b gives it nothing to announce');
  const rackB = bgpRoutesForNode(limited, 'node-b', node('node-b', { rack: 'b' }), web);
  t.same(rackB.peers.map((p) => p.name), ['tor-a', 'tor-b']);
  t.same(rackB.routes.map((r) => [r.prefix, r.peers]), [['10.5.0.7/32', ['192.0.2.2']]], 'a rack-b node announces to tor-b only');

  const everyPeer = bgpRoutesForNode(config(POOL, PEERS, PLAIN_AD), 'node-a', node('node-a', { rack: 'a' }), web);
  t.same(everyPeer.routes[0]?.peers, ['192.0.2.1'], 'an advertisement naming no peer goes to the peers of this node only');
});

t.test('two advertisements of one address: one route, communities joined, the highest LOCAL_PREF', async (t) => {
  const cfg = config(
    POOL,
    PEERS_EVERYWHERE,
    advertisement('base', 'ipAddressPools: [public]\npeers: [tor-a]\ncommunities: ["64512:100"]\nlocalPref: 100'),
    // A node selector keeps the loader from refusing two LOCAL_PREFs for the same prefix everywhere.
    advertisement('edge', 'ipAddressPools: [public]\npeers: [tor-b]\ncommunities: ["64512:200", no-export, "large:4200000000:1:2"]\nlocalPref: 250\nnodeSelectors: [{ matchLabels: { edge: "true" } }]'),
  );
  const services = [service('web', ['10.5.0.7', '2001:db8:5::7'])];
  const merged = bgpRoutesForNode(cfg, 'node-a', node('node-a', { edge: 'true' }), services);
  t.equal(merged.routes.length, 2, 'one route per address, not one per advertisement');
  for (const route of merged.routes) {
    t.same([...(route.communities ?? [])].sort(), ['64512:100', '64512:200', '65535:65281'], `${route.prefix}: communities of both (no-export as 65535:65281)`);
    t.same(route.largeCommunities, ['4200000000:1:2'], `${route.prefix}: the large community`);
    t.equal(route.localPref, 250, `${route.prefix}: the higher LOCAL_PREF`);
    t.same(route.peers, ['192.0.2.1', '192.0.2.2'], `${route.prefix}: the peers of both`);
  }
  const plain = bgpRoutesForNode(cfg, 'node-b', node('node-b'), services);
  t.same(plain.routes[0], { prefix: '10.5.0.7/32', nextHop: 'self', communities: ['64512:100'], largeCommunities: [], localPref: 100, peers: ['192.0.2.1'] }, 'a node without the edge label: the base advertisement only');

  const noLocalPref = config(POOL, PEERS_EVERYWHERE, advertisement('a', 'ipAddressPools: [public]\ncommunities: ["64512:1"]'), advertisement('b', 'ipAddressPools: [public]\ncommunities: ["64512:1"]'));
  const single = bgpRoutesForNode(noLocalPref, 'node-a', node('node-a'), [service('web', ['10.5.0.7'])]);
  t.same(single.routes[0]?.communities, ['64512:1'], 'a community given by both is sent once');
  t.notOk(single.routes[0] !== undefined && 'localPref' in single.routes[0], 'no LOCAL_PREF when no advertisement sets one');
});

t.test('IPv6 addresses are announced as /128, beside the IPv4 /32, in prefix order', async (t) => {
  const cfg = config(POOL, PEERS, PLAIN_AD);
  const result = bgpRoutesForNode(cfg, 'node-a', node('node-a'), [service('dual', ['2001:db8:5::a', '10.5.0.7']), service('v6', ['2001:DB8:5:0::1'])]);
  t.same(prefixes(result.routes), ['10.5.0.7/32', '2001:db8:5::1/128', '2001:db8:5::a/128'], 'canonical text (RFC 5952)');
  t.ok(result.routes.every((r) => r.nextHop === 'self'), 'next hop self everywhere');
});

t.test('services of pools no BGP advertisement covers, and services without addresses, give nothing', async (t) => {
  const cfg = config(
    POOL,
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: l2only, namespace: metallb-system }
spec: { addresses: [10.9.0.0/24] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2, namespace: metallb-system }
spec: { ipAddressPools: [l2only] }
`,
    PEERS,
    PLAIN_AD,
  );
  const result = bgpRoutesForNode(cfg, 'node-a', node('node-a'), [
    service('l2', ['10.9.0.1'], { pool: 'l2only' }),
    service('pending', []),
    service('web', ['10.5.0.7']),
  ]);
  t.same(prefixes(result.routes), ['10.5.0.7/32']);
});

t.test('pure: the same state gives the same routes, whatever the order of the services', async (t) => {
  const cfg = config(POOL, PEERS_EVERYWHERE, PLAIN_AD);
  const services = Array.from({ length: 12 }, (_, i) =>
    service(`svc${i}`, i % 3 === 0 ? [`2001:db8:5::${(i + 1).toString(16)}`] : [`10.5.${i}.${200 - i}`], {
      readyEndpointNodes: new Set(i % 2 === 0 ? ['node-a'] : ['node-b']),
      externalTrafficPolicy: i % 4 === 0 ? 'Local' : 'Cluster',
    }),
  );
  const first = bgpRoutesForNode(cfg, 'node-a', node('node-a'), services);
  t.same(bgpRoutesForNode(cfg, 'node-a', node('node-a'), [...services].reverse()), first, 'reversed input, same output');
  const rotated = [...services.slice(5), ...services.slice(0, 5)];
  t.same(bgpRoutesForNode(cfg, 'node-a', node('node-a'), rotated), first, 'rotated input, same output');
  const sorted = [...prefixes(first.routes)].sort();
  t.same(prefixes(first.routes), sorted, 'routes come in prefix order');
  // The Local services (i = 0, 4, 8) have their endpoint on node-a, so node-a announces every service.
  t.equal(first.routes.length, services.length, 'every Cluster service, and the Local ones held on node-a');
});

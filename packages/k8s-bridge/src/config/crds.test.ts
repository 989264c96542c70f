import t from 'tap';
import { isProblems, parseConfigText, resolveDocuments } from './load.js';
import { loadFixture, problemsOfFixture, problemsOfText, reasonAt } from './test-helpers/fixtures.js';

const community = (high: number, low: number): number => high * 65536 + low;

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: public }
spec:
  addresses: [10.5.0.0/16]
`;

t.test('BGP objects: pools, a v1beta2 and a v1beta1 BGPPeer, communities, an advertisement', async (t) => {
  const config = loadFixture('crds-bgp.yaml');
  t.equal(config.source, 'crds');
  t.equal(config.namespace, 'metallb-system');
  t.equal(config.speakerEnabled, true);

  const [publicPool, internal] = config.pools;
  t.same(publicPool?.addresses.map((a) => a.text), ['10.5.0.0/16', '2001:db8:5::/64', '192.0.3.10-192.0.3.20']);
  t.match(publicPool, { name: 'public', autoAssign: true, avoidBuggyIps: true, labels: { tier: 'public' }, protocols: ['bgp'] });
  t.same(publicPool?.serviceAllocation, {
    priority: 10,
    namespaces: ['web'],
    namespaceSelectors: [],
    serviceSelectors: [{ matchLabels: {}, matchExpressions: [{ key: 'expose', operator: 'In', values: ['public'] }] }],
  });
  t.match(internal, { name: 'internal', autoAssign: false, protocols: [] });

  const [torA, torB] = config.peers;
  t.same(torA, {
    name: 'tor-a',
    address: '192.0.2.1',
    asn: 64512,
    myAsn: 4200000000,
    port: 179,
    holdTime: 90,
    keepaliveTime: 30,
    connectTime: 5,
    passwordSecret: { name: 'tor-a-md5', namespace: 'metallb-system' },
    nodeSelectors: [{ matchLabels: { rack: 'a' }, matchExpressions: [] }],
    ebgpMultiHop: true,
    dualStackAddressFamily: false,
  });
  t.match(torB, { name: 'tor-b', address: '192.0.2.2', asn: 64513, myAsn: 4200000000, holdTime: 90, keepaliveTime: 30, password: 'changeme' });
  t.same(torB?.nodeSelectors, [
    { matchLabels: { rack: 'b' }, matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node-9'] }] },
  ]);

  t.equal(config.bgpAdvertisements.length, 1);
  const ad = config.bgpAdvertisements[0];
  t.same(ad?.pools, ['public'], 'selected by label');
  t.same(ad?.poolNames, []);
  t.same(ad?.communities, [community(1234, 1), community(64512, 100), 0xffffff01], 'alias, value, well-known name');
  t.same(ad?.largeCommunities, ['4200000000:1:2'], 'a large community by alias');
  t.match(ad, { localPref: 150, peers: ['tor-a', 'tor-b'], aggregationLength: 32, aggregationLengthV6: 128 });
  t.same(ad?.nodeSelectors, [{ matchLabels: {}, matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists', values: [] }] }]);
  t.same(config.warnings, ['pool "internal" is not selected by any L2Advertisement or BGPAdvertisement: its addresses are allocated but not announced']);
});

t.test('Layer 2 objects: ranges summarized, IPv6 canonical, interfaces and node selectors', async (t) => {
  const config = loadFixture('crds-l2.yaml');
  const [range, v6] = config.pools[0]?.addresses ?? [];
  t.same(range, {
    text: '192.168.10.240-192.168.10.250',
    family: 'ipv4',
    first: '192.168.10.240',
    last: '192.168.10.250',
    cidrs: ['192.168.10.240/29', '192.168.10.248/31', '192.168.10.250/32'],
  });
  t.same(v6, { text: 'fd00:10::/120', family: 'ipv6', first: 'fd00:10::', last: 'fd00:10::ff', cidrs: ['fd00:10::/120'] });
  t.same(config.l2Advertisements, [
    {
      name: 'lan',
      pools: ['lan'],
      poolNames: ['lan'],
      poolSelectors: [],
      interfaces: ['eth0', 'bond0'],
      nodeSelectors: [{ matchLabels: { 'node-role.kubernetes.io/worker': '' }, matchExpressions: [] }],
      serviceSelectors: [],
    },
  ]);
  t.same(config.pools[0]?.protocols, ['layer2']);
  t.equal(config.strictArp, undefined, 'CRDs do not say');
  t.same(config.warnings, [], 'no strict-ARP warning without knowing kube-proxy');
});

t.test('BGPPeer v1beta1 and v1beta2 give the same peer', async (t) => {
  const spec = 'spec:\n  myASN: 64513\n  peerASN: 64512\n  peerAddress: 192.0.2.1\n  holdTime: 30s\n  routerID: 10.0.0.1\n  password: pw\n';
  const v1 = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: p}\n${spec}`, 'x.yaml');
  const v2 = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\n${spec}`, 'x.yaml');
  t.same(v1.peers, v2.peers);
  t.match(v1.peers[0], { holdTime: 30, keepaliveTime: 10, routerId: '10.0.0.1', password: 'pw', port: 179 });

  const v1PortZero = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: p}\n${spec}  peerPort: 0\n`, 'x.yaml');
  t.equal(v1PortZero.peers[0]?.port, 179, 'v1beta1 peerPort 0 means the default');
  const v2PortZero = problemsOfText(`apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\n${spec}  peerPort: 0\n`);
  t.match(reasonAt(v2PortZero, 'documents[0](BGPPeer/p).spec.peerPort'), /must be between 1 and 16384/);

  const v1Secret = problemsOfText(`apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: {name: p}\n${spec}  passwordSecret: {name: s}\n`);
  t.match(reasonAt(v1Secret, 'documents[0](BGPPeer/p).spec.passwordSecret'), /unknown key/, 'passwordSecret exists in v1beta2 only');

  const keepaliveOnly = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\nspec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, keepaliveTime: 20s}\n`, 'x.yaml');
  t.match(keepaliveOnly.peers[0], { holdTime: 60, keepaliveTime: 20 }, 'MetalLB: keepalive only gives three times it as the hold time');
  const zero = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: p}\nspec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, holdTime: "0"}\n`, 'x.yaml');
  t.match(zero.peers[0], { holdTime: 0, keepaliveTime: 0 });
});

t.test('unsupported kinds and fields are reported by name, never ignored', async (t) => {
  const problems = problemsOfFixture('crds-unsupported-bfd.yaml');
  t.match(reasonAt(problems, 'documents[1](BFDProfile/fast)'), /^BFDProfile is not supported yet/);
  t.match(reasonAt(problems, 'documents[2](BGPPeer/tor-a).spec.bfdProfile'), /is not supported yet/);
  t.equal(problems.length, 2);

  const others = problemsOfText(
    `${POOL}---
apiVersion: metallb.io/v1beta1
kind: AddressPool
metadata: {name: old}
---
apiVersion: metallb.io/v1beta1
kind: OSPFInstance
metadata: {name: o}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: p}
spec: {myASN: 1, peerASN: 2, peerAddress: 192.0.2.1, vrf: red, enableGracefulRestart: true, localASN: 5}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l2}
spec:
  preferredNodeSelectors: [{weight: 10, preference: {matchLabels: {a: b}}}]
`,
  );
  t.match(reasonAt(others, 'documents[1](AddressPool/old)'), /AddressPool was removed in MetalLB v0\.14/);
  t.match(reasonAt(others, 'documents[2](OSPFInstance/o)'), /metallb\.io kind OSPFInstance is not supported/);
  for (const field of ['vrf', 'enableGracefulRestart', 'localASN']) {
    t.match(reasonAt(others, `documents[3](BGPPeer/p).spec.${field}`), /is not supported yet/, field);
  }
  t.match(reasonAt(others, 'documents[4](L2Advertisement/l2).spec.preferredNodeSelectors'), /is not supported yet/);
});

t.test('apiVersions: a kind in a version MetalLB does not serve is refused', async (t) => {
  const problems = problemsOfText('apiVersion: metallb.io/v1beta2\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: [10.5.0.0/16]}\n');
  t.match(reasonAt(problems, 'documents[0](IPAddressPool/p).apiVersion'), /IPAddressPool is served as metallb\.io\/v1beta1, not metallb\.io\/v1beta2/);
});

t.test('a document of another API group is an error naming its index', async (t) => {
  const problems = problemsOfFixture('broken/non-metallb-document.yaml');
  t.same(problems.map((p) => p.path), ['documents[1](ConfigMap/config)']);
  t.match(problems[0]?.reason, /is not a MetalLB object \(apiVersion v1\)/);
});

t.test('objects read back from the cluster: a List, metadata noise, status kinds skipped with a warning', async (t) => {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'public', namespace: 'metallb-system', uid: 'abc', resourceVersion: '42', annotations: { a: 'b' } },
        spec: { addresses: ['10.5.0.0/16'], autoAssign: true },
        status: { assignedIPv4: 3 },
      },
      { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'all' }, spec: {} },
      { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: { name: 'l2-abc' }, status: { node: 'n1' } },
    ],
  };
  const result = resolveDocuments([list]);
  if (isProblems(result)) throw new Error(JSON.stringify(result));
  t.same(result.pools.map((p) => p.name), ['public']);
  t.same(result.l2Advertisements[0]?.pools, ['public'], 'an advertisement naming no pool takes every pool');
  t.equal(result.warnings.length, 1);
  t.match(result.warnings, [/documents\[0\]\.items\[2\]\(ServiceL2Status\/l2-abc\): ServiceL2Status is status MetalLB writes, not configuration; skipped/]);
});

t.test('one namespace per input; metadata is checked', async (t) => {
  const problems = problemsOfText(
    'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: a, namespace: metallb-system}\nspec: {addresses: [10.5.0.0/16]}\n---\n' +
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: b, namespace: default, labels: {"bad key!": x}}\nspec: {addresses: [10.6.0.0/16]}\n---\n' +
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {namespace: metallb-system}\nspec: {addresses: [10.7.0.0/16]}\n',
  );
  t.match(reasonAt(problems, 'documents[1](IPAddressPool/b).metadata.namespace'), /is default, but documents\[0\]\(IPAddressPool\/a\) is in metallb-system/);
  t.match(reasonAt(problems, 'documents[1](IPAddressPool/b).metadata.labels["bad key!"]'), /label key "bad key!" is invalid/);
  t.match(reasonAt(problems, 'documents[2](IPAddressPool).metadata.name'), /is required/);
});

t.test('pool selection: by name, by label selector, the union; L2 and BGP on one pool', async (t) => {
  const config = parseConfigText(
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a, labels: {zone: east}}
spec: {addresses: [10.1.0.0/24]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: b, labels: {zone: west}}
spec: {addresses: [10.2.0.0/24]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: c}
spec: {addresses: [10.3.0.0/24]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l2}
spec:
  ipAddressPools: [c]
  ipAddressPoolSelectors: [{matchExpressions: [{key: zone, operator: In, values: [west]}]}]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bgp}
spec:
  ipAddressPoolSelectors: [{matchLabels: {zone: east}}, {matchLabels: {zone: west}}]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: p}
spec: {myASN: 64513, peerASN: 64512, peerAddress: 192.0.2.1}
`,
    'x.yaml',
  );
  t.same(config.l2Advertisements[0]?.pools, ['b', 'c']);
  t.same(config.bgpAdvertisements[0]?.pools, ['a', 'b']);
  t.same(
    config.pools.map((p) => [p.name, p.protocols]),
    [
      ['a', ['bgp']],
      ['b', ['layer2', 'bgp']],
      ['c', ['layer2']],
    ],
  );
});

import t from 'tap';
import { parseConfigText } from './load.js';
import { redactSecrets } from './model.js';
import { loadFixture, problemsOfText, reasonAt } from './test-helpers/fixtures.js';

const community = (high: number, low: number): number => high * 65536 + low;

t.test('seed: the Layer 2 default', async (t) => {
  const config = loadFixture('kubespray-layer2-default.yaml');
  t.equal(config.source, 'kubespray');
  t.equal(config.pools.length, 1);
  t.match(config.pools[0], { name: 'loadbalanced', autoAssign: true, avoidBuggyIps: true, protocols: ['layer2'] });
  t.same(config.pools[0]?.addresses.map((a) => a.text), ['10.5.0.0/16']);
  t.same(
    config.l2Advertisements.map((ad) => [ad.name, ad.pools, ad.interfaces, ad.nodeSelectors]),
    [['l2advertisement1', ['loadbalanced'], [], []]],
    'one L2Advertisement, every interface, every node (MetalLB configmaptocrs naming)',
  );
  t.same(config.bgpAdvertisements, []);
  t.same(config.peers, []);
  t.equal(config.speakerEnabled, true);
  t.equal(config.strictArp, true);
  t.equal(config.namespace, 'metallb-system');
  t.same(config.controllerTolerations, [
    { operator: 'Equal', key: 'node-role.kubernetes.io/master', value: '', effect: 'NoSchedule' },
    { operator: 'Equal', key: 'node-role.kubernetes.io/control-plane', value: '', effect: 'NoSchedule' },
  ]);
  t.same(config.warnings, []);
});

t.test('seed: BGP mode with two peers', async (t) => {
  const config = loadFixture('kubespray-bgp-two-peers.yaml');
  t.match(config.pools, [{ name: 'loadbalanced', protocols: ['bgp'], autoAssign: true, avoidBuggyIps: false }]);
  t.same(
    config.peers.map((p) => [p.name, p.address, p.asn, p.myAsn, p.port, p.holdTime, p.keepaliveTime, p.password]),
    [
      ['peer1', '192.0.2.1', 64512, 4200000000, 179, 90, 30, undefined],
      ['peer2', '192.0.2.2', 64513, 4200000000, 179, 90, 30, undefined],
    ],
  );
  t.equal(config.bgpAdvertisements.length, 1);
  t.match(config.bgpAdvertisements[0], { name: 'bgpadvertisement1', pools: ['loadbalanced'], peers: [], aggregationLength: 32, aggregationLengthV6: 128 });
  t.same(config.bgpAdvertisements[0]?.communities, []);
  t.same(config.l2Advertisements, []);
  t.same(config.warnings, []);
});

t.test('seed: a peer with a password; kept in the model, masked in any output', async (t) => {
  const config = loadFixture('kubespray-bgp-password.yaml');
  t.equal(config.peers[0]?.password, 'changeme', 'the speaker needs the key itself');
  t.match(config.peers[0], { address: '192.0.2.1', asn: 64512, myAsn: 4200000000 });
  const printable = JSON.stringify(redactSecrets(config));
  t.notOk(printable.includes('changeme'), 'the secret is not in the printable model');
  t.equal(redactSecrets(config).peers[0]?.password, '********');
  t.equal(config.peers[0]?.password, 'changeme', 'redacting does not change the model');
});

t.test('seed: calico advertisement with the speaker disabled (allocate only)', async (t) => {
  const config = loadFixture('kubespray-calico-speaker-disabled.yaml');
  t.equal(config.speakerEnabled, false);
  t.match(config.pools, [{ name: 'loadbalanced', avoidBuggyIps: true }]);
  t.same(config.calicoAdvertisedRanges.map((r) => r.text), ['10.5.0.0/16'], '"{{ metallb_ip_range }}" is resolved');
  t.same(config.warnings, [], 'Calico covers the pool, and strict ARP does not matter when we do not announce');
});

t.test('calico not covering every pool: a warning naming the range and the pool', async (t) => {
  const config = loadFixture('kubespray-calico-missing-pool.yaml');
  t.equal(config.warnings.length, 1);
  t.match(config.warnings[0], /calico_advertise_service_loadbalancer_ips does not cover 10\.10\.0\.0\/16 of pool "kube_service_pool_2"/);

  const unset = parseConfigText('metallb_enabled: true\nmetallb_speaker_enabled: false\nmetallb_ip_range: [10.5.0.0/16]\n', 'x.yaml');
  t.equal(unset.warnings.length, 1);
  t.match(unset.warnings, [/calico_advertise_service_loadbalancer_ips is not set: addresses are allocated but nothing announces them/]);

  // Coverage is of the union: two halves cover the whole.
  const halves = parseConfigText(
    'metallb_enabled: true\nmetallb_speaker_enabled: false\nmetallb_ip_range: [10.5.0.0/16]\n' +
      'calico_advertise_service_loadbalancer_ips: [10.5.0.0/17, 10.5.128.0/17]\n',
    'x.yaml',
  );
  t.same(halves.warnings, []);
});

t.test('seed: additional pools with auto_assign: false', async (t) => {
  const config = loadFixture('kubespray-additional-pools.yaml');
  t.same(
    config.pools.map((p) => [p.name, p.addresses.map((a) => a.text), p.autoAssign, p.avoidBuggyIps, p.protocols]),
    [
      ['loadbalanced', ['10.5.0.0/16'], true, false, ['layer2']],
      ['kube_service_pool_1', ['10.6.0.0/16'], false, true, ['bgp']],
      ['kube_service_pool_2', ['10.10.0.0/16'], false, true, ['bgp']],
    ],
  );
  t.same(
    config.bgpAdvertisements.map((ad) => [ad.name, ad.pools]),
    [
      ['bgpadvertisement1', ['kube_service_pool_1']],
      ['bgpadvertisement2', ['kube_service_pool_2']],
    ],
  );
  t.same(config.calicoAdvertisedRanges.map((r) => r.text), ['10.5.0.0/16', '10.6.0.0/16', '10.10.0.0/16']);
  t.same(config.warnings, []);
});

t.test('seed: strict ARP missing in Layer 2 mode is a clear warning', async (t) => {
  const config = loadFixture('kubespray-layer2-no-strict-arp.yaml');
  t.equal(config.strictArp, false);
  t.equal(config.kubeProxyMode, 'ipvs', "kubespray's default");
  t.equal(config.warnings.length, 1);
  const warning = config.warnings[0] as string;
  t.match(warning, /kube_proxy_strict_arp is not true while kube-proxy runs in IPVS mode/);
  t.match(warning, /kube-ipvs0/);
  t.match(warning, /arp_ignore=1, arp_announce=2/);
  t.match(warning, /Set kube_proxy_strict_arp: true/);

  const base = 'metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\n';
  t.same(parseConfigText(`${base}kube_proxy_mode: iptables\n`, 'x.yaml').warnings, [], 'no IPVS, no warning');
  t.same(parseConfigText(`${base}kube_proxy_remove: true\n`, 'x.yaml').warnings, [], 'no kube-proxy, no warning');
  t.same(parseConfigText(`${base}kube_proxy_strict_arp: true\n`, 'x.yaml').warnings, []);
  t.same(
    parseConfigText('metallb_enabled: true\nmetallb_protocol: bgp\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_peers: [{peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513}]\n', 'x.yaml').warnings,
    [],
    'BGP mode does not need strict ARP',
  );
});

t.test('metallb_config (kubespray v2.22+): pools, layer2, and per-peer layer3 advertisements', async (t) => {
  const config = loadFixture('kubespray-metallb-config.yaml');
  t.equal(config.source, 'kubespray-metallb-config');
  t.same(
    config.pools.map((p) => [p.name, p.protocols]),
    [
      ['primary', ['layer2']],
      ['pool1', ['bgp']],
      ['pool2', ['bgp']],
    ],
  );
  t.same(config.l2Advertisements.map((ad) => [ad.name, ad.pools]), [['primary', ['primary']]]);
  t.same(
    config.peers.map((p) => [p.name, p.address, p.asn, p.myAsn, p.port, p.holdTime, p.keepaliveTime]),
    [
      ['peer1', '10.6.0.1', 64512, 4200000000, 179, 120, 40],
      ['peer2', '10.10.0.1', 64513, 4200000000, 179, 120, 40],
    ],
    'hold_time "120s" from layer3.defaults, keepalive a third of it',
  );
  t.same(
    config.bgpAdvertisements.map((ad) => [ad.name, ad.pools, ad.peers, ad.communities]),
    [
      ['peer1-external', ['pool1'], ['peer1'], [community(1234, 1)]],
      ['peer2-external', ['pool2'], ['peer2'], [community(65535, 65282)]],
    ],
    'each peer gets its own pools with its communities, aliases resolved',
  );
  t.same(config.controllerTolerations, [{ operator: 'Equal', key: 'node-role.kubernetes.io/control-plane', value: '', effect: 'NoSchedule' }]);
  t.same(config.warnings, []);
});

t.test('metallb_config: aggregation_length adds the -local advertisement; router ID, password, hold time', async (t) => {
  const config = loadFixture('kubespray-metallb-config-aggregation.yaml');
  t.match(config.peers[0], { name: 'upstream', routerId: '192.0.2.100', password: 'changeme', holdTime: 30, keepaliveTime: 10 });
  const [local, external] = config.bgpAdvertisements;
  t.match(local, { name: 'upstream-local', aggregationLength: 32, aggregationLengthV6: 128, localPref: 200, pools: ['routed'], peers: ['upstream'] });
  t.same(local?.communities, [community(65535, 65282)], "no-advertise, from kubespray's well-known Community");
  t.match(external, { name: 'upstream-external', aggregationLength: 24, pools: ['routed'] });
  t.equal(external?.localPref, undefined);
  t.same(external?.communities, [community(65535, 65281), community(64512, 100)]);
  t.same(config.pools[0]?.addresses.map((a) => a.text), ['10.0.0.0/24'], 'host bits cleared as MetalLB does');
  t.equal(config.warnings.length, 2);
  t.match(config.warnings, [/ip_range\[0\]: "10\.0\.0\.10\/24" has host bits set; pool "routed" covers all of 10\.0\.0\.0\/24/, /pool "ranged" is not selected by any/]);
});

t.test('Ansible reads YAML 1.1: yes is true; quoted numbers reach MetalLB as numbers', async (t) => {
  const config = parseConfigText(
    'metallb_enabled: yes\nmetallb_protocol: bgp\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_peers:\n  - {peer_address: 192.0.2.1, peer_asn: "64512", my_asn: "4200000000"}\n',
    'x.yaml',
  );
  t.equal(config.speakerEnabled, true, 'metallb_speaker_enabled defaults to "{{ metallb_enabled }}"');
  t.match(config.peers[0], { asn: 64512, myAsn: 4200000000 });
});

t.test('metallb_enabled unset: a warning, and the speaker follows it (off)', async (t) => {
  const config = parseConfigText('metallb_ip_range: [10.5.0.0/16]\ncalico_advertise_service_loadbalancer_ips: [10.5.0.0/16]\n', 'x.yaml');
  t.equal(config.speakerEnabled, false);
  t.equal(config.warnings.length, 1);
  t.match(config.warnings, [/metallb_enabled is not true: kubespray would not install MetalLB/]);
});

t.test('Jinja: whole-value references resolve, anything else is refused', async (t) => {
  const config = parseConfigText(
    'metallb_enabled: true\nmy_ranges: [10.7.0.0/16]\nmetallb_ip_range: "{{ my_ranges }}"\nmetallb_speaker_enabled: "{{ metallb_enabled }}"\nkube_proxy_strict_arp: true\n',
    'x.yaml',
  );
  t.same(config.pools[0]?.addresses.map((a) => a.text), ['10.7.0.0/16']);
  t.equal(config.speakerEnabled, true);

  const nested = parseConfigText(
    'metallb_enabled: true\nmetallb_speaker_enabled: false\nmetallb_config:\n  address_pools:\n    primary:\n      ip_range: [10.5.0.0/16]\n  layer2: [primary]\n' +
      'calico_advertise_service_loadbalancer_ips: "{{ metallb_config.address_pools.primary.ip_range }}"\n',
    'x.yaml',
  );
  t.same(nested.calicoAdvertisedRanges.map((r) => r.text), ['10.5.0.0/16'], "the current kubespray docs' dotted reference");

  const problems = problemsOfText('metallb_enabled: true\nmetallb_ip_range: "{{ ranges | default([]) }}"\n');
  t.match(reasonAt(problems, 'metallb_ip_range'), /Jinja expressions are not evaluated here/);
  const missing = problemsOfText('metallb_enabled: true\nmetallb_ip_range: "{{ nowhere }}"\n');
  t.match(reasonAt(missing, 'metallb_ip_range'), /refers to nowhere, which is not set in this file/);
  const loop = problemsOfText('metallb_enabled: true\na: "{{ b }}"\nb: "{{ a }}"\nmetallb_ip_range: "{{ a }}"\n');
  t.match(reasonAt(loop, 'metallb_ip_range'), /nest more than/);
});

t.test('flat peers: source_address and node_selectors in the old ConfigMap spelling', async (t) => {
  const config = parseConfigText(
    `metallb_enabled: true
metallb_protocol: bgp
metallb_ip_range: [10.5.0.0/16]
metallb_peers:
  - peer_address: 2001:DB8::1
    peer_asn: 64512
    my_asn: 4200000000
    source_address: 2001:db8:0::2
    node_selectors:
      - match-labels:
          rack: frontend
        match-expressions:
          - {key: network-speed, operator: NotIn, values: [slow]}
`,
    'x.yaml',
  );
  const peer = config.peers[0];
  t.equal(peer?.address, '2001:db8::1', 'canonical IPv6 text');
  t.equal(peer?.sourceAddress, '2001:db8::2');
  t.same(peer?.nodeSelectors, [{ matchLabels: { rack: 'frontend' }, matchExpressions: [{ key: 'network-speed', operator: 'NotIn', values: ['slow'] }] }]);
});

t.test('metallb_config source_address is not applied (kubespray does not render it): a warning', async (t) => {
  const config = parseConfigText(
    `metallb_enabled: true
metallb_config:
  address_pools: {pool1: {ip_range: [10.6.0.0/16]}}
  layer3:
    metallb_peers:
      peer1: {peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 4200000000, source_address: 192.0.2.2, address_pool: [pool1]}
`,
    'x.yaml',
  );
  t.equal(config.peers[0]?.sourceAddress, undefined);
  t.equal(config.warnings.length, 1);
  t.match(config.warnings, [/metallb_peers\.peer1\.source_address is not applied/]);
  t.equal(config.peers[0]?.port, 179, 'no defaults.peer_port: 179');
});

t.test('kubespray refusals: misspellings, missing pieces, both forms', async (t) => {
  const deprecated = problemsOfText('metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\nmatallb_auto_assign: false\n');
  t.match(reasonAt(deprecated, 'matallb_auto_assign'), /deprecated misspelling; use metallb_auto_assign/);

  const typo = problemsOfText('metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_protocl: bgp\n');
  t.match(reasonAt(typo, 'metallb_protocl'), /did you mean metallb_protocol\?/);

  const noProtocol = problemsOfText('metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_additional_address_pools:\n  extra: {ip_range: [10.6.0.0/16]}\n');
  t.match(reasonAt(noProtocol, 'metallb_additional_address_pools.extra.protocol'), /is required \(layer2 or bgp\)/);

  const badProtocol = problemsOfText('metallb_enabled: true\nmetallb_protocol: ospf\nmetallb_ip_range: [10.5.0.0/16]\n');
  t.match(reasonAt(badProtocol, 'metallb_protocol'), /must be layer2 or bgp, got "ospf"/);

  const nothing = problemsOfText('metallb_enabled: true\n');
  t.match(reasonAt(nothing, ''), /no address pool/);

  const emptyPoolList = problemsOfText(
    'metallb_enabled: true\nmetallb_config:\n  address_pools: {pool1: {ip_range: [10.6.0.0/16]}}\n  layer3:\n    metallb_peers:\n      peer1: {peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513, address_pool: []}\n',
  );
  t.match(reasonAt(emptyPoolList, 'metallb_config.layer3.metallb_peers.peer1.address_pool'), /must name at least one pool/);

  const unknownLayer2Pool = problemsOfText('metallb_enabled: true\nmetallb_config:\n  address_pools: {pool1: {ip_range: [10.6.0.0/16]}}\n  layer2: [pool9]\n');
  t.match(reasonAt(unknownLayer2Pool, 'metallb_config.layer2[0]'), /names pool "pool9", which is not defined/);

  const badName = problemsOfText('metallb_enabled: true\nmetallb_config:\n  address_pools: {Pool_1: {ip_range: [10.6.0.0/16]}}\n');
  t.match(reasonAt(badName, 'metallb_config.address_pools.Pool_1'), /not a valid Kubernetes object name/);

  const holdNumber = problemsOfText(
    'metallb_enabled: true\nmetallb_config:\n  address_pools: {pool1: {ip_range: [10.6.0.0/16]}}\n  layer3:\n    defaults: {hold_time: 120}\n    metallb_peers:\n      peer1: {peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513, address_pool: [pool1]}\n',
  );
  t.match(reasonAt(holdNumber, 'metallb_config.layer3.defaults.hold_time'), /must be a duration such as "90s" \(write "120s"\)/);

  const duplicateAlias = problemsOfText(
    'metallb_enabled: true\nmetallb_config:\n  address_pools: {pool1: {ip_range: [10.6.0.0/16]}}\n  layer3:\n    communities: {no-export: "1:1"}\n    metallb_peers:\n      peer1: {peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513, address_pool: [pool1]}\n',
  );
  t.match(reasonAt(duplicateAlias, 'metallb_config.layer3.communities.no-export'), /duplicate community alias "no-export" \(also at kubespray's well-known Community\)/);

  const calicoRange = problemsOfText('metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\ncalico_advertise_service_loadbalancer_ips: [10.5.0.1-10.5.0.9]\n');
  t.match(reasonAt(calicoRange, 'calico_advertise_service_loadbalancer_ips[0]'), /must be a CIDR/);

  const toleration = problemsOfText('metallb_enabled: true\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_controller_tolerations: [{key: a, operator: Maybe, effect: Sometimes}]\n');
  t.match(reasonAt(toleration, 'metallb_controller_tolerations[0].operator'), /must be Equal or Exists/);
  t.match(reasonAt(toleration, 'metallb_controller_tolerations[0].effect'), /must be one of NoSchedule, PreferNoSchedule, NoExecute/);
});

t.test('a password of the wrong type is refused without echoing it', async (t) => {
  const problems = problemsOfText(
    'metallb_enabled: true\nmetallb_protocol: bgp\nmetallb_ip_range: [10.5.0.0/16]\nmetallb_peers: [{peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513, password: 31337}]\n',
  );
  const reason = reasonAt(problems, 'metallb_peers[0].password') ?? '';
  t.match(reason, /must be a non-empty string \(quote it in YAML\), got number/);
  t.notOk(reason.includes('31337'));
});

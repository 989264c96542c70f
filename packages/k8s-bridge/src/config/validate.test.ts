import t from 'tap';
import { parseConfigText } from './load.js';
import { problemsOfFixture, problemsOfText, reasonAt } from './test-helpers/fixtures.js';

/** Each broken fixture: the key path and the reason it must be refused with. */
const BROKEN: readonly { file: string; path: string; reason: RegExp }[] = [
  { file: 'invalid-cidr.yaml', path: 'metallb_ip_range[0]', reason: /"10\.5\.0\.0\/33" is not a valid IPv4 CIDR/ },
  { file: 'invalid-cidr.yaml', path: 'metallb_ip_range[1]', reason: /10\.6\.0\.9 is after 10\.6\.0\.1/ },
  {
    file: 'overlapping-pools.yaml',
    path: 'metallb_additional_address_pools.kube_service_pool_1.ip_range[0]',
    reason: /10\.5\.128\.0\/17 overlaps 10\.5\.0\.0\/16 of pool "loadbalanced" \(metallb_ip_range\[0\]\)/,
  },
  {
    file: 'overlapping-ranges-boundary.yaml',
    path: 'documents[1](IPAddressPool/b).spec.addresses[0]',
    reason: /10\.0\.0\.9-10\.0\.0\.20 overlaps 10\.0\.0\.1-10\.0\.0\.9 of pool "a"/,
  },
  { file: 'asn-out-of-range.yaml', path: 'metallb_peers[0].peer_asn', reason: /must be between 1 and 4294967295, got 4294967296/ },
  { file: 'asn-out-of-range.yaml', path: 'metallb_peers[0].my_asn', reason: /must be between 1 and 4294967295, got 0/ },
  { file: 'hold-time-1s.yaml', path: 'documents[1](BGPPeer/tor-a).spec.holdTime', reason: /must be 0 or at least 3 seconds \(RFC 4271 section 4\.2\), got 1 s/ },
  { file: 'keepalive-not-below-hold.yaml', path: 'documents[0](BGPPeer/tor-a).spec.keepaliveTime', reason: /must be less than the hold time \(9 s\)/ },
  { file: 'peer-without-address.yaml', path: 'metallb_peers[0].peer_address', reason: /is required: a peer without an address cannot be dialled/ },
  { file: 'password-and-secret.yaml', path: 'documents[0](BGPPeer/tor-a).spec.passwordSecret', reason: /give either password or passwordSecret, not both/ },
  { file: 'unknown-references.yaml', path: 'documents[2](BGPAdvertisement/ad).spec.ipAddressPools[1]', reason: /names pool "privat", which is not defined/ },
  { file: 'unknown-references.yaml', path: 'documents[2](BGPAdvertisement/ad).spec.peers[0]', reason: /names BGP peer "tor-b", which is not defined/ },
  { file: 'unknown-references.yaml', path: 'documents[2](BGPAdvertisement/ad).spec.communities[0]', reason: /"vpn-only" is neither a Community alias defined here nor a community value/ },
  { file: 'duplicate-names.yaml', path: 'documents[1](IPAddressPool/public).metadata.name', reason: /duplicate pool name "public" \(also at documents\[0\]/ },
  { file: 'non-metallb-document.yaml', path: 'documents[1](ConfigMap/config)', reason: /is not a MetalLB object/ },
  { file: 'both-forms.yaml', path: 'metallb_config', reason: /both metallb_config and the flat variables \(metallb_ip_range\) define pools or peers/ },
  { file: 'bgp-without-peers.yaml', path: 'metallb_peers', reason: /is required when metallb_protocol is bgp and the speaker is enabled/ },
  { file: 'aggregation-too-short.yaml', path: 'documents[1](BGPAdvertisement/agg).spec.aggregationLength', reason: /\/16 is shorter than \/24 of 10\.5\.1\.0\/24 in pool "public"/ },
  { file: 'neither.yaml', path: '', reason: /is neither kubespray variables .* nor MetalLB objects/ },
  { file: 'yaml-syntax.yaml', path: 'line 5, column 1', reason: /./ },
  { file: 'unknown-variable.yaml', path: 'metallb_ip_ranges', reason: /unknown MetalLB variable; did you mean metallb_ip_range\?/ },
  { file: 'unknown-variable.yaml', path: 'metallb_peers[0].peer_adress', reason: /unknown key \(allowed: peer_address,/ },
];

t.test('every broken fixture is refused with its key path and reason', async (t) => {
  for (const { file, path, reason } of BROKEN) {
    const problems = problemsOfFixture(`broken/${file}`);
    t.match(reasonAt(problems, path), reason, `${file}: ${path}`);
  }
});

t.test('a refused input names every problem at once, and never a secret', async (t) => {
  const problems = problemsOfFixture('broken/password-and-secret.yaml');
  t.notOk(JSON.stringify(problems).includes('s3cret-inline'), 'the inline password is not echoed');
  const many = problemsOfFixture('broken/unknown-references.yaml');
  t.equal(many.length, 3, 'pool, peer and community problems together');
});

/** A v1beta2 BGPPeer; `spec` fields override the defaults (AS 4200000000 to 64512 at 192.0.2.1). */
const PEER = (name: string, spec: Record<string, unknown> = {}): string =>
  `apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec: ${JSON.stringify({ myASN: 4200000000, peerASN: 64512, peerAddress: '192.0.2.1', ...spec })}\n`;
const POOL = 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: public}\nspec: {addresses: [10.5.0.0/16, "2001:db8:5::/64"]}\n';

t.test('peers on the same nodes must be distinct and agree on AS and router ID', async (t) => {
  const problems = problemsOfText(`${POOL}---\n${PEER('a', { routerID: '10.0.0.1' })}---\n${PEER('b', { routerID: '10.0.0.2', myASN: 65000 })}`);
  t.match(reasonAt(problems, 'documents[2](BGPPeer/b).spec.peerAddress'), /has the same address as "a"/);
  t.match(reasonAt(problems, 'documents[2](BGPPeer/b).spec.myASN'), /65000 differs from peer "a"'s myASN 4200000000/);
  t.match(reasonAt(problems, 'documents[2](BGPPeer/b).spec.routerID'), /router ID differs/);

  // Different node selectors: they may be different nodes, left to run time.
  const split = parseConfigText(
    `${POOL}---\n${PEER('a', { nodeSelectors: [{ matchLabels: { rack: 'a' } }] })}---\n${PEER('b', { nodeSelectors: [{ matchLabels: { rack: 'b' } }] })}`,
    'x.yaml',
  );
  t.equal(split.peers.length, 2);
});

t.test('ebgpMultiHop on an iBGP peer is refused (MetalLB refuses it too)', async (t) => {
  const problems = problemsOfText(
    `${POOL}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: a}\nspec: {myASN: 64512, peerASN: 64512, peerAddress: 192.0.2.1, ebgpMultiHop: true}\n`,
  );
  t.match(reasonAt(problems, 'documents[1](BGPPeer/a).spec.ebgpMultiHop'), /is set on an iBGP peer/);
});

t.test('advertisements: LOCAL_PREF conflicts, service selectors with aggregation, IPv6 aggregation', async (t) => {
  const ad = (name: string, spec: string): string => `apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
  const conflict = problemsOfText(`${POOL}---\n${PEER('p')}---\n${ad('one', '{localPref: 100}')}---\n${ad('two', '{localPref: 200}')}`);
  t.match(reasonAt(conflict, 'documents[3](BGPAdvertisement/two).spec.localPref'), /LOCAL_PREF 200 conflicts with advertisement "one" \(100\)/);

  // Different aggregation lengths send different prefixes: no conflict.
  const fine = parseConfigText(`${POOL}---\n${PEER('p')}---\n${ad('one', '{localPref: 100}')}---\n${ad('two', '{localPref: 200, aggregationLength: 24, aggregationLengthV6: 64}')}`, 'x.yaml');
  t.same(fine.bgpAdvertisements.map((a) => [a.name, a.localPref, a.aggregationLength]), [['one', 100, 32], ['two', 200, 24]]);

  const selectors = problemsOfText(`${POOL}---\n${PEER('p')}---\n${ad('one', '{aggregationLength: 24, serviceSelectors: [{matchLabels: {app: web}}]}')}`);
  t.match(reasonAt(selectors, 'documents[2](BGPAdvertisement/one).spec.serviceSelectors'), /cannot be combined with an aggregation length/);

  const v6 = problemsOfText(`${POOL}---\n${PEER('p')}---\n${ad('one', '{aggregationLengthV6: 48}')}`);
  t.match(reasonAt(v6, 'documents[2](BGPAdvertisement/one).spec.aggregationLengthV6'), /\/48 is shorter than \/64 of 2001:db8:5::\/64/);

  const duplicateCommunity = problemsOfText(`${POOL}---\n${ad('one', '{communities: ["1:1", "1:1"]}')}`);
  t.match(reasonAt(duplicateCommunity, 'documents[1](BGPAdvertisement/one).spec.communities[1]'), /is listed twice/);
});

t.test('warnings for valid but doubtful inputs', async (t) => {
  const noPeers = parseConfigText(`${POOL}---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: a}\n`, 'x.yaml');
  t.equal(noPeers.warnings.length, 1);
  t.match(noPeers.warnings, [/BGP advertisement "a" has no peer to go to/]);

  const peersNoRoutes = parseConfigText(
    `${POOL}---\n${PEER('p')}---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\n`,
    'x.yaml',
  );
  t.equal(peersNoRoutes.warnings.length, 1);
  t.match(peersNoRoutes.warnings, [/BGP peers are defined but no pool is advertised over BGP/]);

  const speakerOff = parseConfigText(
    'metallb_enabled: true\nmetallb_speaker_enabled: false\nmetallb_protocol: bgp\nmetallb_ip_range: [10.5.0.0/16]\n' +
      'metallb_peers: [{peer_address: 192.0.2.1, peer_asn: 64512, my_asn: 64513}]\ncalico_advertise_service_loadbalancer_ips: [10.5.0.0/16]\n',
    'x.yaml',
  );
  t.same(speakerOff.warnings, ['the speaker is disabled (metallb_speaker_enabled: false): the BGP peers are not used; addresses are allocated only']);
});

t.test('a pool overlapping itself and duplicate community aliases across Community objects', async (t) => {
  const self = problemsOfText('apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: [10.5.0.0/24, 10.5.0.128-10.5.1.3]}\n');
  t.match(reasonAt(self, 'documents[0](IPAddressPool/p).spec.addresses[1]'), /overlaps 10\.5\.0\.0\/24 of another entry of the same pool/);

  const community = (name: string, alias: string): string =>
    `apiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: ${name}}\nspec: {communities: [{name: ${alias}, value: "1:1"}]}\n`;
  const aliases = problemsOfText(`${POOL}---\n${community('c1', 'x')}---\n${community('c2', 'x')}`);
  t.match(reasonAt(aliases, 'documents[2](Community/c2).spec.communities[0].name'), /duplicate community alias "x"/);

  const badValue = problemsOfText(`${POOL}---\napiVersion: metallb.io/v1beta1\nkind: Community\nmetadata: {name: c}\nspec: {communities: [{name: x, value: "large:1:2"}]}\n`);
  t.match(reasonAt(badValue, 'documents[1](Community/c).spec.communities[0].value'), /is not a large community/);
});

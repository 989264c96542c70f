// The output parsers of the three drivers, on text and JSON recorded from
// FRR 8.4.4, GoBGP 3.10.0 and BIRD 2.0.12 (no daemons needed).

import t from 'tap';
import { parseBirdAsPath, parseBirdCommunities, parseBirdLargeCommunities, parseBirdRoutes } from './bird.js';
import { normaliseFrrPath } from './frr.js';
import { normaliseGobgpPath } from './gobgp.js';
import { communityValue, formatCommunity, normaliseCommunity } from './router.js';

t.test('communities: numbers, well-known names, FRR names', async (t) => {
  t.equal(formatCommunity(64512 * 65536 + 100), '64512:100');
  t.equal(formatCommunity(0xffffff01), 'no-export');
  t.equal(formatCommunity(0xffff029a), 'blackhole');
  t.equal(normaliseCommunity('65535:65282'), 'no-advertise');
  t.equal(normaliseCommunity('local-AS'), 'no-export-subconfed');
  t.equal(normaliseCommunity('noExport'), 'no-export');
  t.equal(communityValue('no-export'), 0xffffff01);
  t.equal(communityValue('64512:7'), 64512 * 65536 + 7);
  t.throws(() => communityValue('not-a-community'), /unknown community/);
});

const BIRD_SHOW_ROUTE = `BIRD 2.0.12 ready.
Table master4:
198.51.101.0/24      unicast [peer1 08:16:29.046] * (100) [AS4200000000?]
\tvia 192.0.2.2 on eth0
\tType: BGP univ
\tBGP.origin: Incomplete
\tBGP.as_path: 4200000000
\tBGP.next_hop: 192.0.2.2
\tBGP.med: 20
\tBGP.local_pref: 100
\tBGP.community: (64513,100) (65535,65282)
\tBGP.large_community: (4200000000, 3, 4)
                     unicast [peer2 08:16:30.001] (100) [AS64512i]
\tvia 192.0.2.1 on eth0
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 64512 {64600 64601} 4200000000
\tBGP.next_hop: 192.0.2.1
\tBGP.local_pref: 100
198.51.102.0/24      blackhole [statics4 08:16:28.109] * (200)
\tType: static univ
`;

t.test('BIRD: show route all, two paths for one net and a static route', async (t) => {
  const routes = parseBirdRoutes(BIRD_SHOW_ROUTE);
  t.equal(routes.length, 3);
  const [first, second, local] = routes;
  t.equal(first?.prefix, '198.51.101.0/24');
  t.equal(first?.protocol, 'peer1');
  t.equal(first?.primary, true);
  t.equal(first?.gateway, 'via 192.0.2.2 on eth0');
  t.equal(first?.attributes['BGP.med'], '20');
  t.equal(second?.prefix, '198.51.101.0/24', 'a continuation line belongs to the same net');
  t.equal(second?.protocol, 'peer2');
  t.equal(second?.primary, false);
  t.same(parseBirdAsPath(second?.attributes['BGP.as_path']), [64512, 64600, 64601, 4200000000], 'AS_SET members flattened');
  t.equal(local?.protocol, 'statics4');
  t.equal(local?.gateway, 'blackhole');
  t.same(parseBirdCommunities(first?.attributes['BGP.community']), ['64513:100', 'no-advertise']);
  t.same(parseBirdLargeCommunities(first?.attributes['BGP.large_community']), ['4200000000:3:4']);
});

t.test('FRR: a path of show bgp ipv4 unicast PREFIX json', async (t) => {
  const route = normaliseFrrPath('198.51.101.0/24', {
    aspath: { string: '4200000000', segments: [{ list: [4200000000] }] },
    metric: 20,
    bestpath: { overall: true },
    community: { string: '64513:100 no-advertise' },
    largeCommunity: { string: '4200000000:3:4' },
    nexthops: [{ ip: '192.0.2.2' }],
    peer: { peerId: '192.0.2.2' },
  });
  t.same(route, {
    prefix: '198.51.101.0/24',
    nextHop: '192.0.2.2',
    asPath: [4200000000],
    communities: ['64513:100', 'no-advertise'],
    largeCommunities: ['4200000000:3:4'],
    med: 20,
    peer: '192.0.2.2',
    best: true,
  });
  const local = normaliseFrrPath('198.51.100.0/24', {
    aspath: { string: '', segments: [] },
    nexthops: [{ ip: '0.0.0.0' }],
    peer: { peerId: '(unspec)' },
    bestpath: { overall: true },
  });
  t.equal(local.peer, undefined, 'own route has no peer');
  t.same(local.asPath, []);
  const v6 = normaliseFrrPath('2001:db8:200::/48', {
    nexthops: [{ ip: 'fe80::1', scope: 'link-local' }, { ip: '2001:db8::3', scope: 'global' }],
    peer: { peerId: '192.0.2.3' },
  });
  t.equal(v6.nextHop, '2001:db8::3', 'global next hop preferred over link-local');
  t.equal(v6.best, false);
});

t.test('GoBGP: a path of gobgp -j global rib', async (t) => {
  const route = normaliseGobgpPath('198.51.102.0/24', {
    best: true,
    'neighbor-ip': '192.0.2.3',
    attrs: [
      { type: 1, value: 0 },
      { type: 2, as_paths: [{ segment_type: 2, asns: [64514] }] },
      { type: 3, nexthop: '192.0.2.3' },
      { type: 4, metric: 30 },
      { type: 8, communities: [4227989604, 4294967041] },
      { type: 32, value: [{ ASN: 64514, LocalData1: 5, LocalData2: 6 }] },
    ],
  });
  t.same(route, {
    prefix: '198.51.102.0/24',
    nextHop: '192.0.2.3',
    asPath: [64514],
    communities: ['64514:100', 'no-export'],
    largeCommunities: ['64514:5:6'],
    med: 30,
    peer: '192.0.2.3',
    best: true,
  });
  const v6 = normaliseGobgpPath('2001:db8:300::/48', {
    attrs: [{ type: 14, nexthop: '2001:db8::3' }, { type: 5, value: 200 }],
  });
  t.equal(v6.nextHop, '2001:db8::3', 'next hop from MP_REACH_NLRI');
  t.equal(v6.localPref, 200);
  t.equal(v6.peer, undefined, 'no neighbor-ip: own route');
});

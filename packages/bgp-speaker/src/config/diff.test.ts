import t from 'tap';
import { diffConfig, summarizeDiff } from './diff.js';
import { parseConfig } from './load.js';
import type { Test } from 'tap';
import type { ConfigDiff } from './diff.js';
import type { SpeakerConfig } from './schema.js';

const SECRET = 's3cret-Key';
const OTHER_SECRET = 'an0ther-Key';

function config(text: string): SpeakerConfig {
  return parseConfig(text, 'test.yaml', () => {
    throw new Error('no files in this test');
  });
}

const BASE = `
asn: 4200000000
routerId: 192.0.2.100
listen: { address: 192.0.2.100, port: 179 }
metrics: { address: 127.0.0.1, port: 7472 }
peers:
  - address: 192.0.2.1
    asn: 64512
    password: ${SECRET}
    holdTime: 90
    families: [ipv4, ipv6]
    export: { communities: ["64512:1", "no-export"] }
  - address: 192.0.2.2
    asn: 64513
announce:
  - prefix: 10.5.0.1/32
    communities: ["64512:100", "no-export"]
  - prefix: 2001:db8:5::1/128
`;

/** BASE with one text replacement, which must match exactly once. */
function changed(from: string, to: string): SpeakerConfig {
  const at = BASE.indexOf(from);
  if (at < 0 || BASE.indexOf(from, at + 1) >= 0) throw new Error(`"${from}" must occur once in BASE`);
  return config(BASE.slice(0, at) + to + BASE.slice(at + from.length));
}

const base = config(BASE);

function noPeerOrRouteChange(t: Test, diff: ConfigDiff, except: readonly (keyof ConfigDiff)[]): void {
  for (const key of ['restartRequired', 'peersAdded', 'peersRemoved', 'peersChanged', 'announcementsAdded', 'announcementsRemoved', 'announcementsChanged'] as const) {
    if (!except.includes(key)) t.same(diff[key], [], `${key} is empty`);
  }
}

t.test('the same config, parsed twice, is no change', async (t) => {
  const diff = diffConfig(base, config(BASE));
  t.equal(diff.isEmpty, true);
  noPeerOrRouteChange(t, diff, []);
  t.equal(diff.metricsChanged, false);
  t.equal(summarizeDiff(diff), 'no change');
});

t.test('reordered peers, announcements, communities and families are no change', async (t) => {
  const next = config(`
asn: 4200000000
routerId: 192.0.2.100
listen: { address: 192.0.2.100, port: 179 }
metrics: { address: 127.0.0.1, port: 7472 }
peers:
  - address: 192.0.2.2
    asn: 64513
  - address: 192.0.2.1
    asn: 64512
    password: ${SECRET}
    holdTime: 90
    families: [ipv6, ipv4]
    export: { communities: ["no-export", "64512:1"] }
announce:
  - prefix: 2001:db8:5::1/128
  - prefix: 10.5.0.1/32
    communities: ["no-export", "64512:100"]
`);
  t.equal(diffConfig(base, next).isEmpty, true);
});

t.test('asn, routerId and listen need a restart, each with its old and new value', async (t) => {
  t.same(diffConfig(base, changed('asn: 4200000000', 'asn: 64999')).restartRequired, ['asn: 4200000000 -> 64999']);
  t.same(diffConfig(base, changed('routerId: 192.0.2.100', 'routerId: 192.0.2.101')).restartRequired, [
    'routerId: 192.0.2.100 -> 192.0.2.101',
  ]);
  t.same(diffConfig(base, changed('listen: { address: 192.0.2.100, port: 179 }', 'listen: { address: "::1", port: 1179 }')).restartRequired, [
    'listen: 192.0.2.100:179 -> [::1]:1179',
  ]);
  const dropped = diffConfig(base, changed('listen: { address: 192.0.2.100, port: 179 }\n', ''));
  t.same(dropped.restartRequired, ['listen: 192.0.2.100:179 -> (none)']);
  t.equal(dropped.isEmpty, false);
  t.match(summarizeDiff(dropped), /restart required \(listen: 192\.0\.2\.100:179 -> \(none\)\)/);
  noPeerOrRouteChange(t, dropped, ['restartRequired']);
});

t.test('metrics moved, added or removed is metricsChanged', async (t) => {
  const moved = diffConfig(base, changed('port: 7472', 'port: 9100'));
  t.equal(moved.metricsChanged, true);
  t.equal(moved.isEmpty, false);
  noPeerOrRouteChange(t, moved, []);
  t.equal(diffConfig(base, changed('metrics: { address: 127.0.0.1, port: 7472 }\n', '')).metricsChanged, true);
  t.match(summarizeDiff(moved), /metrics changed/);
});

t.test('a peer added and a peer removed, matched by address', async (t) => {
  const diff = diffConfig(base, changed('  - address: 192.0.2.2\n    asn: 64513', '  - address: 192.0.2.3\n    asn: 64514'));
  t.same(
    diff.peersAdded.map((peer) => [peer.address, peer.asn]),
    [['192.0.2.3', 64514]],
  );
  t.same(diff.peersRemoved, ['192.0.2.2']);
  t.same(diff.peersChanged, []);
  t.equal(summarizeDiff(diff), 'peers +1 -1 ~0, announcements +0 -0 ~0');
});

t.test('each session parameter resets the session and names its key', async (t) => {
  const cases: [string, string, string, string][] = [
    ['asn: 64512', 'asn: 65000', 'asn', 'asn: 64512 -> 65000'],
    // The keepalive stays as it was (a third of 90): only the hold time changes.
    ['holdTime: 90', 'holdTime: 60\n    keepaliveTime: 30', 'holdTime', 'holdTime: 90 -> 60'],
    ['holdTime: 90', 'holdTime: 90\n    keepaliveTime: 10', 'keepaliveTime', 'keepaliveTime: 30 -> 10'],
    ['holdTime: 90', 'holdTime: 90\n    port: 1179', 'port', 'port: 179 -> 1179'],
    ['holdTime: 90', 'holdTime: 90\n    passive: true', 'passive', 'passive: false -> true'],
    ['holdTime: 90', 'holdTime: 90\n    sourceAddress: 192.0.2.100', 'sourceAddress', 'sourceAddress: (none) -> 192.0.2.100'],
    ['families: [ipv4, ipv6]', 'families: [ipv4]', 'families', 'families: [ipv4, ipv6] -> [ipv4]'],
    ['holdTime: 90', 'holdTime: 90\n    fourOctetAs: false', 'fourOctetAs', 'fourOctetAs: true -> false'],
    ['holdTime: 90', 'holdTime: 90\n    gracefulRestart: { restartTime: 60 }', 'gracefulRestart', 'gracefulRestart: off -> restartTime 60'],
  ];
  for (const [from, to, key, detail] of cases) {
    const next = changed(from, to);
    const diff = diffConfig(base, next);
    t.equal(diff.peersChanged.length, 1, `${key}: one peer changed`);
    const change = diff.peersChanged[0]!;
    t.equal(change.address, '192.0.2.1');
    t.equal(change.resetSession, true, `${key} resets the session`);
    t.same(change.changedKeys, [key]);
    t.same(change.details, [detail]);
    t.equal(change.next, next.peers[0], 'next is the new PeerConfig itself');
    noPeerOrRouteChange(t, diff, ['peersChanged']);
  }
});

t.test('graceful restart: a new restart time resets, disabled equals absent', async (t) => {
  const withGr = changed('holdTime: 90', 'holdTime: 90\n    gracefulRestart: { restartTime: 60 }');
  const longer = changed('holdTime: 90', 'holdTime: 90\n    gracefulRestart: { restartTime: 300 }');
  const change = diffConfig(withGr, longer).peersChanged[0];
  t.match(change, { resetSession: true, changedKeys: ['gracefulRestart.restartTime'], details: ['gracefulRestart.restartTime: 60 -> 300'] });
  const disabled = changed('holdTime: 90', 'holdTime: 90\n    gracefulRestart: { enabled: false, restartTime: 60 }');
  t.equal(diffConfig(base, disabled).isEmpty, true, 'enabled: false advertises what no gracefulRestart does');
  t.same(diffConfig(withGr, disabled).peersChanged[0]?.details, ['gracefulRestart: restartTime 60 -> off']);
});

t.test('a password change resets the session and never shows the password', async (t) => {
  const cases: [SpeakerConfig, SpeakerConfig, string][] = [
    [base, changed(`password: ${SECRET}`, `password: ${OTHER_SECRET}`), 'password changed'],
    [base, changed(`    password: ${SECRET}\n`, ''), 'password removed'],
    [changed(`    password: ${SECRET}\n`, ''), base, 'password set'],
  ];
  for (const [from, to, detail] of cases) {
    const diff = diffConfig(from, to);
    const change = diff.peersChanged[0];
    t.match(change, { address: '192.0.2.1', resetSession: true, changedKeys: ['password'], details: [detail] });
    // Everything but the PeerConfig itself (which the speaker needs to set the key) is free of secrets.
    const shown = JSON.stringify({ ...diff, peersChanged: diff.peersChanged.map(({ next: _next, ...rest }) => rest) });
    t.notMatch(shown, SECRET);
    t.notMatch(shown, OTHER_SECRET);
    t.notMatch(summarizeDiff(diff), SECRET);
  }
});

t.test('export, maxPrefixes and connectRetryTime apply without a reset', async (t) => {
  const cases: [string, string, string[], string[]][] = [
    [
      'export: { communities: ["64512:1", "no-export"] }',
      'export: { communities: ["64512:2"], localPref: 200, asPathPrepend: 2 }',
      ['export.communities', 'export.localPref', 'export.asPathPrepend'],
      ['export.communities: [64512:1, no-export] -> [64512:2]', 'export.localPref: (none) -> 200', 'export.asPathPrepend: 0 -> 2'],
    ],
    [
      'export: { communities: ["64512:1", "no-export"] }',
      'export: { communities: ["64512:1", "no-export"], largeCommunities: ["4200000000:1:2"], nextHopIpv6: "2001:db8::1" }',
      ['export.largeCommunities', 'export.nextHopIpv6'],
      ['export.largeCommunities: [] -> [4200000000:1:2]', 'export.nextHopIpv6: (none) -> 2001:db8::1'],
    ],
    ['holdTime: 90', 'holdTime: 90\n    maxPrefixes: 1000', ['maxPrefixes'], ['maxPrefixes: (none) -> limit 1000, restartTime 60']],
    ['holdTime: 90', 'holdTime: 90\n    connectRetryTime: 30', ['connectRetryTime'], ['connectRetryTime: 5 -> 30']],
  ];
  for (const [from, to, keys, details] of cases) {
    const change = diffConfig(base, changed(from, to)).peersChanged[0];
    t.match(change, { address: '192.0.2.1', resetSession: false }, keys.join(', '));
    t.same(change?.changedKeys, keys);
    t.same(change?.details, details);
  }
  const limited = changed('holdTime: 90', 'holdTime: 90\n    maxPrefixes: 1000');
  const raised = changed('holdTime: 90', 'holdTime: 90\n    maxPrefixes: { limit: 2000, restartTime: 10 }');
  t.same(diffConfig(limited, raised).peersChanged[0]?.changedKeys, ['maxPrefixes.limit', 'maxPrefixes.restartTime']);
});

t.test('a session change and an export change together reset the session and list both', async (t) => {
  const next = changed('holdTime: 90\n    families: [ipv4, ipv6]\n    export: { communities: ["64512:1", "no-export"] }', 'holdTime: 60\n    families: [ipv4, ipv6]\n    export: { med: 5 }');
  const change = diffConfig(base, next).peersChanged[0];
  t.equal(change?.resetSession, true);
  // The keepalive time follows the hold time (a third of it) when not given.
  t.same(change?.changedKeys, ['holdTime', 'keepaliveTime', 'export.communities', 'export.med']);
  t.match(summarizeDiff(diffConfig(base, next)), 'peers +0 -0 ~1 (1 reset)');
});

t.test('announcements added, removed and changed, matched by prefix', async (t) => {
  const next = config(`
asn: 4200000000
routerId: 192.0.2.100
listen: { address: 192.0.2.100, port: 179 }
metrics: { address: 127.0.0.1, port: 7472 }
peers:
  - address: 192.0.2.1
    asn: 64512
    password: ${SECRET}
    holdTime: 90
    families: [ipv4, ipv6]
    export: { communities: ["64512:1", "no-export"] }
  - address: 192.0.2.2
    asn: 64513
announce:
  - prefix: 10.5.0.1/32
    communities: ["64512:100"]
  - prefix: 10.5.0.2/32
`);
  const diff = diffConfig(base, next);
  t.same(
    diff.announcementsAdded.map((route) => route.prefix),
    ['10.5.0.2/32'],
  );
  t.same(diff.announcementsRemoved, ['2001:db8:5::1/128']);
  t.same(
    diff.announcementsChanged.map((route) => [route.prefix, route.communities]),
    [['10.5.0.1/32', [64512 * 65536 + 100]]],
    'the changed route comes in its new form',
  );
  noPeerOrRouteChange(t, diff, ['announcementsAdded', 'announcementsRemoved', 'announcementsChanged']);
  t.equal(summarizeDiff(diff), 'peers +0 -0 ~0, announcements +1 -1 ~1');

  for (const [from, to] of [
    ['  - prefix: 2001:db8:5::1/128', '  - prefix: 2001:db8:5::1/128\n    nextHop: 2001:db8::9'],
    ['  - prefix: 2001:db8:5::1/128', '  - prefix: 2001:db8:5::1/128\n    med: 10'],
    ['  - prefix: 2001:db8:5::1/128', '  - prefix: 2001:db8:5::1/128\n    localPref: 10'],
    ['  - prefix: 2001:db8:5::1/128', '  - prefix: 2001:db8:5::1/128\n    largeCommunities: ["1:2:3"]'],
  ] as const) {
    t.same(
      diffConfig(base, changed(from, to)).announcementsChanged.map((route) => route.prefix),
      ['2001:db8:5::1/128'],
      to.trim().split('\n')[1] ?? to,
    );
  }
});

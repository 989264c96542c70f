import t from 'tap';
import { ConfigError, loadConfigFile, parseConfig } from './index.js';
import type { ReadFile } from './index.js';

const noFiles: ReadFile = (path) => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

const ISSUE_EXAMPLE = `
asn: 4200000000
routerId: 192.0.2.100
listen: { address: 192.0.2.100, port: 179 }
peers:
  - address: 192.0.2.1
    asn: 64512
    port: 179
    password: changeme
    holdTime: 90
    passive: false
    sourceAddress: 192.0.2.100
announce:
  - prefix: 10.5.0.1/32
    nextHop: self
    communities: ["64512:100", "no-export"]
    largeCommunities: ["4200000000:1:2"]
    localPref: 100
    med: 0
  - prefix: 2001:db8:5::1/128
`;

function problemsOf(text: string, readFile: ReadFile = noFiles): { path: string; reason: string }[] {
  try {
    parseConfig(text, 'test.yaml', readFile);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('the example of the issue parses into the model with defaults filled in', async (t) => {
  const config = parseConfig(ISSUE_EXAMPLE, 'test.yaml', noFiles);
  t.equal(config.asn, 4200000000);
  t.equal(config.routerId, '192.0.2.100');
  t.same(config.listen, { address: '192.0.2.100', port: 179 });
  t.equal(config.peers.length, 1);
  const peer = config.peers[0]!;
  t.match(peer, { address: '192.0.2.1', asn: 64512, port: 179, password: 'changeme', holdTime: 90, keepaliveTime: 30, passive: false });
  t.same(peer.families, ['ipv4', 'ipv6']);
  t.equal(peer.fourOctetAs, true, 'the 4-octet AS capability is sent unless turned off');
  t.same(config.announce[0], {
    prefix: '10.5.0.1/32',
    family: 'ipv4',
    nextHop: 'self',
    communities: [64512 * 65536 + 100, 0xffffff01],
    largeCommunities: ['4200000000:1:2'],
    localPref: 100,
    med: 0,
  });
  t.match(config.announce[1], { prefix: '2001:db8:5::1/128', family: 'ipv6', nextHop: 'self', communities: [] });
});

t.test('every error names its key path and reason, all in one pass', async (t) => {
  const problems = problemsOf(`
asn: 0
routerId: 0.0.0.0
peers:
  - asn: 64512
    holdTime: 1
  - address: 192.0.2.2
    asn: 4294967296
    passive: "yes"
    pasword: oops
announce:
  - prefix: 10.5.0.1/33
  - prefix: 10.5.0.2/32
    communities: ["70000:1"]
    nextHop: 2001:db8::1
`);
  const byPath = new Map(problems.map((p) => [p.path, p.reason]));
  t.match(byPath.get('asn'), /between 1 and 4294967295, got 0/);
  t.match(byPath.get('routerId'), /0\.0\.0\.0/);
  t.match(byPath.get('peers[0].address'), /required/);
  t.match(byPath.get('peers[0].holdTime'), /0 or at least 3 seconds.*RFC 4271.*got 1/);
  t.match(byPath.get('peers[1].asn'), /between 1 and 4294967295/);
  t.match(byPath.get('peers[1].passive'), /true or false/);
  t.match(byPath.get('peers[1].pasword'), /unknown key/);
  t.ok(byPath.has('announce[0].prefix'), 'a /33 is refused');
  t.ok(byPath.has('announce[1].communities[0]'), '70000 does not fit 16 bits');
  t.match(byPath.get('announce[1].nextHop'), /IPv4 address/);
});

t.test('duplicate peers and prefixes are refused', async (t) => {
  const problems = problemsOf(`
asn: 65000
routerId: 10.0.0.1
peers:
  - { address: 192.0.2.1, asn: 64512 }
  - { address: 192.0.2.1, asn: 64513 }
announce:
  - prefix: 10.5.0.0/24
  - prefix: 10.5.0.7/24
`);
  t.same(
    problems.map((p) => p.path),
    ['peers[1].address', 'announce[1].prefix'],
  );
  t.match(problems[1]?.reason, /10\.5\.0\.0\/24 is already announce\[0\]/, 'host bits are normalised before comparing');
});

t.test('YAML syntax errors give line and column', async (t) => {
  const problems = problemsOf('asn: 1\npeers: [ { address: 192.0.2.1\n');
  t.ok(problems.length > 0);
  t.match(problems[0]?.path, /^line \d+, column \d+$/);
});

t.test('passwords: inline or from a file, never both, never echoed, at most 80 octets', async (t) => {
  const files: ReadFile = (path) => {
    if (path === '/secrets/peer1') return 's3cr3t-from-file\n';
    throw Object.assign(new Error('nope'), { code: 'EACCES' });
  };
  const config = parseConfig(
    'asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, passwordFile: /secrets/peer1 }\n',
    'test.yaml',
    files,
  );
  t.equal(config.peers[0]?.password, 's3cr3t-from-file', 'the trailing newline of the file is not part of the key');

  const both = problemsOf('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, password: hunter2, passwordFile: /x }\n', files);
  t.match(both[0], { path: 'peers[0].password', reason: /either password or passwordFile/ });

  const unreadable = problemsOf('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, passwordFile: /x }\n', files);
  t.match(unreadable[0], { path: 'peers[0].passwordFile', reason: /EACCES/ });

  const numeric = problemsOf('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, password: 9876543 }\n');
  t.match(numeric[0], { path: 'peers[0].password', reason: /got number/ });
  t.notMatch(JSON.stringify(numeric), /9876543/, 'a numeric password is not echoed in the error');

  const long = 'x'.repeat(81);
  const tooLong = problemsOf(`asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, password: ${long} }\n`);
  t.match(tooLong[0], { path: 'peers[0].password', reason: /at most 80 octets/ });
  t.notMatch(JSON.stringify(tooLong), long, 'the long password is not echoed');
});

t.test('keepalive must be below the hold time; hold time 0 means no keepalives', async (t) => {
  const problems = problemsOf('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, holdTime: 9, keepaliveTime: 9 }\n');
  t.match(problems[0], { path: 'peers[0].keepaliveTime', reason: /less than the hold time/ });
  const config = parseConfig('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, holdTime: 0 }\n', 'x', noFiles);
  t.equal(config.peers[0]?.keepaliveTime, 0);
});

t.test('sourceAddress must match the peer address family', async (t) => {
  const problems = problemsOf('asn: 65000\nrouterId: 10.0.0.1\npeers:\n  - { address: 192.0.2.1, asn: 64512, sourceAddress: "2001:db8::1" }\n');
  t.match(problems[0], { path: 'peers[0].sourceAddress', reason: /same address family/ });
});

t.test('a missing file is a ConfigError naming the file', async (t) => {
  t.throws(() => loadConfigFile('/nonexistent/speaker.yaml', noFiles), {
    name: 'ConfigError',
    message: /\/nonexistent\/speaker\.yaml/,
  });
});

t.test('issue 3 keys: maxPrefixes, gracefulRestart, export, metrics', async (t) => {
  const config = parseConfig(
    `
asn: 4200000000
routerId: 192.0.2.100
metrics: { address: 127.0.0.1, port: 7472 }
peers:
  - address: 192.0.2.1
    asn: 64512
    maxPrefixes: 1000
    gracefulRestart: { enabled: true, restartTime: 90 }
    export:
      communities: ["64512:300"]
      largeCommunities: ["4200000000:9:9"]
      med: 7
      localPref: 200
      nextHopIpv6: 2001:db8::100
      asPathPrepend: 2
  - address: 192.0.2.2
    asn: 64513
    maxPrefixes: { limit: 10, restartTime: 5 }
`,
    'test.yaml',
    noFiles,
  );
  t.same(config.metrics, { address: '127.0.0.1', port: 7472 });
  const [first, second] = config.peers;
  t.same(first?.maxPrefixes, { limit: 1000, restartTime: 60 }, 'a bare number is the limit, with the default restart time');
  t.same(first?.gracefulRestart, { enabled: true, restartTime: 90 });
  t.same(first?.export, {
    communities: [64512 * 65536 + 300],
    largeCommunities: ['4200000000:9:9'],
    med: 7,
    localPref: 200,
    nextHopIpv6: '2001:db8::100',
    asPathPrepend: 2,
  });
  t.same(second?.maxPrefixes, { limit: 10, restartTime: 5 });
  t.same(second?.export, { communities: [], largeCommunities: [], asPathPrepend: 0 }, 'no export section: nothing added');
  t.equal(second?.gracefulRestart, undefined);
});

t.test('issue 3 keys: errors name the key', async (t) => {
  const problems = problemsOf(`
asn: 65000
routerId: 10.0.0.1
peers:
  - address: 192.0.2.1
    asn: 64512
    maxPrefixes: { restartTime: 5 }
    gracefulRestart: { restartTime: 5000 }
    export: { nextHopIpv6: "fe80::1", asPathPrepend: 40, communities: ["x"] }
`);
  const paths = problems.map((p) => p.path);
  t.ok(paths.includes('peers[0].maxPrefixes.limit'), 'the limit is required');
  t.ok(paths.includes('peers[0].gracefulRestart.restartTime'), 'the restart time is 12 bits');
  t.ok(paths.includes('peers[0].export.nextHopIpv6'), 'a link-local next hop is refused');
  t.ok(paths.includes('peers[0].export.asPathPrepend'));
  t.ok(paths.includes('peers[0].export.communities[0]'));
});

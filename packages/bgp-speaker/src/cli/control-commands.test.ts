/**
 * The control commands of the real bgp-speaker binary (build first: `npx tsc -p tsconfig.build.json`)
 * against a control server in this process whose fake handler records every request it receives.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { startControlServer } from '../control/server.js';
import type { ControlRequest } from '../control/protocol.js';
import type { RouteView } from '../rib/route-view.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/bgp-speaker.js');

interface Run { code: number | null; stdout: string; stderr: string }

function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, stdout, stderr });
    });
  });
}

const ROUTE: RouteView = {
  prefix: '10.5.0.1/32',
  nextHop: '192.0.2.100',
  asPath: [4200000000],
  origin: 'igp',
  med: 5,
  localPref: null,
  communities: ['64512:100'],
  largeCommunities: ['4200000000:1:2'],
};

/**
 * A control server with a fake speaker: it records each request, answers like the real handler
 * would, and refuses anything about peer 192.0.2.9 the way the speaker refuses an unknown peer.
 */
async function fakeSpeaker(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-speaker-cli-control-'));
  const path = join(dir, 'control.sock');
  const requests: ControlRequest[] = [];
  const server = await startControlServer(path, async (request) => {
    requests.push(request);
    await new Promise((resolve) => setImmediate(resolve));
    switch (request.command) {
      case 'neighbors':
        return [{ address: '192.0.2.1', asn: 64512, state: 'Established', uptimeSeconds: 3725, received: 3, advertised: 1, lastError: null }];
      case 'routes':
        if (request.received === '192.0.2.9' || request.advertised === '192.0.2.9') throw new Error('no configured peer 192.0.2.9');
        return [ROUTE];
      case 'announce':
        return { announced: request.route.prefix };
      case 'withdraw':
        return { withdrawn: request.prefix };
      case 'neighbor':
        if (request.address === '192.0.2.9') throw new Error('no configured peer 192.0.2.9');
        return { neighbor: request.address, action: request.action };
    }
  });
  t.teardown(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, requests };
}

t.test('announce with every option: the request as the speaker receives it', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const result = await runCli([
    'announce', '10.5.0.1',
    '--community', '64512:100', '--community', 'no-export',
    '--large-community', '4200000000:1:2', '--large-community', '4200000000:3:4',
    '--next-hop', '192.0.2.100', '--local-pref', '200', '--med', '0',
    '--control', path,
  ]);
  t.same(result, { code: 0, stdout: 'announced 10.5.0.1/32\n', stderr: '' });
  t.same(requests, [{
    command: 'announce',
    route: {
      prefix: '10.5.0.1/32',
      nextHop: '192.0.2.100',
      communities: ['64512:100', 'no-export'],
      largeCommunities: ['4200000000:1:2', '4200000000:3:4'],
      localPref: 200,
      med: 0,
    },
  }]);
});

t.test('announce with only a prefix, and --json', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const plain = await runCli(['announce', '2001:DB8:5::1/128', '--control', path]);
  t.same(plain, { code: 0, stdout: 'announced 2001:db8:5::1/128\n', stderr: '' });
  const json = await runCli(['announce', '10.5.0.0/24', '--next-hop', 'self', '--json', '--control', path]);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), { announced: '10.5.0.0/24' });
  t.same(requests, [
    { command: 'announce', route: { prefix: '2001:db8:5::1/128' } },
    { command: 'announce', route: { prefix: '10.5.0.0/24', nextHop: 'self' } },
  ]);
});

t.test('announce usage errors: exit 2, the reason, nothing sent', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const cases: [args: string[], reason: RegExp][] = [
    [['announce'], /missing PREFIX/],
    [['announce', '10.5.0.1/32', '10.5.0.2/32'], /unexpected argument "10\.5\.0\.2\/32"/],
    [['announce', '10.5.0.1/33'], /"route\.prefix": "10\.5\.0\.1\/33" has an invalid prefix length/],
    [['announce', '10.5.0.1/32', '--community', '64512:70000'], /"route\.communities\[0\]": "64512:70000" is not a community/],
    [['announce', '10.5.0.1/32', '--large-community', '1:2'], /"route\.largeCommunities\[0\]": "1:2" is not a large community/],
    [['announce', '10.5.0.1/32', '--next-hop', '2001:db8::1'], /"route\.nextHop" must be an IPv4 address for 10\.5\.0\.1\/32/],
    [['announce', '10.5.0.1/32', '--local-pref', 'high'], /--local-pref must be a decimal integer, got "high"/],
    [['announce', '10.5.0.1/32', '--med', '4294967296'], /"route\.med" must be an integer from 0 to 4294967295/],
    [['announce', '10.5.0.1/32', '--communty', '64512:1'], /Unknown option '--communty'/],
  ];
  for (const [args, reason] of cases) {
    const result = await runCli([...args, '--control', path]);
    t.equal(result.code, 2, `${args.join(' ')}: exit 2`);
    t.match(result.stderr, reason, `${args.join(' ')}: says why`);
    t.match(result.stderr, /usage:/);
    t.equal(result.stdout, '');
  }
  t.same(requests, [], 'nothing reached the speaker');
});

t.test('withdraw', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  t.same(await runCli(['withdraw', '10.5.0.7/24', '--control', path]), { code: 0, stdout: 'withdrew 10.5.0.0/24\n', stderr: '' });
  const json = await runCli(['withdraw', '10.5.0.1', '--json', '--control', path]);
  t.same(JSON.parse(json.stdout), { withdrawn: '10.5.0.1/32' });
  const bad = await runCli(['withdraw', 'everything', '--control', path]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /"prefix": /);
  t.same(requests, [{ command: 'withdraw', prefix: '10.5.0.0/24' }, { command: 'withdraw', prefix: '10.5.0.1/32' }]);
});

t.test('neighbor reset, shutdown with a message, enable', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  t.same(await runCli(['neighbor', '192.0.2.1', 'reset', '--control', path]), { code: 0, stdout: 'neighbor 192.0.2.1 reset\n', stderr: '' });
  t.same(await runCli(['neighbor', '192.0.2.1', 'shutdown', '--message', 'maintenance until 14:00', '--control', path]), {
    code: 0,
    stdout: 'neighbor 192.0.2.1 shut down\n',
    stderr: '',
  });
  t.same(await runCli(['neighbor', '2001:db8::1', 'enable', '--control', path]), { code: 0, stdout: 'neighbor 2001:db8::1 enabled\n', stderr: '' });
  const json = await runCli(['neighbor', '192.0.2.1', 'shutdown', '--json', '--control', path]);
  t.same(JSON.parse(json.stdout), { neighbor: '192.0.2.1', action: 'shutdown' });
  t.same(requests, [
    { command: 'neighbor', address: '192.0.2.1', action: 'reset' },
    { command: 'neighbor', address: '192.0.2.1', action: 'shutdown', message: 'maintenance until 14:00' },
    { command: 'neighbor', address: '2001:db8::1', action: 'enable' },
    { command: 'neighbor', address: '192.0.2.1', action: 'shutdown' },
  ]);
});

t.test('neighbor usage errors (exit 2) and a refusal from the speaker (exit 1)', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const cases: [args: string[], reason: RegExp][] = [
    [['neighbor', '192.0.2.1'], /missing ACTION/],
    [['neighbor'], /missing ADDRESS ACTION/],
    [['neighbor', '192.0.2.1', 'restart'], /unknown neighbor action "restart" \(known: reset, shutdown, enable\)/],
    [['neighbor', '192.0.2.1', 'reset', '--message', 'bye'], /--message goes with shutdown only/],
    [['neighbor', 'router-a', 'reset'], /"address" must be an IPv4 or IPv6 address, got "router-a"/],
    [['neighbor', '192.0.2.1', 'shutdown', '--message', 'x'.repeat(256)], /"message" is 256 octets of UTF-8; RFC 9003 allows at most 255/],
  ];
  for (const [args, reason] of cases) {
    const result = await runCli([...args, '--control', path]);
    t.equal(result.code, 2, `${args.join(' ')}: exit 2`);
    t.match(result.stderr, reason, `${args.join(' ')}: says why`);
  }
  t.same(requests, [], 'no usage error reached the speaker');

  const refused = await runCli(['neighbor', '192.0.2.9', 'reset', '--control', path]);
  t.same(refused, { code: 1, stdout: '', stderr: 'bgp-speaker: no configured peer 192.0.2.9\n' });
  t.same(requests, [{ command: 'neighbor', address: '192.0.2.9', action: 'reset' }]);
});

t.test('routes: ours, --advertised PEER, --received PEER, as a table and as JSON', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const ours = await runCli(['routes', '--control', path]);
  t.equal(ours.code, 0);
  t.match(ours.stdout, /^PREFIX\s+NEXT HOP\s+AS PATH\s+ORIGIN\s+MED\s+LOCPRF\s+COMMUNITIES\n10\.5\.0\.1\/32\s+192\.0\.2\.100\s+4200000000\s+igp\s+5\s+64512:100 4200000000:1:2\n$/);
  const advertised = await runCli(['routes', '--advertised', '192.0.2.1', '--json', '--control', path]);
  t.equal(advertised.code, 0);
  t.same(JSON.parse(advertised.stdout), [ROUTE]);
  t.equal((await runCli(['routes', '--received', '192.0.2.1', '--control', path])).code, 0);
  t.same(requests, [{ command: 'routes' }, { command: 'routes', advertised: '192.0.2.1' }, { command: 'routes', received: '192.0.2.1' }]);

  const both = await runCli(['routes', '--received', '192.0.2.1', '--advertised', '192.0.2.1', '--control', path]);
  t.equal(both.code, 2);
  t.match(both.stderr, /--received PEER or --advertised PEER, not both/);
  const badPeer = await runCli(['routes', '--advertised', 'peer-a', '--control', path]);
  t.equal(badPeer.code, 2);
  t.match(badPeer.stderr, /"advertised" must be an IPv4 or IPv6 address/);
  const unknown = await runCli(['routes', '--advertised', '192.0.2.9', '--control', path]);
  t.same(unknown, { code: 1, stdout: '', stderr: 'bgp-speaker: no configured peer 192.0.2.9\n' });
  t.equal(requests.length, 4, 'usage errors sent nothing');
});

t.test('neighbors as a table', async (t) => {
  const { path, requests } = await fakeSpeaker(t);
  const result = await runCli(['neighbors', '--control', path]);
  t.equal(result.code, 0);
  t.match(result.stdout, /^NEIGHBOR\s+AS\s+STATE\s+UP\/DOWN.*\n192\.0\.2\.1\s+64512\s+Established\s+01:02:05\s+3\s+1\s*\n$/);
  t.same(requests, [{ command: 'neighbors' }]);
});

t.test('help lists the control commands; no speaker means exit 1 with a hint', async (t) => {
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  for (const usage of ['bgp-speaker announce PREFIX', 'bgp-speaker withdraw PREFIX', 'bgp-speaker neighbor ADDRESS reset|shutdown|enable', '--advertised PEER']) {
    t.ok(help.stdout.includes(usage), `usage shows ${usage}`);
  }
  const absent = await runCli(['withdraw', '10.5.0.1/32', '--control', join(tmpdir(), 'no-such-speaker.sock')]);
  t.equal(absent.code, 1);
  t.match(absent.stderr, /cannot reach the control socket .*ENOENT/);
});

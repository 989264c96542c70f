// The namespace half of the lab: topology, commands and processes inside,
// cleanup (also of crashed runs), and nothing of ours on the host.

import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, cleanupStaleLabs, listLabNamespaces } from './netns.js';
import { pollUntil, run } from './proc.js';

async function hostInterfaces(): Promise<string[]> {
  const out = await run('ip', ['-o', 'link', 'show']);
  return out.stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => n !== '');
}

const SERVER = "require('net').createServer((s) => s.end('pong')).listen(7777, '::')";
const client = (address: string): string =>
  `const s = require('net').connect(7777, '${address}'); s.on('data', (d) => { process.stdout.write(d); process.exit(0); }); s.on('error', () => process.exit(1));`;

t.test('seed topology: addresses, TCP over IPv4 and IPv6, cleanup', async (t) => {
  const before = await hostInterfaces();
  const lab = await Lab.create();
  t.match(lab.id, new RegExp(`^mlbt-${process.pid}-\\d+$`), 'lab id carries the pid');
  const { router, node } = await lab.seedTopology();
  t.same(router.ips, ['192.0.2.1', '2001:db8::1']);
  t.same(node.ips, ['192.0.2.100', '2001:db8::100']);
  t.equal(router.ipv6(), '2001:db8::1');

  const addr = await node.exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
  t.match(addr.stdout, /inet 192\.0\.2\.100\/24/);
  t.notMatch(addr.stdout, /2001:db8::100\/64.*tentative/, 'IPv6 address usable at once (no DAD)');

  const server = router.spawn('server', 'node', ['-e', SERVER]);
  for (const target of ['192.0.2.1', '2001:db8::1']) {
    const reply = await pollUntil(
      async () => {
        const out = await node.exec('node', ['-e', client(target)], { allowFailure: true });
        return out.code === 0 ? out.stdout : undefined;
      },
      { timeoutMs: 10_000, onTimeout: () => `no TCP to ${target}: ${server.output().join('\n')}` },
    );
    t.equal(reply, 'pong', `TCP across the veth to ${target}`);
  }
  const duringHost = await hostInterfaces();
  t.same(duringHost.filter((n) => !before.includes(n) && /^(eth\d+|p\d+|br0)$/.test(n)), [], 'no interface of ours in the host namespace');

  const names = [...lab.namespaceNames];
  await lab.close();
  t.notOk(server.running, 'process inside was killed');
  const left = await listLabNamespaces();
  t.same(names.filter((n) => left.includes(n)), [], 'namespaces removed');
  await lab.close(); // twice is harmless
  await t.rejects(lab.node('late'), /closed/, 'a closed lab makes nothing');
});

t.test('segment: three nodes on one bridge reach each other', async (t) => {
  const lab = await Lab.create(t);
  const { nodes, bridge } = await lab.segmentOf([
    { name: 'a', addresses: ['192.0.2.11/24'] },
    { name: 'b', addresses: ['192.0.2.12/24'] },
    { name: 'c', addresses: ['192.0.2.13/24'] },
  ]);
  t.same(bridge.interfaces, ['br0', 'p1', 'p2', 'p3']);
  const [a, , c] = nodes;
  if (a === undefined || c === undefined) throw new Error('nodes missing');
  a.spawn('server', 'node', ['-e', SERVER]);
  const reply = await pollUntil(
    async () => {
      const out = await c.exec('node', ['-e', client('192.0.2.11')], { allowFailure: true });
      return out.code === 0 ? out.stdout : undefined;
    },
    { timeoutMs: 10_000, onTimeout: () => 'no TCP across the bridge' },
  );
  t.equal(reply, 'pong', 'c reaches a through the bridge');
  t.throws(() => a.ipv6(), /no IPv6/, 'asking for a missing family fails clearly');
  await t.rejects(lab.node('Bad_Name'), /node name/);
});

t.test('cleanupStaleLabs removes what a dead run left, not a live run\'s', async (t) => {
  const live = await Lab.create(t); // (its own stale sweep runs here, before the fake crash below)
  const liveNode = await live.node('live');

  // A pid that is surely gone: a child that has exited.
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  const deadPid = child.pid ?? 1;
  const stale = `mlbt-${deadPid}-1-stale`;
  await run('ip', ['netns', 'add', stale]);
  const sleeper = spawn('ip', ['netns', 'exec', stale, 'sleep', '60'], { stdio: 'ignore' });
  const exited = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    sleeper.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  await pollUntil(
    async () => ((await run('ip', ['netns', 'pids', stale])).stdout.trim() === '' ? undefined : true),
    { timeoutMs: 5_000, onTimeout: () => 'sleeper never entered the namespace' },
  );
  const staleDir = join(tmpdir(), `mlbt-${deadPid}-stale-dir`);
  mkdirSync(staleDir, { recursive: true });

  const removed = await cleanupStaleLabs();
  t.ok(removed.includes(stale), 'stale namespace removed');
  t.ok(removed.includes(staleDir), 'stale temp folder removed');
  t.notOk(existsSync(staleDir));
  t.ok(await exited, 'process inside the stale namespace killed');
  t.ok((await listLabNamespaces()).includes(liveNode.ns), 'a live lab is left alone');
});

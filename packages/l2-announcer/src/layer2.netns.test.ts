// Layer 2 mode end to end, in network namespaces (needs root): a client and two speaker nodes
// on one bridge. Node A owns 192.0.2.200 and 2001:db8::200 and must be the only one answering;
// then A gives them up, B takes over, and B's gratuitous ARP / unsolicited NA must move the
// client's neighbour entries to B's MAC within a second.
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../../../test/lab/netns.js';
import type { LabNode } from '../../../test/lab/netns.js';
import { pollUntil, run } from '../../../test/lab/proc.js';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED = join(PACKAGE, 'build', 'test-js');
const RUNNER = join(COMPILED, 'test-helpers', 'runner.js');

/** A runner process inside a namespace, commanded line by line. */
class Runner {
  private readonly replies: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  readonly output: string[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.output.push(line);
      if (this.waiting !== undefined) {
        const resolveLine = this.waiting;
        this.waiting = undefined;
        resolveLine(line);
      } else this.replies.push(line);
    });
    child.stderr.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  next(timeoutMs = 5000): Promise<string> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner did not answer: ${this.output.join('\n')}`)), timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolveLine(line);
      };
    });
  }

  async command(line: string): Promise<string> {
    this.child.stdin.write(`${line}\n`);
    return this.next();
  }
}

async function startRunner(t: Test, node: LabNode): Promise<Runner> {
  const child = spawn('ip', ['netns', 'exec', node.ns, process.execPath, RUNNER, 'eth0'], { stdio: 'pipe' });
  t.teardown(() => {
    child.stdin.end();
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const runner = new Runner(child);
  const first = await runner.next(10_000);
  if (first !== 'ready') throw new Error(`runner in ${node.name} failed: ${first}\n${runner.output.join('\n')}`);
  return runner;
}

async function macOf(node: LabNode): Promise<string> {
  const out = await node.exec('cat', ['/sys/class/net/eth0/address']);
  return out.stdout.trim();
}

/** The lladdr of the client's neighbour entry for `ip`, or undefined. */
async function neighbour(client: LabNode, ip: string): Promise<string | undefined> {
  const family = ip.includes(':') ? '-6' : '-4';
  const out = await run('ip', ['-n', client.ns, family, 'neigh', 'show', ip, 'dev', 'eth0']);
  return /lladdr (\S+)/.exec(out.stdout)?.[1];
}

/** Makes the client's kernel resolve `ip` (a UDP datagram to the discard port). */
async function sendUdp(client: LabNode, ip: string): Promise<void> {
  const family = ip.includes(':') ? 'udp6' : 'udp4';
  const script = `const s=require('dgram').createSocket('${family}');s.send('x',9,'${ip}',()=>setTimeout(()=>s.close(),100));`;
  await client.exec(process.execPath, ['-e', script]);
}

async function arpingMacs(client: LabNode, ip: string, count: number): Promise<string[]> {
  const out = await client.exec('arping', ['-c', String(count), '-w', String(count + 2), '-I', 'eth0', ip], { allowFailure: true, timeoutMs: 20_000 });
  return [...out.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]+)\]/g)].map((m) => (m[1] ?? '').toLowerCase());
}

t.test('layer 2 announcements in network namespaces', { timeout: 90_000 }, async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test creates network namespaces: run it as root');
  // The runner runs as compiled JS inside the namespaces.
  await run('npx', ['tsc', '-p', join(PACKAGE, 'tsconfig.json'), '--outDir', COMPILED], { timeoutMs: 120_000 });

  const lab = await Lab.create(t);
  const { nodes } = await lab.segmentOf([
    { name: 'client', addresses: ['192.0.2.1/24', '2001:db8::1/64'] },
    { name: 'nodea', addresses: ['192.0.2.2/24', '2001:db8::2/64'] },
    { name: 'nodeb', addresses: ['192.0.2.3/24', '2001:db8::3/64'] },
  ]);
  const [client, nodeA, nodeB] = nodes as [LabNode, LabNode, LabNode];
  const macA = await macOf(nodeA);
  const macB = await macOf(nodeB);
  t.not(macA, macB);

  const a = await startRunner(t, nodeA);
  const b = await startRunner(t, nodeB);
  t.equal(await a.command('own 192.0.2.200'), 'ok own 192.0.2.200');
  t.equal(await a.command('own 2001:db8::200'), 'ok own 2001:db8::200');

  // The client's kernel resolves both addresses: only A can have answered.
  await sendUdp(client, '192.0.2.200');
  await sendUdp(client, '2001:db8::200');
  const poll = (ip: string, mac: string, timeoutMs: number): Promise<string> =>
    pollUntil(async () => ((await neighbour(client, ip)) === mac ? mac : undefined), {
      timeoutMs,
      intervalMs: 50,
      onTimeout: () => `client's neighbour entry for ${ip} is not ${mac}`,
    });
  t.equal(await poll('192.0.2.200', macA, 3000), macA, 'ARP: the client resolved 192.0.2.200 to A');
  t.equal(await poll('2001:db8::200', macA, 3000), macA, 'NDP: the client resolved 2001:db8::200 to A (NS -> NA)');

  const replies = await arpingMacs(client, '192.0.2.200', 3);
  t.equal(replies.length, 3, 'arping got three answers');
  t.same([...new Set(replies)], [macA], 'all of them from A, none from B');
  t.same(await arpingMacs(client, '192.0.2.201', 2), [], 'an address nobody owns gets no answer');

  const statsA = JSON.parse(await a.command('stats')) as { requestsReceived: number; responsesSent: number; gratuitousSent: number };
  const statsB = JSON.parse(await b.command('stats')) as typeof statsA;
  t.ok(statsA.requestsReceived >= 4, `A counted the requests for its addresses (${statsA.requestsReceived})`);
  t.equal(statsA.responsesSent, statsA.requestsReceived, 'and answered each');
  t.equal(statsA.gratuitousSent, 2 * 5 + 5, 'IPv4: 5 rounds of request + reply, IPv6: 5 NAs');
  t.same(statsB, { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0 }, 'B, owning nothing, stayed silent');

  // The kernel filters: A's sockets get ARP requests and NS only, not the node's other traffic.
  const framesBefore = Number(await a.command('frames'));
  const flood = `const s=require('dgram').createSocket('udp6');let n=0;const next=()=>{if(n++>=300)return s.close();s.send('x',9,'2001:db8::2',next)};next();`;
  await client.exec(process.execPath, ['-e', flood]);
  const arpReplies = await arpingMacs(client, '192.0.2.2', 3); // A's kernel answers: replies, not requests, leave A
  t.equal(arpReplies.length, 3, "A's kernel answered arping for its own address");
  const framesAfter = Number(await a.command('frames'));
  t.ok(framesAfter - framesBefore <= 3, `300 IPv6 datagrams to A and 3 ARP requests for an address A's speaker does not own reached its sockets as ${framesAfter - framesBefore} frames (an NS or two at most): the kernel filtered the rest`);
  const ownedReplies = await arpingMacs(client, '192.0.2.200', 3);
  const framesOwned = Number(await a.command('frames'));
  t.equal(ownedReplies.length, 3);
  t.ok(framesOwned - framesAfter >= 3 && framesOwned - framesAfter <= 5, `the 3 requests for 192.0.2.200, which it owns, did reach it (${framesOwned - framesAfter} frames)`);

  // Failover: A gives the addresses up, B takes them; B's announcements move the client at once.
  t.equal(await a.command('disown 192.0.2.200'), 'ok disown 192.0.2.200');
  t.equal(await a.command('disown 2001:db8::200'), 'ok disown 2001:db8::200');
  // Disowning sends nothing: without B's announcements the client would keep A's MAC for now.
  t.equal(await neighbour(client, '192.0.2.200'), macA, 'before the takeover the client still has A (IPv4)');
  t.equal(await neighbour(client, '2001:db8::200'), macA, 'before the takeover the client still has A (IPv6)');
  const started = Date.now();
  t.equal(await b.command('own 192.0.2.200'), 'ok own 192.0.2.200');
  t.equal(await b.command('own 2001:db8::200'), 'ok own 2001:db8::200');
  t.equal(await poll('192.0.2.200', macB, 1000), macB, 'gratuitous ARP moved 192.0.2.200 to B');
  t.equal(await poll('2001:db8::200', macB, 1000), macB, 'unsolicited NA moved 2001:db8::200 to B');
  t.ok(Date.now() - started <= 1500, `within a second of the takeover (${Date.now() - started} ms)`);

  const after = await arpingMacs(client, '192.0.2.200', 2);
  t.same([...new Set(after)], [macB], 'now only B answers');
  t.equal(await a.command('quit'), 'ok quit');
  t.equal(await b.command('quit'), 'ok quit');
});

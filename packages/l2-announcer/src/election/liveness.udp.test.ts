/**
 * Three memberships over real UDP on loopback (127.0.0.91-93, ports chosen by the system), on
 * real timers with the default 100 ms interval and 400 ms dead time: a stopped node is seen dead
 * by the two others in well under a second, and alive again once it restarts. Every wait is
 * bounded in time.
 */
import { createSocket } from 'node:dgram';

import t from 'tap';

import { Liveness } from './liveness.js';
import type { LivenessEndpoint } from './liveness.js';

/** A port the system gives for `address` now; each node has its own address, so reuse is safe here. */
function freePort(address: string): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

const NAMES = ['node-1', 'node-2', 'node-3'] as const;
const endpoints: LivenessEndpoint[] = [];
for (const [i, name] of NAMES.entries()) {
  const address = `127.0.0.${91 + i}`;
  endpoints.push({ name, address, port: await freePort(address) });
}
/** Every node is configured with all three, as a speaker is with the node list: a stopped node stays listed. */
const member = (self: LivenessEndpoint): Liveness => new Liveness({ self, peers: () => endpoints });
const members: Liveness[] = endpoints.map(member);

/** Resolves with the milliseconds it took, or rejects after `limitMs`. */
function waitFor(what: string, condition: () => boolean, limitMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const elapsed = performance.now() - started;
      if (condition()) resolve(elapsed);
      else if (elapsed > limitMs) reject(new Error(`${what}: not within ${limitMs} ms`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

const sees = (member: Liveness | undefined, alive: readonly string[]): boolean =>
  JSON.stringify(member?.alive()) === JSON.stringify(alive);

t.teardown(() => {
  for (const member of members) member.stop();
});

t.test('a stopped node is dead for the others in under a second, back when restarted', async (t) => {
  const [first, second, third] = members;
  const thirdEndpoint = endpoints[2];
  if (!first || !second || !third || !thirdEndpoint) throw new Error('three members');
  for (const member of members) await member.start();
  await waitFor('all see all', () => members.every((m) => sees(m, [...NAMES])), 2000);
  t.pass('all three see each other');

  const deaths: (readonly string[])[] = [];
  second.onChange((alive) => deaths.push(alive));
  third.stop();
  const detectedMs = await waitFor('node-3 dead', () => sees(first, ['node-1', 'node-2']) && sees(second, ['node-1', 'node-2']), 3000);
  t.comment(`node-3 seen dead after ${detectedMs.toFixed(0)} ms`);
  t.ok(detectedMs < 1000, `detected in ${detectedMs.toFixed(0)} ms (< 1000)`);
  // The last heartbeat left at most one interval before stop(), so 400 - 100 ms at the earliest
  // (minus timer slack): faster would mean something other than the dead time removed the node.
  t.ok(detectedMs >= 200, `not before the dead time (${detectedMs.toFixed(0)} ms)`);
  t.strictSame(deaths, [['node-1', 'node-2']], 'one change reported');

  // A restarted speaker: a new process, same address and port, a new incarnation.
  const restarted = member(thirdEndpoint);
  members[2] = restarted;
  await restarted.start();
  const backMs = await waitFor('node-3 back', () => members.every((m) => sees(m, [...NAMES])), 2000);
  t.comment(`node-3 back after ${backMs.toFixed(0)} ms`);
  t.ok(backMs < 1000, `back in ${backMs.toFixed(0)} ms`);
  for (const member of members) {
    t.equal(member.stats.malformed + member.stats.unknownSender + member.stats.wrongVersion, 0, 'clean traffic');
  }
});

t.test('a node stopped with leave is dead for the others at once, over real sockets', async (t) => {
  const [first, second, third] = members;
  if (!first || !second || !third) throw new Error('three members');
  await waitFor('all see all', () => members.every((m) => sees(m, [...NAMES])), 2000);
  third.stop({ leave: true });
  const detectedMs = await waitFor('node-3 gone', () => sees(first, ['node-1', 'node-2']) && sees(second, ['node-1', 'node-2']), 3000);
  t.comment(`node-3 gone after ${detectedMs.toFixed(0)} ms`);
  // Both heard it leave (the datagram was sent before the socket closed); the dead time alone would
  // have taken at least 300 ms.
  t.equal(first.stats.departures + second.stats.departures, 2, 'both received the leaving heartbeat');
  t.ok(detectedMs < 300, `gone in ${detectedMs.toFixed(0)} ms`);
});

t.test('a port already taken fails start(), which can be retried', async (t) => {
  const self: LivenessEndpoint = { name: 'node-9', address: '127.0.0.99', port: await freePort('127.0.0.99') };
  const holder = new Liveness({ self, peers: () => [] });
  const contender = new Liveness({ self, peers: () => [] });
  await holder.start();
  await t.rejects(contender.start(), { code: 'EADDRINUSE' });
  t.equal(contender.address(), undefined);
  holder.stop();
  await contender.start();
  t.strictSame(contender.address(), { address: '127.0.0.99', port: self.port }, 'bound once the port is free');
  contender.stop();
});

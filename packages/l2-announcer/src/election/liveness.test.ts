import t from 'tap';

import { ManualClock } from '@metallb-ts/clock';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat.js';
import type { Heartbeat } from './heartbeat.js';
import { Liveness } from './liveness.js';
import type { DatagramSource, HeartbeatSocket, HeartbeatSocketHandlers, LivenessEndpoint, LivenessOptions } from './liveness.js';

const SELF: LivenessEndpoint = { name: 'node-a', address: '10.0.0.1', port: 7946 };
const B: LivenessEndpoint = { name: 'node-b', address: '10.0.0.2', port: 7946 };
const C: LivenessEndpoint = { name: 'node-c', address: '10.0.0.3', port: 7946 };

class FakeSocket implements HeartbeatSocket {
  readonly sent: { data: Buffer; address: string; port: number }[] = [];
  closed = false;
  bound: { address: string; port: number } | undefined;
  constructor(readonly family: string, readonly handlers: HeartbeatSocketHandlers) {}
  bind(address: string, port: number): Promise<number> {
    this.bound = { address, port };
    return Promise.resolve(port);
  }
  send(data: Buffer, address: string, port: number): void {
    this.sent.push({ data, address, port });
  }
  close(): void {
    this.closed = true;
  }
  deliver(data: Buffer, from: DatagramSource): void {
    this.handlers.message(data, from);
  }
}

async function setup(peers: () => readonly LivenessEndpoint[] = () => [SELF, B, C], extra: Pick<LivenessOptions, 'key'> = {}) {
  const clock = new ManualClock(1000);
  const sockets: FakeSocket[] = [];
  const liveness = new Liveness({
    self: SELF,
    peers,
    clock,
    ...extra,
    socketFactory: (family, handlers) => {
      const socket = new FakeSocket(family, handlers);
      sockets.push(socket);
      return socket;
    },
  });
  const changes: (readonly string[])[] = [];
  liveness.onChange((alive) => changes.push(alive));
  await liveness.start();
  const socket = sockets[0];
  if (socket === undefined) throw new Error('no socket made');
  let seqB = 0;
  const fromB = (overrides: Partial<Heartbeat> = {}): void =>
    socket.deliver(encodeHeartbeat({ node: B.name, seq: seqB++, incarnation: 1, ...overrides }), B);
  return { clock, liveness, socket, sockets, changes, fromB };
}

t.test('sends a heartbeat to every peer but itself each interval, seq counting up', async (t) => {
  const { clock, socket } = await setup();
  t.strictSame(socket.bound, { address: SELF.address, port: SELF.port });
  t.equal(socket.family, 'udp4');
  t.strictSame(socket.sent.map((s) => s.address), ['10.0.0.2', '10.0.0.3'], 'one round at start');
  clock.advance(99);
  t.equal(socket.sent.length, 2, 'nothing before the interval');
  clock.advance(1);
  t.equal(socket.sent.length, 4);
  clock.advance(1000);
  t.equal(socket.sent.length, 24, '10 more rounds in a second');
  const decoded = socket.sent.map((s) => decodeHeartbeat(s.data));
  const seqs = decoded.map((d) => (d.ok ? d.heartbeat.seq : -1));
  t.strictSame(seqs.slice(0, 6), [0, 0, 1, 1, 2, 2]);
  t.ok(decoded.every((d) => d.ok && d.heartbeat.node === SELF.name && d.heartbeat.incarnation > 0));
});

t.test('a peer that stops sending is dead after deadAfterMs, not before', async (t) => {
  const { clock, liveness, changes, fromB } = await setup();
  t.strictSame(liveness.alive(), ['node-a'], 'alone until heard');
  fromB();
  t.strictSame(liveness.alive(), ['node-a', 'node-b']);
  t.strictSame(changes, [['node-a', 'node-b']]);
  // Heartbeats every 100 ms keep it alive for two seconds without a change.
  for (let i = 0; i < 20; i++) {
    clock.advance(100);
    fromB();
  }
  t.equal(changes.length, 1, 'no change while it sends');
  clock.advance(399);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'still alive at 399 ms');
  clock.advance(1);
  t.strictSame(liveness.alive(), ['node-a'], 'dead at 400 ms');
  t.strictSame(changes, [['node-a', 'node-b'], ['node-a']]);
});

t.test('a dead peer comes back when it sends again, even restarted with a lower incarnation', async (t) => {
  const { clock, liveness, changes, fromB } = await setup();
  fromB({ incarnation: 50, seq: 1000 });
  clock.advance(500);
  t.strictSame(liveness.alive(), ['node-a']);
  fromB({ incarnation: 10, seq: 0 });
  t.strictSame(liveness.alive(), ['node-a'], 'heard again, but warming up: it has not settled itself yet');
  clock.advance(200);
  fromB({ incarnation: 11, seq: 0 });
  t.equal(liveness.stats.stale, 0, 'a newer incarnation with seq 0 is accepted');
  clock.advance(199);
  t.strictSame(liveness.alive(), ['node-a']);
  clock.advance(1);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'back, deadAfterMs after its first heartbeat');
  t.strictSame(changes, [['node-a', 'node-b'], ['node-a'], ['node-a', 'node-b']]);
});

t.test('a peer joining after we settled counts once heard for deadAfterMs; one that falls silent before never does', async (t) => {
  const { clock, liveness, changes, fromB } = await setup();
  clock.advance(400);
  t.ok(liveness.settled);
  fromB({ seq: 0 });
  for (let i = 1; i <= 3; i++) {
    clock.advance(100);
    fromB({ seq: i });
    t.strictSame(liveness.alive(), ['node-a'], `warming up at ${i * 100} ms`);
  }
  clock.advance(100);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'alive at 400 ms, when it claims its addresses itself');
  t.strictSame(changes, [['node-a', 'node-b']], 'one change, at the end of the warm-up');

  const { clock: clock2, liveness: liveness2, changes: changes2, fromB: fromB2 } = await setup();
  clock2.advance(400);
  fromB2({ seq: 0 });
  clock2.advance(1000);
  t.strictSame(liveness2.alive(), ['node-a']);
  t.strictSame(changes2, [], 'a peer heard once and gone was never reported');
});

t.test('duplicated or reordered heartbeats do not keep a peer alive', async (t) => {
  const { clock, liveness, fromB } = await setup();
  fromB({ seq: 5 });
  clock.advance(300);
  fromB({ seq: 5 });
  fromB({ seq: 4 });
  fromB({ seq: 9, incarnation: 0 });
  t.equal(liveness.stats.stale, 3);
  clock.advance(100);
  t.strictSame(liveness.alive(), ['node-a'], 'dead 400 ms after the last fresh heartbeat');
});

t.test('unknown senders are ignored and counted', async (t) => {
  const { liveness, socket, changes } = await setup();
  const heartbeat = (node: string): Buffer => encodeHeartbeat({ node, seq: 1, incarnation: 1 });
  socket.deliver(heartbeat('node-x'), { address: '10.0.0.9', port: 7946 });
  socket.deliver(heartbeat('node-b'), { address: '10.0.0.9', port: 7946 });
  socket.deliver(heartbeat('node-b'), { address: '10.0.0.2', port: 7947 });
  socket.deliver(heartbeat('node-c'), { address: '10.0.0.2', port: 7946 });
  socket.deliver(heartbeat('node-a'), { address: '10.0.0.1', port: 7946 });
  socket.deliver(heartbeat('node-b'), { address: 'garbage', port: 7946 });
  t.equal(liveness.stats.unknownSender, 6);
  t.strictSame(liveness.alive(), ['node-a']);
  t.strictSame(changes, []);
});

t.test('malformed datagrams and other versions are ignored and counted', async (t) => {
  const { liveness, socket, changes } = await setup();
  const bad = [
    Buffer.from('hello'),
    Buffer.from(JSON.stringify({ v: 1, node: 'node-b', seq: -1, incarnation: 1 })),
    Buffer.alloc(4096, 0x7b),
  ];
  for (const data of bad) socket.deliver(data, B);
  socket.deliver(Buffer.from(JSON.stringify({ v: 2, node: 'node-b', seq: 1, incarnation: 1 })), B);
  t.equal(liveness.stats.malformed, 3);
  t.equal(liveness.stats.wrongVersion, 1);
  t.equal(liveness.stats.received, 4);
  t.strictSame(liveness.alive(), ['node-a']);
  t.strictSame(changes, []);
});

t.test('a peer dropped from peers() is no longer alive at the next heartbeat', async (t) => {
  let peers: readonly LivenessEndpoint[] = [B, C];
  const { clock, liveness, socket, changes, fromB } = await setup(() => peers);
  fromB();
  socket.deliver(encodeHeartbeat({ node: 'node-c', seq: 0, incarnation: 1 }), C);
  t.strictSame(liveness.alive(), ['node-a', 'node-b', 'node-c']);
  peers = [C];
  clock.advance(100);
  t.strictSame(liveness.alive(), ['node-a', 'node-c']);
  t.strictSame(changes.at(-1), ['node-a', 'node-c']);
  fromB();
  t.strictSame(liveness.alive(), ['node-a', 'node-c'], 'its heartbeats are now from an unknown sender');
  t.equal(liveness.stats.unknownSender, 1);
});

t.test('settled after deadAfterMs; stop closes and forgets; start again with a new incarnation', async (t) => {
  const { clock, liveness, socket, sockets, changes, fromB } = await setup();
  t.equal(liveness.settled, false);
  clock.advance(200);
  fromB(); // before we settled: alive at once (the start-up view is being built)
  t.strictSame(liveness.alive(), ['node-a', 'node-b']);
  clock.advance(199);
  t.equal(liveness.settled, false);
  clock.advance(1);
  t.equal(liveness.settled, true);
  const firstIncarnation = decodeHeartbeat(socket.sent[0]?.data ?? Buffer.alloc(0));
  liveness.stop();
  t.ok(socket.closed);
  t.equal(clock.pending, 0, 'no timer left');
  t.strictSame(liveness.alive(), ['node-a']);
  const sentAtStop = socket.sent.length;
  clock.advance(1000);
  t.equal(socket.sent.length, sentAtStop, 'silent after stop');
  fromB();
  t.strictSame(liveness.alive(), ['node-a'], 'deaf after stop');
  t.equal(changes.length, 1, 'stop calls no listener');

  await liveness.start();
  const second = sockets[1];
  t.ok(second, 'a new socket');
  const again = decodeHeartbeat(second?.sent[0]?.data ?? Buffer.alloc(0));
  t.ok(firstIncarnation.ok && again.ok && again.heartbeat.incarnation > firstIncarnation.heartbeat.incarnation);
  t.ok(again.ok && again.heartbeat.seq === 0, 'seq starts over');
  await t.rejects(liveness.start(), /already started/);
});

t.test('options are checked', async (t) => {
  const peers = (): LivenessEndpoint[] => [];
  t.throws(() => new Liveness({ self: SELF, peers, intervalMs: 100, deadAfterMs: 100 }), RangeError);
  t.throws(() => new Liveness({ self: SELF, peers, intervalMs: 0 }), RangeError);
  t.throws(() => new Liveness({ self: { ...SELF, address: 'node-a' }, peers }), RangeError);
  t.throws(() => new Liveness({ self: { ...SELF, name: '' }, peers }), RangeError);
  t.throws(() => new Liveness({ self: { ...SELF, name: '\u00e9'.repeat(253) }, peers }), RangeError, 'too many bytes');
});

t.test('send failures and socket errors are counted, never thrown; IPv6 uses a udp6 socket', async (t) => {
  const { clock, liveness, socket } = await setup();
  const send = socket.send.bind(socket);
  socket.send = () => {
    throw new Error('ENETUNREACH');
  };
  t.doesNotThrow(() => clock.advance(100));
  t.equal(liveness.stats.socketErrors, 2, 'one per peer');
  socket.send = send;
  socket.handlers.error(new Error('ECONNREFUSED'));
  t.equal(liveness.stats.socketErrors, 3);

  const families: string[] = [];
  const v6 = new Liveness({
    self: { name: 'node-a', address: '::1', port: 7946 },
    peers: () => [],
    clock: new ManualClock(),
    socketFactory: (family, handlers) => {
      families.push(family);
      return new FakeSocket(family, handlers);
    },
  });
  await v6.start();
  t.strictSame(families, ['udp6']);
  v6.stop();
});

t.test('stop() while the socket is still binding closes it and starts nothing', async (t) => {
  const clock = new ManualClock();
  let release: (port: number) => void = () => {};
  let socket: FakeSocket | undefined;
  const liveness = new Liveness({
    self: SELF,
    peers: () => [B],
    clock,
    socketFactory: (family, handlers) => {
      socket = new FakeSocket(family, handlers);
      socket.bind = () => new Promise<number>((resolve) => (release = resolve));
      return socket;
    },
  });
  const starting = liveness.start();
  liveness.stop();
  release(SELF.port);
  await starting;
  t.equal(socket?.closed, true, 'the late socket is closed');
  t.equal(clock.pending, 0, 'no heartbeat timer');
  t.equal(socket?.sent.length, 0);
  t.equal(liveness.address(), undefined);
});

t.test('a peer that says it is leaving is dead at once, and its late heartbeats do not revive it', async (t) => {
  const { clock, liveness, socket, changes, fromB } = await setup();
  fromB({ incarnation: 5 });
  t.strictSame(liveness.alive(), ['node-a', 'node-b']);
  fromB({ incarnation: 5, leaving: true });
  t.strictSame(liveness.alive(), ['node-a'], 'gone without waiting deadAfterMs');
  t.strictSame(changes.at(-1), ['node-a']);
  t.equal(liveness.stats.departures, 1);
  fromB({ incarnation: 5 });
  t.strictSame(liveness.alive(), ['node-a'], 'a reordered heartbeat of the life that left is stale');
  t.equal(liveness.stats.stale, 1);
  clock.advance(1000);
  t.equal(changes.length, 2, "the old deadline does not fire a change");
  fromB({ incarnation: 6, seq: 0 });
  clock.advance(200);
  fromB({ incarnation: 6, seq: 1 });
  clock.advance(200);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'a new life comes back (after its warm-up)');
  clock.advance(199);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'and is not expired by the earlier life\'s timer');

  // Our own graceful stop: one leaving datagram to each peer, then silence.
  const before = socket.sent.length;
  liveness.stop({ leave: true });
  const leaving = socket.sent.slice(before).map((s) => ({ to: s.address, heartbeat: decodeHeartbeat(s.data) }));
  t.strictSame(leaving.map((l) => l.to).sort(), ['10.0.0.2', '10.0.0.3']);
  t.ok(leaving.every((l) => l.heartbeat.ok && l.heartbeat.heartbeat.leaving === true), 'each says leaving');
});

t.test('with a key: peers must sign their heartbeats with it, and ours are signed', async (t) => {
  const key = Buffer.from('s3cret');
  const { liveness, socket } = await setup(undefined, { key });
  t.strictSame(decodeHeartbeat(socket.sent[0]?.data ?? Buffer.alloc(0), key).ok, true, 'our heartbeat carries a valid HMAC');
  socket.deliver(encodeHeartbeat({ node: 'node-b', seq: 0, incarnation: 1 }), B);
  socket.deliver(encodeHeartbeat({ node: 'node-c', seq: 0, incarnation: 1 }, Buffer.from('wrong')), C);
  t.strictSame(liveness.alive(), ['node-a'], 'unsigned and wrongly signed heartbeats make nobody alive');
  t.equal(liveness.stats.unauthenticated, 2);
  socket.deliver(encodeHeartbeat({ node: 'node-b', seq: 1, incarnation: 1, leaving: true }), B);
  socket.deliver(encodeHeartbeat({ node: 'node-b', seq: 2, incarnation: 1 }, key), B);
  t.strictSame(liveness.alive(), ['node-a', 'node-b'], 'a signed one does; the unsigned "leaving" before it did nothing');
  t.equal(liveness.stats.departures, 0);
  liveness.stop();
});

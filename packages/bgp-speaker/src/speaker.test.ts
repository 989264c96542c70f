/**
 * The library API between two (or three) of our own speakers over loopback: each listens on its
 * own 127.0.0.x address and dials the other.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { buildOpen, encodeMessage, KEEPALIVE_MESSAGE, packAnnouncements } from '@metallb-ts/bgp-core';
import type { PeerConfig, SpeakerConfig } from './config/schema.js';
import { Speaker } from './speaker.js';

const quiet = pino({ level: 'silent' });
const PORT = 20000 + Math.floor(Math.random() * 20000);

interface Node {
  readonly address: string;
  readonly asn: number;
  readonly routerId: string;
}

const A: Node = { address: '127.0.0.31', asn: 4200000000, routerId: '10.0.0.31' };
const B: Node = { address: '127.0.0.32', asn: 64512, routerId: '10.0.0.32' };
const C: Node = { address: '127.0.0.33', asn: 64513, routerId: '10.0.0.33' };

function peerOf(node: Node, extra: Partial<PeerConfig> = {}): PeerConfig {
  return {
    address: node.address,
    asn: node.asn,
    port: PORT,
    holdTime: 30,
    keepaliveTime: 10,
    connectRetryTime: 1,
    passive: false,
    families: ['ipv4', 'ipv6'],
    fourOctetAs: true,
    export: { communities: [], largeCommunities: [], asPathPrepend: 0 },
    ...extra,
  };
}

/** On loopback a connection leaves from 127.0.0.1 unless told otherwise: give each its own address. */
function configOf(node: Node, peers: readonly PeerConfig[]): SpeakerConfig {
  return {
    asn: node.asn,
    routerId: node.routerId,
    listen: { address: node.address, port: PORT },
    peers: peers.map((peer) => ({ sourceAddress: node.address, ...peer })),
    announce: [],
  };
}

async function startSpeaker(t: Test, config: SpeakerConfig): Promise<Speaker> {
  const speaker = new Speaker(config, { logger: quiet });
  t.teardown(() => speaker.stop('test over'));
  await speaker.start();
  return speaker;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function stateOf(speaker: Speaker, peer: Node): string | undefined {
  return speaker.neighbors().find((n) => n.address === peer.address)?.state;
}

async function established(a: Speaker, peerOfA: Node, b: Speaker, peerOfB: Node): Promise<void> {
  await until('both sessions Established', () => (stateOf(a, peerOfA) === 'Established' && stateOf(b, peerOfB) === 'Established' ? true : undefined));
}

function receivedPrefixes(speaker: Speaker, from: Node): string[] {
  return speaker.receivedRoutes(from.address).map((route) => route.prefix).sort();
}

/**
 * A hand-written BGP peer on loopback: on each connection it sends its OPEN (IPv4, 4-octet ASNs)
 * and a KEEPALIVE, then does what `then` says. It never checks what we send.
 */
async function startRawPeer(
  t: Test,
  peer: { address: string; asn: number; routerId: string; holdTime?: number },
  then: (socket: Socket, options: { fourOctetAs: boolean; extendedMessage: boolean }) => void,
): Promise<void> {
  const server = createServer();
  server.listen(PORT, peer.address);
  await once(server, 'listening');
  const options = { fourOctetAs: true, extendedMessage: false };
  const sockets: Socket[] = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    const open = buildOpen({ localAsn: peer.asn, peerAsn: A.asn, routerId: peer.routerId, holdTimeSeconds: peer.holdTime ?? 30, families: ['ipv4'] });
    socket.write(encodeMessage(open, options));
    socket.write(KEEPALIVE_MESSAGE);
    then(socket, options);
  });
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
}

t.test('announce and withdraw: batched into few UPDATEs, idempotent, received with our attributes', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  await established(a, B, b, A);
  let updates = 0;
  b.on('routesReceived', () => updates++);

  for (let i = 0; i < 1000; i++) a.announce({ prefix: `10.6.${i >> 8}.${i & 255}/32`, communities: ['64512:100'] });
  // Loopback has no global IPv6 address to be next hop self for an IPv4 session: give one.
  a.announce({ prefix: '2001:db8:6::1/128', nextHop: '2001:db8::31', largeCommunities: ['4200000000:1:2'], med: 7 });
  await until('1001 routes at B', () => (b.receivedRoutes(A.address).length === 1001 ? true : undefined));
  t.ok(updates <= 8, `1001 routes arrived in ${updates} UPDATEs, not one each`);
  const route = b.receivedRoutes(A.address).find((r) => r.prefix === '10.6.0.5/32');
  t.same(route?.asPath, [A.asn], 'eBGP: our AS on an empty path');
  t.same(route?.communities, ['64512:100']);
  t.equal(route?.nextHop, A.address, 'next hop self is the session address');
  t.equal(route?.localPref, null, 'no LOCAL_PREF to an eBGP peer (RFC 4271 5.1.5)');
  const v6 = b.receivedRoutes(A.address).find((r) => r.prefix === '2001:db8:6::1/128');
  t.same(v6?.largeCommunities, ['4200000000:1:2']);
  t.equal(v6?.med, 7);

  const before = updates;
  a.announce({ prefix: '10.6.0.5/32', communities: ['64512:100'] });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(updates, before, 'announcing the same route again sends nothing');

  const withdrawn: string[] = [];
  b.on('routesWithdrawn', (_peer, prefixes) => withdrawn.push(...prefixes));
  a.withdraw('10.6.0.5/32');
  a.withdraw('10.6.0.5/32');
  a.withdraw('192.0.2.0/24');
  await until('the withdrawal at B', () => (withdrawn.includes('10.6.0.5/32') ? true : undefined));
  t.equal(b.receivedRoutes(A.address).length, 1000);
  t.same(withdrawn, ['10.6.0.5/32'], 'one withdrawal, none for repeats or unknown prefixes');
  t.equal(a.neighbors()[0]?.advertised, 1000);
  t.throws(() => a.announce({ prefix: '10.6.0.1/33' }), { name: 'ConfigError', message: /route\.prefix/ }, 'a bad prefix is an error naming the field');
});

t.test('per-peer export: communities added, MED default, AS path prepend', async (t) => {
  const a = await startSpeaker(
    t,
    configOf(A, [peerOf(B, { export: { communities: [64512 * 65536 + 999], largeCommunities: [], med: 50, asPathPrepend: 2 } })]),
  );
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  a.announce({ prefix: '10.7.0.1/32', communities: ['64512:1'] });
  a.announce({ prefix: '10.7.0.2/32', med: 3 });
  await established(a, B, b, A);
  await until('two routes at B', () => (b.receivedRoutes(A.address).length === 2 ? true : undefined));
  const [first, second] = b.receivedRoutes(A.address).sort((x, y) => x.prefix.localeCompare(y.prefix));
  t.same(first?.communities, ['64512:1', '64512:999'], "the peer's communities join the route's");
  t.equal(first?.med, 50, "the peer's MED where the route has none");
  t.equal(second?.med, 3, "the route's own MED wins");
  t.same(first?.asPath, [A.asn, A.asn, A.asn], 'our AS prepended twice more');
});

t.test('maxPrefixes: Cease/Maximum Number of Prefixes Reached, and the peer stays down', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A, { maxPrefixes: { limit: 5, restartTime: 30 } })]));
  await established(a, B, b, A);
  const down = new Promise<string>((resolve) => a.once('peerDown', (_address, reason) => resolve(reason)));
  for (let i = 0; i < 10; i++) a.announce({ prefix: `10.8.0.${i}/32` });
  t.match(await down, /received Cease\/Maximum Number of Prefixes Reached \(6\/1\)/, 'A is told why');
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.not(stateOf(b, A), 'Established', 'B keeps the session down within its restart time');
  t.match(b.neighbors()[0]?.lastError, /maximum number of prefixes \(5\) exceeded/);
  t.equal(b.neighbors()[0]?.received, 0, "the peer's routes are gone");
});

t.test('removePeer sends Cease/Peer De-configured; shutdown and enable', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  await established(a, B, b, A);
  let down = new Promise<string>((resolve) => a.once('peerDown', (_address, reason) => resolve(reason)));
  await b.shutdownPeer(A.address, 'maintenance 7');
  t.match(await down, /Administrative Shutdown \(6\/2\): "maintenance 7"/);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.equal(stateOf(b, A), 'Idle', 'shut down stays down');
  b.enablePeer(A.address);
  await established(a, B, b, A);
  t.pass('enable brings it back');

  down = new Promise<string>((resolve) => a.once('peerDown', (_address, reason) => resolve(reason)));
  await b.resetPeer(A.address);
  t.match(await down, /Administrative Reset \(6\/4\)/);
  await established(a, B, b, A);
  t.pass('reset comes back by itself');

  down = new Promise<string>((resolve) => a.once('peerDown', (_address, reason) => resolve(reason)));
  await b.removePeer(A.address);
  t.match(await down, /Peer De-configured \(6\/3\)/);
  t.same(b.neighbors(), [], 'the peer is gone');
  t.throws(() => b.enablePeer(A.address), /no configured peer 127\.0\.0\.31/);
});

t.test('reconfigure adds one peer and removes another, leaving the third session alone', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B), peerOf(C)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  const c = await startSpeaker(t, configOf(C, [peerOf(A)]));
  await established(a, B, b, A);
  await established(a, C, c, A);
  const socketToB = a['peers'].get(B.address)!['session']['main'].connection?.socket;
  const downAtC = new Promise<string>((resolve) => c.once('peerDown', (_address, reason) => resolve(reason)));
  const next = configOf(A, [peerOf(B, { export: { communities: [1], largeCommunities: [], asPathPrepend: 0 } })]);
  const diff = await a.reconfigure({ ...next, announce: [{ prefix: '10.9.0.1/32', family: 'ipv4', nextHop: 'self', communities: [], largeCommunities: [] }] });
  t.same(diff.peersRemoved, [C.address]);
  t.match(await downAtC, /Peer De-configured \(6\/3\)/, 'the removed peer is told');
  await until('the new route at B', () => (b.receivedRoutes(A.address).some((r) => r.prefix === '10.9.0.1/32') ? true : undefined));
  t.same(b.receivedRoutes(A.address)[0]?.communities, ['0:1'], 'the export change reached B');
  t.equal(a['peers'].get(B.address)!['session']['main'].connection?.socket, socketToB, "B's session is the same TCP connection: untouched");
  await t.rejects(a.reconfigure({ ...next, asn: 65001 }), /need a restart of the speaker: asn/);
});

t.test('graceful restart, helper side: the routes of a peer that lost its connection are kept stale and swept after its End-of-RIB', async (t) => {
  const gr = { gracefulRestart: { enabled: true, restartTime: 30 } };
  const a1 = new Speaker(configOf(A, [peerOf(B, gr)]), { logger: quiet });
  t.teardown(() => a1.stop('test over'));
  await a1.start();
  const b = await startSpeaker(t, configOf(B, [peerOf(A, gr)]));
  a1.announce({ prefix: '10.10.0.1/32' });
  a1.announce({ prefix: '10.10.0.2/32' });
  await established(a1, B, b, A);
  await until('both routes at B', () => (b.receivedRoutes(A.address).length === 2 ? true : undefined));

  await a1.stop('restarting', { gracefulRestart: true });
  await until('B to notice', () => (stateOf(b, A) !== 'Established' ? true : undefined));
  const kept = b.receivedRoutes(A.address);
  t.equal(kept.length, 2, 'B keeps both routes while A restarts');
  t.ok(kept.every((r) => r.stale === true), 'marked stale');

  const a2 = await startSpeaker(t, configOf(A, [peerOf(B, gr)]));
  a2.announce({ prefix: '10.10.0.1/32' });
  await until('the restarted session and its End-of-RIB', () =>
    stateOf(b, A) === 'Established' && b.receivedRoutes(A.address).length === 1 ? true : undefined,
  );
  const after = b.receivedRoutes(A.address);
  t.same(after.map((r) => r.prefix), ['10.10.0.1/32'], 'the route A did not send again was swept after its End-of-RIB');
  t.equal(after[0]?.stale, undefined, 'the one sent again is fresh');
});

t.test('backpressure: a peer that stops reading holds back only its own updates, in bounded memory', async (t) => {
  // A raw peer at 127.0.0.34 that completes the OPEN exchange and then never reads again.
  const raw = { address: '127.0.0.34', asn: 64999 };
  const server = createServer();
  server.listen(PORT, raw.address);
  await once(server, 'listening');
  let rawSocket: Socket | undefined;
  server.on('connection', (socket) => {
    rawSocket = socket;
    const open = buildOpen({ localAsn: raw.asn, peerAsn: A.asn, routerId: '10.0.0.34', holdTimeSeconds: 0, families: ['ipv4'] });
    socket.write(encodeMessage(open, { fourOctetAs: false, extendedMessage: false }));
    socket.write(KEEPALIVE_MESSAGE);
    // Read the first chunk (our OPEN and KEEPALIVE), then stop reading for good.
    socket.once('data', () => socket.pause());
  });
  t.teardown(() => {
    rawSocket?.destroy();
    server.close();
  });

  const a = await startSpeaker(t, { ...configOf(A, [peerOf(B), { ...peerOf({ ...raw, routerId: '' }), holdTime: 0, keepaliveTime: 0, families: ['ipv4'] }]) });
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  await established(a, B, b, A);
  await until('the raw peer Established', () => (stateOf(a, { ...raw, routerId: '' }) === 'Established' ? true : undefined));

  const routes = 200_000;
  // A MED of its own makes every route an UPDATE of its own: ~10 MB in all, more than the kernel's
  // socket buffers hold (the sender's autotunes up to 4 MB here), so backpressure must engage.
  for (let i = 0; i < routes; i++) a.announce({ prefix: `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, med: i });
  await until('every route at B', () => (b.neighbors()[0]?.received === routes ? true : undefined), 60_000);
  t.pass('B got all 200,000 routes although the other peer reads nothing');
  const slowPeer = a['peers'].get(raw.address)!;
  const socket = slowPeer['session']['main'].connection?.socket;
  t.ok(slowPeer.pendingCount > 0, `the slow peer still has ${slowPeer.pendingCount} prefixes waiting`);
  t.ok((socket?.writableLength ?? 0) < 2 * 1024 * 1024, `what waits in its socket is bounded (${socket?.writableLength} octets)`);
});

t.test('a route that cannot be encoded is an error event, not a crash; the rest still goes out', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  await established(a, B, b, A);
  const errors: Error[] = [];
  a.on('error', (error) => errors.push(error));
  // 20,000 communities are 80 KB of attributes: no UPDATE can carry them, not even an extended
  // one (RFC 8654, 65535 octets), which these two speakers negotiate.
  const huge = Array.from({ length: 20000 }, (_, i) => `64512:${i % 65536}`);
  a.announce({ prefix: '10.11.0.1/32', communities: huge });
  await until('the error event', () => (errors.length > 0 ? true : undefined));
  t.match(errors[0]?.message, /the COMMUNITIES attribute would be 80000 octets; one attribute holds at most 65535/, 'the error says why');
  t.equal((errors[0] as Error & { peer?: string }).peer, B.address, 'and names the peer');
  a.announce({ prefix: '10.11.0.2/32' });
  await until('the next route at B', () => (b.receivedRoutes(A.address).some((r) => r.prefix === '10.11.0.2/32') ? true : undefined));
  t.equal(stateOf(a, B), 'Established', 'the session is still up');
});

t.test('updatePeer: an export change keeps the session; a hold time change makes a new one', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  a.announce({ prefix: '10.12.0.1/32' });
  await established(a, B, b, A);
  const socket = a['peers'].get(B.address)!['session']['main'].connection?.socket;
  await a.updatePeer({ ...peerOf(B), sourceAddress: A.address, export: { communities: [7], largeCommunities: [], asPathPrepend: 0 } });
  await until('the new community at B', () => (b.receivedRoutes(A.address)[0]?.communities[0] === '0:7' ? true : undefined));
  t.equal(a['peers'].get(B.address)!['session']['main'].connection?.socket, socket, 'same TCP connection');
  const down = new Promise<string>((resolve) => b.once('peerDown', (_address, reason) => resolve(reason)));
  await a.updatePeer({ ...peerOf(B), sourceAddress: A.address, holdTime: 60 });
  t.match(await down, /Other Configuration Change \(6\/6\)/, 'the peer is told why');
  await established(a, B, b, A);
  t.pass('and the new session comes up');
});

t.test('a route for some peers only: the others never get it, and lose it when it is retargeted', async (t) => {
  const a = await startSpeaker(t, configOf(A, [peerOf(B), peerOf(C)]));
  const b = await startSpeaker(t, configOf(B, [peerOf(A)]));
  const c = await startSpeaker(t, configOf(C, [peerOf(A)]));
  await established(a, B, b, A);
  await established(a, C, c, A);
  a.announce({ prefix: '10.13.0.1/32', peers: [B.address] });
  a.announce({ prefix: '10.13.0.2/32' });
  await until('both routes at B and the shared one at C', () =>
    b.receivedRoutes(A.address).length === 2 && c.receivedRoutes(A.address).length === 1 ? true : undefined,
  );
  t.same(receivedPrefixes(c, A), ['10.13.0.2/32'], 'C never got the route meant for B');
  a.announce({ prefix: '10.13.0.1/32', peers: [C.address] });
  await until('the route to move from B to C', () =>
    receivedPrefixes(b, A).join() === '10.13.0.2/32' && receivedPrefixes(c, A).length === 2 ? true : undefined,
  );
  t.pass('retargeting withdrew it from B and announced it to C');
});

t.test('iBGP: LOCAL_PREF sent and kept, AS path empty; from an eBGP peer LOCAL_PREF is ignored (RFC 4271 5.1.5)', async (t) => {
  const ibgpB: Node = { ...B, asn: A.asn };
  const a = await startSpeaker(t, configOf(A, [peerOf(ibgpB)]));
  const b = await startSpeaker(t, configOf(ibgpB, [peerOf(A)]));
  a.announce({ prefix: '10.14.0.1/32', localPref: 250 });
  await established(a, B, b, A);
  await until('the route at B', () => (b.receivedRoutes(A.address).length === 1 ? true : undefined));
  const route = b.receivedRoutes(A.address)[0];
  t.equal(route?.localPref, 250, 'iBGP carries LOCAL_PREF');
  t.same(route?.asPath, [], 'iBGP: an empty AS_PATH (RFC 4271 5.1.2)');
});

t.test('LOCAL_PREF received from an eBGP peer is ignored (RFC 4271 5.1.5)', async (t) => {
  const raw = { address: '127.0.0.35', asn: 64998 };
  await startRawPeer(t, { ...raw, routerId: '10.0.0.35' }, (socket, options) => {
    const attributes = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [raw.asn] }], nextHop: raw.address, localPref: 777 };
    for (const message of packAnnouncements(attributes, ['198.51.100.0/24'], 'ipv4', undefined, options)) socket.write(message);
    socket.on('data', () => {});
  });
  const a = await startSpeaker(t, configOf(A, [{ ...peerOf({ ...raw, routerId: '' }), families: ['ipv4'] }]));
  await until('the raw peer\'s route', () => (a.receivedRoutes(raw.address).length === 1 ? true : undefined));
  t.equal(a.receivedRoutes(raw.address)[0]?.localPref, null, 'the 777 it sent is not taken');
});

t.test('a route whose AS_PATH holds our AS is ignored on input (RFC 4271 9.1.2), and counts toward no maximum', async (t) => {
  const raw = { address: '127.0.0.36', asn: 64997 };
  await startRawPeer(t, { ...raw, routerId: '10.0.0.36' }, (socket, options) => {
    // Reflected: A's own route coming back through the router (path 64997 4200000000).
    const looped = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [raw.asn, A.asn] }], nextHop: raw.address };
    for (const message of packAnnouncements(looped, ['10.5.0.1/32', '10.5.0.2/32'], 'ipv4', undefined, options)) socket.write(message);
    const clean = { origin: 0 as const, asPath: [{ type: 2 as const, asns: [raw.asn, 65001] }], nextHop: raw.address };
    for (const message of packAnnouncements(clean, ['198.51.100.0/24'], 'ipv4', undefined, options)) socket.write(message);
    socket.on('data', () => {});
  });
  // maxPrefixes 1: were the two looped routes counted, the session would be closed (Cease 6/1).
  const a = await startSpeaker(t, configOf(A, [{ ...peerOf({ ...raw, routerId: '' }), families: ['ipv4'], maxPrefixes: { limit: 1, restartTime: 0 } }]));
  await until('the clean route', () => (a.receivedRoutes(raw.address).length === 1 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(a.receivedRoutes(raw.address).map((route) => route.prefix), ['198.51.100.0/24'], 'only the route without our AS');
  t.equal(stateOf(a, { ...raw, routerId: '' }), 'Established', 'the looped routes did not trip maxPrefixes 1');
});

t.test('RFC 9687: a peer that stops reading is dropped after sendHoldTime with Send Hold Timer Expired', async (t) => {
  const raw = { address: '127.0.0.37', asn: 64996 };
  const timers: NodeJS.Timeout[] = [];
  t.teardown(() => timers.forEach((timer) => clearInterval(timer)));
  // It never reads what we send (paused), yet talks: a KEEPALIVE every second, so our hold timer
  // (3 s) never expires. Only the SendHoldTimer can end this.
  await startRawPeer(t, { ...raw, routerId: '10.0.0.37', holdTime: 3 }, (socket) => {
    socket.pause();
    timers.push(setInterval(() => socket.write(KEEPALIVE_MESSAGE), 1000));
  });
  const a = await startSpeaker(t, configOf(A, [{ ...peerOf({ ...raw, routerId: '' }), families: ['ipv4'], holdTime: 3, keepaliveTime: 1, sendHoldTime: 5 }]));
  const downs: string[] = [];
  a.on('peerDown', (_address, reason) => downs.push(reason));
  await until('Established', () => (stateOf(a, { ...raw, routerId: '' }) === 'Established' ? true : undefined));
  // Enough UPDATEs (one per route: each its own community) to fill both ends' socket buffers.
  for (let i = 0; i < 60_000; i++) a.announce({ prefix: `10.${Math.floor(i / 256)}.${i % 256}.0/24`, communities: [`${64000 + (i % 1000)}:${i % 65536}`] });
  const started = Date.now();
  const reason = await until('the session dropped', () => downs[0], 20_000);
  const tookMs = Date.now() - started;
  t.match(reason, /send-hold-timer-expired/, `the reason names the SendHoldTimer (${reason})`);
  t.match(reason, /sent Send Hold Timer Expired \(8\/0\)/, 'and the NOTIFICATION it queued: code 8, subcode 0');
  t.ok(tookMs >= 4000, `not before SendHoldTime (${tookMs} ms after the routes were queued)`);
});

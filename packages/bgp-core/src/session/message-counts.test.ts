/**
 * Message counters: the pure counting functions, then two of our own sessions over real loopback
 * sockets, where what one side counts as sent the other must count as received, and the counts
 * of a closed connection stay in the session's lifetime totals.
 */
import t from 'tap';
import { BgpListener } from './listener.js';
import { BgpSession } from './session.js';
import type { SessionConfig, SessionEvents } from './session.js';
import { addMessageCounts, countEncodedMessages, countFramedMessage, emptyMessageCounts } from './message-counts.js';
import type { MessageCounts } from './message-counts.js';
import { encodeMessage } from '../wire/message.js';
import { endOfRib } from '../wire/update.js';
import { DEFAULT_CODEC_OPTIONS } from '../wire/types.js';
import type { BgpMessage } from '../wire/types.js';

function encode(message: BgpMessage): Uint8Array {
  return encodeMessage(message, DEFAULT_CODEC_OPTIONS);
}

const KEEPALIVE: BgpMessage = { type: 'keepalive' };
const ROUTE_REFRESH: BgpMessage = { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 };
const NOTIFICATION: BgpMessage = { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) };

t.test('countFramedMessage counts by the header type octet', async (t) => {
  const counts = emptyMessageCounts();
  for (const message of [KEEPALIVE, KEEPALIVE, endOfRib('ipv4'), ROUTE_REFRESH, NOTIFICATION]) countFramedMessage(counts, encode(message));
  t.same(counts, { open: 0, update: 1, notification: 1, keepalive: 2, routeRefresh: 1, total: 5 });
});

t.test('countEncodedMessages walks several messages written back to back', async (t) => {
  const parts = [encode(endOfRib('ipv4')), encode(KEEPALIVE), encode(endOfRib('ipv6')), encode(ROUTE_REFRESH)];
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  const counts = emptyMessageCounts();
  countEncodedMessages(counts, joined);
  t.same(counts, { open: 0, update: 2, notification: 0, keepalive: 1, routeRefresh: 1, total: 4 });

  const single = emptyMessageCounts();
  countEncodedMessages(single, encode(KEEPALIVE));
  t.same(single, { open: 0, update: 0, notification: 0, keepalive: 1, routeRefresh: 0, total: 1 });
});

t.test('countEncodedMessages never loops on a length field below the header size', async (t) => {
  const bogus = encode(KEEPALIVE);
  bogus[16] = 0;
  bogus[17] = 0;
  const counts = emptyMessageCounts();
  countEncodedMessages(counts, bogus);
  t.equal(counts.total, 1);
  const short = emptyMessageCounts();
  countEncodedMessages(short, new Uint8Array(5));
  t.same(short, { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, total: 1 }, 'a runt counts only in total');
});

t.test('addMessageCounts adds every field', async (t) => {
  const into: MessageCounts = { open: 1, update: 2, notification: 3, keepalive: 4, routeRefresh: 5, total: 15 };
  addMessageCounts(into, { open: 10, update: 20, notification: 30, keepalive: 40, routeRefresh: 50, total: 150 });
  t.same(into, { open: 11, update: 22, notification: 33, keepalive: 44, routeRefresh: 55, total: 165 });
});

// ---------------------------------------------------------------------------------------------
// A real session

/** The next emission of a session event (node:events.once does not take eventemitter3 emitters). */
function next<E extends keyof SessionEvents>(session: BgpSession, event: E, timeoutMs = 10_000): Promise<Parameters<SessionEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    session.once(event, ((...args: Parameters<SessionEvents[E]>) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const A = { address: '127.0.0.21', routerId: '10.0.0.21', asn: 64521 };
const B = { address: '127.0.0.22', routerId: '10.0.0.22', asn: 64522 };

function config(local: typeof A, remote: typeof A, port: number, passive: boolean): SessionConfig {
  return {
    localAsn: local.asn,
    localRouterId: local.routerId,
    peerAddress: remote.address,
    peerPort: port,
    peerAsn: remote.asn,
    sourceAddress: local.address,
    holdTime: 9,
    connectRetryTime: 1,
    passive,
    families: ['ipv4', 'ipv6'],
  };
}

t.test('a loopback session: sent on one side is received on the other, by type, across connections', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  // B only listens and A only dials: one connection, no collision, so the counts are exact.
  const listener = new BgpListener();
  await listener.listen(B.address, port, new Map());
  const a = new BgpSession(config(A, B, port, false));
  const b = new BgpSession(config(B, A, port, true), { listener });
  t.teardown(async () => {
    await Promise.all([a.stop('test over'), b.stop('test over')]);
    a.close();
    b.close();
    await listener.close();
  });

  t.same(a.counters, { sent: emptyMessageCounts(), received: emptyMessageCounts() }, 'nothing counted before start');

  const established = Promise.all([next(a, 'established'), next(b, 'established')]);
  a.start();
  b.start();
  await established;
  // The last KEEPALIVE of the handshake may still be in flight when 'established' fires.
  await until('the handshake to land', () => b.counters.received.keepalive >= 1 && a.counters.received.keepalive >= 1);
  t.equal(a.counters.sent.open, 1, 'A sent one OPEN');
  t.equal(a.counters.received.open, 1, 'A received one OPEN');
  t.equal(b.counters.received.open, 1);

  const gotUpdate = next(b, 'update');
  const gotRefresh = next(b, 'routeRefresh');
  t.equal(a.send(endOfRib('ipv4')), true, 'the session took the UPDATE');
  a.send(endOfRib('ipv6'));
  a.send(ROUTE_REFRESH);
  await Promise.all([gotUpdate, gotRefresh]);
  await until('both UPDATEs to arrive', () => b.counters.received.update === 2);
  t.equal(a.counters.sent.update, 2, 'A counted its two UPDATEs');
  t.equal(a.counters.sent.routeRefresh, 1, 'and its ROUTE-REFRESH');
  t.equal(b.counters.received.routeRefresh, 1);
  // Keepalives keep flowing, so compare once nothing is in flight.
  await until('what A sent to equal what B received', () => sameCounts(a.counters.sent, b.counters.received));
  await until('what B sent to equal what A received', () => sameCounts(b.counters.sent, a.counters.received));
  const { total, open, update, notification, keepalive, routeRefresh } = a.counters.sent;
  t.equal(total, open + update + notification + keepalive + routeRefresh, 'total is the sum of the types');

  // Administrative shutdown: A's NOTIFICATION is counted on both sides, and the closed
  // connection's counts stay in the totals.
  const bDown = next(b, 'down');
  await a.stop('counting');
  await bDown;
  await until('B to fold its closed connection', () => b.counters.received.notification === 1);
  t.equal(a.counters.sent.notification, 1, 'A counted the NOTIFICATION it sent');
  const afterFirst = a.counters;
  t.equal(afterFirst.sent.update, 2, 'the closed connection still counts');

  // A second connection adds to the same lifetime totals. B restarts by itself after its idle
  // hold time; dialling before that would write OPENs into connections B refuses unread.
  await until('B to listen again', () => b.state === 'Active');
  const again = Promise.all([next(a, 'established', 15_000), next(b, 'established', 15_000)]);
  a.start();
  await again;
  await until('the second handshake to land', () => b.counters.received.open === 2 && a.counters.received.open === 2);
  t.equal(a.counters.sent.open, 2, 'OPENs of both connections are counted');
  t.equal(a.counters.sent.update, 2, 'UPDATEs of the first connection are still there');
  t.ok(a.counters.sent.total > afterFirst.sent.total, 'the total only grew');
  await until('the two sides to agree again', () => sameCounts(a.counters.sent, b.counters.received) && sameCounts(b.counters.sent, a.counters.received));
  t.pass('both sides agree over both connections');
});

function sameCounts(x: MessageCounts, y: MessageCounts): boolean {
  return (
    x.open === y.open &&
    x.update === y.update &&
    x.notification === y.notification &&
    x.keepalive === y.keepalive &&
    x.routeRefresh === y.routeRefresh &&
    x.total === y.total
  );
}

/**
 * Bad input from a peer, end to end through a real socket: a raw TCP peer (the test) sends a
 * malformed message to our session. RFC 7606 errors that allow it keep the session up; the others
 * end it with the exact NOTIFICATION, and nothing throws out of the session.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { buildOpen } from '../fsm/negotiate.js';
import { MessageFramer } from '../wire/framing.js';
import { decodeMessage, encodeMessage, KEEPALIVE_MESSAGE } from '../wire/message.js';
import { packAnnouncements } from '../wire/packer.js';
import type { BgpMessage, CodecOptions, NotificationMessage, UpdateMessage } from '../wire/types.js';
import { BgpSession } from './session.js';

const PEER = { address: '127.0.0.21', asn: 64512, routerId: '10.9.9.9' };
const FOUR_OCTET: CodecOptions = { fourOctetAs: true, extendedMessage: false };

interface RawPeer {
  readonly socket: Socket;
  /** Every message our session sent, decoded. */
  readonly received: BgpMessage[];
}

/** Starts our session against a raw peer, brings the session to Established, returns both. */
async function establish(t: Test): Promise<{ session: BgpSession; peer: RawPeer }> {
  const server = createServer();
  server.listen(0, PEER.address);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const session = new BgpSession({
    localAsn: 4200000000,
    localRouterId: '10.0.0.1',
    peerAddress: PEER.address,
    peerPort: port,
    peerAsn: PEER.asn,
    holdTime: 30,
    connectRetryTime: 1,
    passive: false,
    families: ['ipv4'],
  });
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  session.start();
  const [socket] = await accepted;
  t.teardown(async () => {
    socket.destroy();
    await session.stop('test over');
    server.close();
  });
  const received: BgpMessage[] = [];
  const framer = new MessageFramer();
  socket.on('data', (chunk: Buffer) => {
    framer.push(chunk);
    for (let frame = framer.next(); frame !== undefined; frame = framer.next()) received.push(decodeMessage(frame, FOUR_OCTET));
  });
  const open = buildOpen({ localAsn: PEER.asn, peerAsn: 4200000000, routerId: PEER.routerId, holdTimeSeconds: 30, families: ['ipv4'] });
  const established = new Promise<void>((resolve) => session.once('established', () => resolve()));
  socket.write(encodeMessage(open, FOUR_OCTET));
  socket.write(KEEPALIVE_MESSAGE);
  await established;
  return { session, peer: { socket, received } };
}

function announcement(prefix: string): Uint8Array {
  const [message] = packAnnouncements({ origin: 0, asPath: [{ type: 2, asns: [PEER.asn] }], nextHop: PEER.address }, [prefix], 'ipv4', undefined, FOUR_OCTET);
  if (message === undefined) throw new Error('packer produced nothing');
  return Uint8Array.from(message);
}

async function notificationFrom(peer: RawPeer, timeoutMs = 5000): Promise<NotificationMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = peer.received.find((m): m is NotificationMessage => m.type === 'notification');
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no NOTIFICATION within ${timeoutMs} ms; got ${peer.received.map((m) => m.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('RFC 7606 treat-as-withdraw: an invalid ORIGIN withdraws the route and keeps the session', async (t) => {
  const { session, peer } = await establish(t);
  const updates: UpdateMessage[] = [];
  session.on('update', (update) => updates.push(update));
  peer.socket.write(announcement('198.51.100.0/24'));
  const bad = announcement('198.51.100.0/24');
  // Attributes start at offset 23 (header 19, withdrawn length 2 = 0, attribute length 2);
  // ORIGIN comes first: flags, type 1, length 1, value. 9 is not a valid ORIGIN (RFC 4271 5.1.1).
  t.equal(bad[24], 1, 'the first attribute is ORIGIN');
  bad[26] = 9;
  peer.socket.write(bad);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(updates.length, 2, 'both UPDATEs reached the session');
  t.equal(updates[0]?.problems, undefined, 'the first one is clean');
  t.equal(updates[1]?.problems?.[0]?.action, 'treat-as-withdraw', 'the bad ORIGIN is treat-as-withdraw');
  t.same(updates[1]?.nlri, ['198.51.100.0/24'], 'its prefix is known, so the receiver can withdraw it');
  t.equal(session.state, 'Established', 'the session stays up');
  t.notOk(peer.received.some((m) => m.type === 'notification'), 'no NOTIFICATION was sent');
});

t.test('a bad marker ends the session with NOTIFICATION 1/1 (Connection Not Synchronized)', async (t) => {
  const { session, peer } = await establish(t);
  const down = new Promise<string>((resolve) => session.once('down', resolve));
  const bad = Uint8Array.from(KEEPALIVE_MESSAGE);
  bad[3] = 0x00;
  peer.socket.write(bad);
  const notification = await notificationFrom(peer);
  t.same([notification.code, notification.subcode], [1, 1]);
  t.match(await down, /header-error; sent Message Header Error\/Connection Not Synchronized/);
  t.not(session.state, 'Established');
});

t.test('withdrawn routes running past the message end NOTIFICATION 3/1 (RFC 4271 6.3)', async (t) => {
  const { session, peer } = await establish(t);
  const down = new Promise<string>((resolve) => session.once('down', resolve));
  const bad = announcement('198.51.100.0/24');
  bad[19] = 0xff; // Withdrawn Routes Length = 0xff00, far past the message
  peer.socket.write(bad);
  const notification = await notificationFrom(peer);
  t.same([notification.code, notification.subcode], [3, 1], 'UPDATE Message Error / Malformed Attribute List');
  t.match(await down, /update-message-error/);
  // The session restarts by itself afterwards: it dials the peer again.
  const again = await new Promise<string>((resolve) => session.on('stateChange', (change) => change.to === 'Connect' && resolve(change.to)));
  t.equal(again, 'Connect', 'and tries again, with the idle hold time in between');
});

import t from 'tap';

import { HeaderSubcode, MessageType } from './constants.js';
import { MessageFramer } from './framing.js';
import { expectWireError, frame } from './test-helpers/wire-error.js';

const badLength = (length: number) => ({
  code: 'ERR_BGP_BAD_MESSAGE_LENGTH',
  error: 1,
  subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
  data: [length >>> 8, length & 0xff],
});
const notSynchronized = { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, data: [] };

/** Messages with recognisable, different bodies. */
function sampleMessages(): Uint8Array[] {
  return [
    frame(MessageType.KEEPALIVE),
    frame(MessageType.UPDATE, Array.from({ length: 40 }, (_, i) => i)),
    frame(MessageType.NOTIFICATION, [6, 2, 3, 0x61, 0x62, 0x63]),
    frame(MessageType.ROUTE_REFRESH, [0, 1, 0, 1]),
    frame(MessageType.UPDATE, Array.from({ length: 4096 - 19 }, (_, i) => (i * 7) & 0xff)),
    frame(MessageType.KEEPALIVE),
  ];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function drain(framer: MessageFramer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let message = framer.next(); message !== undefined; message = framer.next()) out.push(message);
  return out;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

t.test('many messages in one chunk come out as zero-copy views of that chunk', (t) => {
  const messages = sampleMessages();
  const chunk = concat(messages);
  const framer = new MessageFramer();
  framer.push(chunk);
  t.equal(framer.bufferedBytes, chunk.length);
  const out = drain(framer);
  t.same(out.map(hex), messages.map(hex), 'the same messages, in order');
  for (const message of out) t.equal(message.buffer, chunk.buffer, 'a view of the pushed chunk, not a copy');
  t.equal(framer.bufferedBytes, 0, 'nothing left');
  t.equal(framer.next(), undefined, 'no more messages');
  t.end();
});

t.test('one byte at a time gives the same messages', (t) => {
  const messages = sampleMessages();
  const stream = concat(messages);
  const framer = new MessageFramer();
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) {
    framer.push(stream.subarray(i, i + 1));
    const message = framer.next();
    if (message !== undefined) {
      out.push(message);
      t.equal(framer.bufferedBytes, 0, `message ${out.length} is complete exactly at its last octet`);
    }
  }
  t.same(out.map(hex), messages.map(hex));
  t.end();
});

t.test('a message spanning three chunks is copied once; the following one in the last chunk is a view', (t) => {
  const update = frame(MessageType.UPDATE, Array.from({ length: 200 }, (_, i) => i & 0xff));
  const keepalive = frame(MessageType.KEEPALIVE);
  const stream = concat([update, keepalive]);
  const first = stream.slice(0, 10); // splits the header itself
  const second = stream.slice(10, 150);
  const third = stream.slice(150);
  const framer = new MessageFramer();
  framer.push(first);
  t.equal(framer.next(), undefined, 'half a header: nothing yet');
  framer.push(second);
  t.equal(framer.next(), undefined, 'header checked, body incomplete');
  t.equal(framer.bufferedBytes, 150);
  framer.push(third);
  const a = framer.next();
  const b = framer.next();
  t.equal(a && hex(a), hex(update), 'the spanning UPDATE');
  t.not(a?.buffer, first.buffer, 'copied');
  t.not(a?.buffer, third.buffer, 'copied');
  t.equal(b && hex(b), hex(keepalive), 'the KEEPALIVE after it');
  t.equal(b?.buffer, third.buffer, 'a view of the last chunk');
  t.equal(framer.next(), undefined);
  t.equal(framer.bufferedBytes, 0);
  t.end();
});

t.test('a bad marker is detected at 19 octets, before any of the body arrives', (t) => {
  const header = frame(MessageType.UPDATE, [], 4000);
  header[3] = 0;
  const framer = new MessageFramer();
  framer.push(header.subarray(0, 18));
  t.equal(framer.next(), undefined, '18 octets: cannot tell yet');
  framer.push(header.subarray(18, 19));
  expectWireError(t, () => framer.next(), notSynchronized, '19th octet');
  t.equal(framer.bufferedBytes, 19, 'none of the 4000-octet body was needed');
  expectWireError(t, () => framer.next(), notSynchronized, 'the framer stays failed');
  t.end();
});

t.test('a header split across chunks is checked as well', (t) => {
  const header = frame(MessageType.UPDATE, [], 5000);
  const framer = new MessageFramer();
  for (let i = 0; i < 19; i++) framer.push(header.subarray(i, i + 1));
  expectWireError(t, () => framer.next(), badLength(5000));
  t.end();
});

t.test('bad lengths are refused from the header alone', (t) => {
  for (const length of [0, 18]) {
    const framer = new MessageFramer();
    framer.push(frame(MessageType.KEEPALIVE, [], length));
    expectWireError(t, () => framer.next(), badLength(length), `length ${length}`);
  }
  const framer = new MessageFramer();
  framer.push(frame(MessageType.UPDATE, [], 4097));
  expectWireError(t, () => framer.next(), badLength(4097), 'over the default maximum');
  t.end();
});

t.test('setMaxLength allows extended messages from the next header on', (t) => {
  const big = frame(MessageType.UPDATE, new Uint8Array(6000).fill(9));
  const framer = new MessageFramer();
  t.equal(framer.maxLength, 4096);
  framer.push(frame(MessageType.KEEPALIVE));
  t.ok(framer.next(), 'a KEEPALIVE under the default maximum');
  framer.setMaxLength(65535);
  framer.push(big.subarray(0, 3000));
  t.equal(framer.next(), undefined);
  framer.push(big.subarray(3000));
  t.equal(framer.next()?.length, 6019, 'a 6019-octet message');
  t.equal(new MessageFramer(65535).maxLength, 65535, 'the constructor takes the maximum too');
  t.throws(() => framer.setMaxLength(18), RangeError);
  t.throws(() => new MessageFramer(70000), RangeError);
  t.end();
});

t.test('empty chunks and many small chunks keep the accounting right', (t) => {
  const messages = sampleMessages();
  const stream = concat(messages);
  const framer = new MessageFramer();
  framer.push(new Uint8Array(0));
  t.equal(framer.bufferedBytes, 0);
  const out: Uint8Array[] = [];
  let pushed = 0;
  // Irregular chunk sizes: 1, 2, 3, ... 
  for (let size = 1, at = 0; at < stream.length; at += size, size = (size % 97) + 1) {
    const chunk = stream.subarray(at, Math.min(stream.length, at + size));
    framer.push(chunk);
    pushed += chunk.length;
    out.push(...drain(framer));
    const handedOut = out.reduce((sum, m) => sum + m.length, 0);
    if (framer.bufferedBytes !== pushed - handedOut) {
      t.fail(`bufferedBytes ${framer.bufferedBytes} != ${pushed - handedOut}`);
      break;
    }
  }
  t.same(out.map(hex), messages.map(hex));
  t.end();
});

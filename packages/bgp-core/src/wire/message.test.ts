import t from 'tap';

import { MessageType } from './constants.js';
import { MessageFramer } from './framing.js';
import { KEEPALIVE } from './keepalive.js';
import { KEEPALIVE_MESSAGE, decodeMessage, encodeMessage } from './message.js';
import { shutdownNotification } from './notification.js';
import { IPV4_UPDATE, SAMPLE_UPDATES } from './test-helpers/sample-updates.js';
import { expectWireError, frame } from './test-helpers/wire-error.js';
import type { BgpMessage, CodecOptions, OpenMessage, UpdateMessage } from './types.js';

const PLAIN: CodecOptions = { fourOctetAs: false, extendedMessage: false };
const FOUR_OCTET: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const EXTENDED: CodecOptions = { fourOctetAs: true, extendedMessage: true };
const ENHANCED_RR: CodecOptions = { fourOctetAs: true, extendedMessage: false, enhancedRouteRefresh: true };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const MARKER = 'ff'.repeat(16);

const OPEN: OpenMessage = {
  type: 'open',
  version: 4,
  myAsn: 65001,
  holdTime: 90,
  routerId: '10.0.0.1',
  capabilities: [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'four-octet-as', asn: 65001 },
    { kind: 'route-refresh' },
  ],
  unknownParameters: [],
};

const NON_UPDATE_MESSAGES: readonly BgpMessage[] = [
  OPEN,
  KEEPALIVE,
  { type: 'notification', code: 4, subcode: 0, data: new Uint8Array(0) },
  shutdownNotification(2, 'bye'),
  { type: 'route-refresh', afi: 2, safi: 1, subtype: 1 },
];

t.test('KEEPALIVE_MESSAGE is the 19-octet KEEPALIVE', (t) => {
  t.equal(hex(KEEPALIVE_MESSAGE), `${MARKER}001304`);
  t.equal(hex(encodeMessage(KEEPALIVE, PLAIN)), hex(KEEPALIVE_MESSAGE), 'encodeMessage gives the same octets');
  t.not(encodeMessage(KEEPALIVE, PLAIN), KEEPALIVE_MESSAGE, 'encodeMessage returns a fresh buffer');
  t.end();
});

t.test('decoding a KEEPALIVE allocates no new message', (t) => {
  t.equal(decodeMessage(KEEPALIVE_MESSAGE, PLAIN), KEEPALIVE);
  t.equal(decodeMessage(frame(MessageType.KEEPALIVE), EXTENDED), KEEPALIVE, 'the same frozen object');
  t.end();
});

t.test('every message type other than UPDATE round-trips through encodeMessage and decodeMessage', (t) => {
  for (const options of [PLAIN, FOUR_OCTET, EXTENDED, ENHANCED_RR]) {
    for (const message of NON_UPDATE_MESSAGES) {
      const encoded = encodeMessage(message, options);
      t.equal(hex(encoded.subarray(0, 16)), MARKER, `${message.type}: marker`);
      t.equal((encoded[16]! << 8) | encoded[17]!, encoded.length, `${message.type}: length field`);
      t.same(decodeMessage(encoded, options), message, `${message.type}: decodes back`);
    }
  }
  t.end();
});

t.test('the OPEN encodes to the expected octets', (t) => {
  t.equal(
    hex(encodeMessage(OPEN, PLAIN)),
    `${MARKER}002d01` + '04fde9005a0a000001' + '10' + '020e' + '010400010001' + '41040000fde9' + '0200',
  );
  t.end();
});

t.test('decodeMessage works on frames that are views into a larger buffer', (t) => {
  const stream = Buffer.concat(NON_UPDATE_MESSAGES.map((m) => encodeMessage(m, PLAIN)));
  const framer = new MessageFramer();
  framer.push(stream);
  const decoded: BgpMessage[] = [];
  for (let f = framer.next(); f !== undefined; f = framer.next()) decoded.push(decodeMessage(f, PLAIN));
  t.same(decoded, NON_UPDATE_MESSAGES);
  t.end();
});

t.test('encodeMessage refuses messages over the maximum with ERR_BGP_MESSAGE_TOO_LONG', (t) => {
  const tooLong = { code: 'ERR_BGP_MESSAGE_TOO_LONG', error: 1, subcode: 2 };
  const notification = (dataLength: number): BgpMessage => ({ type: 'notification', code: 6, subcode: 0, data: new Uint8Array(dataLength) });
  t.equal(encodeMessage(notification(4096 - 21), PLAIN).length, 4096, 'exactly 4096 is fine');
  expectWireError(t, () => encodeMessage(notification(4096 - 20), PLAIN), tooLong, '4097 octets');
  t.equal(encodeMessage(notification(5000), EXTENDED).length, 5021, 'extended messages allow more');
  expectWireError(t, () => encodeMessage(notification(65535 - 20), EXTENDED), tooLong, '65536 octets');
  const bigOpen: OpenMessage = { ...OPEN, unknownParameters: [{ type: 9, value: new Uint8Array(5000) }] };
  expectWireError(t, () => encodeMessage(bigOpen, EXTENDED), tooLong, 'an OPEN stays within 4096 with extended messages');
  t.end();
});

t.test('decodeMessage checks the header again', (t) => {
  const bad = encodeMessage(OPEN, PLAIN);
  bad[0] = 0;
  expectWireError(t, () => decodeMessage(bad, PLAIN), { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: 1, data: [] });
  expectWireError(t, () => decodeMessage(frame(9, [1, 2, 3, 4]), PLAIN), { code: 'ERR_BGP_BAD_MESSAGE_TYPE', error: 1, subcode: 3, data: [9] });
  expectWireError(t, () => decodeMessage(frame(MessageType.KEEPALIVE, [0]), PLAIN), { code: 'ERR_BGP_BAD_MESSAGE_LENGTH', error: 1, subcode: 2, data: [0, 20] });
  const rr = frame(MessageType.ROUTE_REFRESH, [0, 1, 1, 1, 0]);
  expectWireError(t, () => decodeMessage(rr, ENHANCED_RR), { code: 'ERR_BGP_ROUTE_REFRESH_INVALID_LENGTH', error: 7, subcode: 1, data: rr });
  expectWireError(t, () => decodeMessage(rr, PLAIN), { code: 'ERR_BGP_BAD_MESSAGE_LENGTH', error: 1, subcode: 2, data: [0, 24] });
  const version3 = encodeMessage(OPEN, PLAIN);
  version3[19] = 3;
  expectWireError(t, () => decodeMessage(version3, PLAIN), { code: 'ERR_BGP_UNSUPPORTED_VERSION', error: 2, subcode: 1, data: [0, 4] });
  t.end();
});

t.test('an UPDATE frame goes to the UPDATE decoder and comes back through encodeMessage', (t) => {
  const update = decodeMessage(IPV4_UPDATE, FOUR_OCTET) as UpdateMessage;
  t.equal(update.type, 'update');
  t.same(update.nlri, ['10.5.0.0/16', '10.6.1.1/32']);
  t.same(update.withdrawn, []);
  t.equal(update.attributes.origin, 0);
  t.equal(update.attributes.nextHop, '192.0.2.1');
  t.same(update.attributes.asPath, [{ type: 2, asns: [65001, 4200000001] }]);
  t.same(update.attributes.communities, [0xfde90064]);
  t.equal(update.problems, undefined, 'a clean message');
  const again = encodeMessage(update, FOUR_OCTET);
  t.same(decodeMessage(again, FOUR_OCTET), update, 'encodeMessage gives an UPDATE that decodes to the same');
  t.end();
});

t.test('the sample UPDATEs decode without problems and re-encode to an equivalent message', (t) => {
  for (const { name, bytes } of SAMPLE_UPDATES) {
    const update = decodeMessage(bytes, FOUR_OCTET) as UpdateMessage;
    t.equal(update.type, 'update', name);
    t.equal(update.problems, undefined, `${name}: clean`);
    t.same(decodeMessage(encodeMessage(update, FOUR_OCTET), FOUR_OCTET), update, `${name}: round trip`);
  }
  const v6 = decodeMessage(SAMPLE_UPDATES[1]!.bytes, FOUR_OCTET) as UpdateMessage;
  t.same(v6.attributes.mpReach, { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/64', '2001:db8:2::/48'] });
  const withdrawal = decodeMessage(SAMPLE_UPDATES[2]!.bytes, FOUR_OCTET) as UpdateMessage;
  t.same(withdrawal.withdrawn, ['10.5.0.0/16', '192.0.2.0/24']);
  t.end();
});

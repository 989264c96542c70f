import t from 'tap';

import { ErrorCode, HeaderSubcode, MessageType, RouteRefreshSubcode } from './constants.js';
import {
  checkFramedHeader,
  checkMarker,
  checkMessage,
  maxFrameLength,
  maxMessageLength,
  readMessageLength,
  readMessageType,
  writeHeader,
} from './header.js';
import { expectWireError, frame } from './test-helpers/wire-error.js';
import type { CodecOptions } from './types.js';

const PLAIN: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const EXTENDED: CodecOptions = { fourOctetAs: true, extendedMessage: true };
const ENHANCED_RR: CodecOptions = { fourOctetAs: true, extendedMessage: false, enhancedRouteRefresh: true };

const badLength = (length: number) => ({
  code: 'ERR_BGP_BAD_MESSAGE_LENGTH',
  error: ErrorCode.MESSAGE_HEADER,
  subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
  data: [length >>> 8, length & 0xff],
});

t.test('writeHeader writes marker, length and type at an offset', (t) => {
  const buf = new Uint8Array(25).fill(0x11);
  t.equal(writeHeader(buf, 3, MessageType.UPDATE, 0x1234), 19);
  t.same([...buf.subarray(3, 19)], new Array(16).fill(0xff), 'marker is all ones');
  t.same([buf[19], buf[20], buf[21]], [0x12, 0x34, 2], 'length then type');
  t.equal(buf[2], 0x11, 'nothing before');
  t.equal(buf[22], 0x11, 'nothing after');
  t.equal(readMessageLength(buf, 3), 0x1234);
  t.equal(readMessageType(buf, 3), 2);
  t.end();
});

t.test('valid messages of every type pass checkMessage and give their type', (t) => {
  t.equal(checkMessage(frame(MessageType.OPEN, new Uint8Array(10)), PLAIN), MessageType.OPEN);
  t.equal(checkMessage(frame(MessageType.UPDATE, new Uint8Array(4)), PLAIN), MessageType.UPDATE);
  t.equal(checkMessage(frame(MessageType.NOTIFICATION, [6, 2]), PLAIN), MessageType.NOTIFICATION);
  t.equal(checkMessage(frame(MessageType.KEEPALIVE), PLAIN), MessageType.KEEPALIVE);
  t.equal(checkMessage(frame(MessageType.ROUTE_REFRESH, [0, 1, 0, 1]), PLAIN), MessageType.ROUTE_REFRESH);
  t.equal(checkMessage(frame(MessageType.UPDATE, new Uint8Array(4096 - 19)), PLAIN), MessageType.UPDATE, 'exactly 4096');
  t.equal(checkMessage(frame(MessageType.UPDATE, new Uint8Array(65535 - 19)), EXTENDED), MessageType.UPDATE, 'exactly 65535 with extended messages');
  t.equal(checkMessage(frame(MessageType.NOTIFICATION, new Uint8Array(5000)), EXTENDED), MessageType.NOTIFICATION);
  t.end();
});

t.test('a marker that is not all ones is Connection Not Synchronized, no data', (t) => {
  for (const position of [0, 7, 15]) {
    const bad = frame(MessageType.KEEPALIVE);
    bad[position] = 0xfe;
    expectWireError(
      t,
      () => checkMessage(bad, PLAIN),
      { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, data: [] },
      `marker octet ${position}`,
    );
    expectWireError(t, () => checkMarker(bad, 0), { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: 1 });
  }
  // The marker is checked before the length: a bad marker with a bad length is still not synchronized.
  const both = frame(MessageType.KEEPALIVE, [], 3);
  both[0] = 0;
  expectWireError(t, () => checkMessage(both, PLAIN), { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: 1 });
  t.end();
});

t.test('lengths outside the limits are Bad Message Length with the 2-octet length as data', (t) => {
  // Per-type minimums and exact lengths (RFC 4271 section 6.1, RFC 2918).
  expectWireError(t, () => checkMessage(frame(MessageType.OPEN, new Uint8Array(9)), PLAIN), badLength(28), 'OPEN of 28');
  expectWireError(t, () => checkMessage(frame(MessageType.UPDATE, new Uint8Array(3)), PLAIN), badLength(22), 'UPDATE of 22');
  expectWireError(t, () => checkMessage(frame(MessageType.NOTIFICATION, [6]), PLAIN), badLength(20), 'NOTIFICATION of 20');
  expectWireError(t, () => checkMessage(frame(MessageType.KEEPALIVE, [0]), PLAIN), badLength(20), 'KEEPALIVE of 20');
  expectWireError(t, () => checkMessage(frame(MessageType.ROUTE_REFRESH, [0, 1, 0]), PLAIN), badLength(22), 'ROUTE-REFRESH of 22');
  expectWireError(t, () => checkMessage(frame(MessageType.ROUTE_REFRESH, [0, 1, 0, 1, 0]), PLAIN), badLength(24), 'ROUTE-REFRESH of 24');
  // The maximum: 4096, or 65535 with extended messages except for OPEN and KEEPALIVE (RFC 8654).
  expectWireError(t, () => checkMessage(frame(MessageType.UPDATE, new Uint8Array(4097 - 19)), PLAIN), badLength(4097), 'UPDATE of 4097');
  expectWireError(t, () => checkMessage(frame(MessageType.OPEN, new Uint8Array(4097 - 19)), EXTENDED), badLength(4097), 'OPEN of 4097 even with extended messages');
  expectWireError(t, () => checkMessage(frame(MessageType.KEEPALIVE, new Uint8Array(100)), EXTENDED), badLength(119), 'KEEPALIVE of 119 with extended messages');
  // The Length field must match the frame.
  expectWireError(t, () => checkMessage(frame(MessageType.KEEPALIVE, [], 18), PLAIN), badLength(18), 'length field 18');
  expectWireError(t, () => checkMessage(frame(MessageType.KEEPALIVE, [], 20), PLAIN), badLength(20), 'length field larger than the frame');
  expectWireError(t, () => checkMessage(new Uint8Array(10).fill(0xff), PLAIN), badLength(10), 'frame shorter than a header');
  t.end();
});

t.test('an unknown type is Bad Message Type with the type octet as data', (t) => {
  for (const type of [0, 6, 128, 255]) {
    expectWireError(
      t,
      () => checkMessage(frame(type, [0, 0, 0, 0]), PLAIN),
      { code: 'ERR_BGP_BAD_MESSAGE_TYPE', error: 1, subcode: HeaderSubcode.BAD_MESSAGE_TYPE, data: [type] },
      `type ${type}`,
    );
  }
  t.end();
});

t.test('RFC 7313: a ROUTE-REFRESH of the wrong length with enhanced route refresh is error 7/1 with the whole message', (t) => {
  for (const body of [[0, 1, 1, 1, 9], [0, 1, 2], new Array(100).fill(7)]) {
    const message = frame(MessageType.ROUTE_REFRESH, body);
    const error = expectWireError(
      t,
      () => checkMessage(message, ENHANCED_RR),
      {
        code: 'ERR_BGP_ROUTE_REFRESH_INVALID_LENGTH',
        error: ErrorCode.ROUTE_REFRESH_MESSAGE,
        subcode: RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
        data: message,
      },
      `body of ${body.length}`,
    );
    t.not(error?.notification.data.buffer, message.buffer, 'the data is a copy, not a view of the receive buffer');
  }
  // A length below the header stays a header error: there is no ROUTE-REFRESH to speak of.
  expectWireError(t, () => checkMessage(frame(MessageType.ROUTE_REFRESH, [], 18), ENHANCED_RR), badLength(18));
  t.end();
});

t.test('checkFramedHeader checks marker and length range from 19 octets alone', (t) => {
  const header = frame(MessageType.UPDATE, [], 4000); // the body is not there: only the header
  t.equal(checkFramedHeader(header, 0, 4096), 4000);
  expectWireError(t, () => checkFramedHeader(header, 0, 3999), badLength(4000));
  expectWireError(t, () => checkFramedHeader(frame(MessageType.UPDATE, [], 3), 0, 4096), badLength(3));
  const shifted = new Uint8Array(30);
  shifted.set(frame(MessageType.KEEPALIVE), 5);
  t.equal(checkFramedHeader(shifted, 5, 4096), 19, 'at an offset');
  shifted[5] = 0;
  expectWireError(t, () => checkFramedHeader(shifted, 5, 4096), { code: 'ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', error: 1, subcode: 1 });
  t.end();
});

t.test('maximum lengths per type and options', (t) => {
  t.equal(maxMessageLength(MessageType.UPDATE, PLAIN), 4096);
  t.equal(maxMessageLength(MessageType.UPDATE, EXTENDED), 65535);
  t.equal(maxMessageLength(MessageType.NOTIFICATION, EXTENDED), 65535);
  t.equal(maxMessageLength(MessageType.ROUTE_REFRESH, EXTENDED), 65535);
  t.equal(maxMessageLength(MessageType.OPEN, EXTENDED), 4096);
  t.equal(maxMessageLength(MessageType.KEEPALIVE, EXTENDED), 4096);
  t.equal(maxFrameLength(PLAIN), 4096);
  t.equal(maxFrameLength(EXTENDED), 65535);
  t.end();
});

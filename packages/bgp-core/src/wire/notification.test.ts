import t from 'tap';

import { CeaseSubcode, ErrorCode } from './constants.js';
import { decodeShutdownCommunication, describeNotification, fitNotification, notificationBody, shutdownNotification } from './notification.js';
import { encodeMessage } from './message.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { expectWireError } from './test-helpers/wire-error.js';
import type { NotificationMessage } from './types.js';
import { DEFAULT_CODEC_OPTIONS } from './types.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const decode = (body: Uint8Array) => notificationBody.decode(body, 0, body.length, DEFAULT_CODEC_OPTIONS);
const utf8 = (text: string) => new TextEncoder().encode(text);

t.test('NOTIFICATIONs round-trip with and without data', (t) => {
  const plain: NotificationMessage = { type: 'notification', code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0, data: new Uint8Array(0) };
  t.equal(hex(checkRoundTrip(t, notificationBody, plain)), '0400');
  const withData: NotificationMessage = { type: 'notification', code: 1, subcode: 2, data: bytes('1001') };
  t.equal(hex(checkRoundTrip(t, notificationBody, withData)), '01021001');
  const badPeerAs: NotificationMessage = { type: 'notification', code: 2, subcode: 2, data: bytes('fde8') };
  checkRoundTrip(t, notificationBody, badPeerAs);
  t.end();
});

t.test('RFC 9003 shutdown communications are decoded for Cease subcodes 2 and 4 only', (t) => {
  const text = 'maintenance ✓ 25min';
  const data = Uint8Array.from([utf8(text).length, ...utf8(text)]);
  for (const subcode of [CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, CeaseSubcode.ADMINISTRATIVE_RESET]) {
    const message: NotificationMessage = { type: 'notification', code: ErrorCode.CEASE, subcode, data, shutdownMessage: text };
    checkRoundTrip(t, notificationBody, message);
  }
  const other = decode(Uint8Array.from([6, 3, ...data]));
  t.equal(other.shutdownMessage, undefined, 'not for Cease/Peer De-configured');
  t.notOk('shutdownMessage' in other, 'the field is absent, not undefined');
  const empty = decode(bytes('0602 00'));
  t.equal(empty.shutdownMessage, '', 'length 0 is an empty communication');
  t.equal(decode(bytes('0602')).shutdownMessage, undefined, 'no data: no communication');
  t.end();
});

t.test('malformed shutdown communications are left undecoded, not errors', (t) => {
  t.equal(decode(bytes('0602 05 6162')).shutdownMessage, undefined, 'length past the data');
  t.equal(decode(bytes('0602 02 c328')).shutdownMessage, undefined, 'invalid UTF-8');
  t.equal(decode(bytes('0602 01 e2')).shutdownMessage, undefined, 'truncated UTF-8 sequence');
  t.same(decode(bytes('0602 05 6162')).data, bytes('05 6162'), 'the raw data is still there');
  t.equal(decodeShutdownCommunication(bytes('02 6869 ffff')), 'hi', 'trailing octets after the communication are ignored');
  t.end();
});

t.test('shutdownNotification builds the data and cuts at a UTF-8 boundary', (t) => {
  const short = shutdownNotification(2, 'planned maintenance');
  t.same(
    { code: short.code, subcode: short.subcode, text: short.shutdownMessage },
    { code: 6, subcode: 2, text: 'planned maintenance' },
  );
  t.equal(hex(short.data), '13' + hex(utf8('planned maintenance')));

  const cases: readonly [string, string, number][] = [
    ['ASCII', 'x'.repeat(300), 255],
    ['2-octet characters', 'é'.repeat(200), 254], // 127 whole characters
    ['3-octet characters', '€'.repeat(100), 255], // 85 whole characters exactly
    ['4-octet characters', '😀'.repeat(70), 252], // 63 whole characters
    ['exactly 255', 'a'.repeat(255), 255],
  ];
  for (const [what, text, octets] of cases) {
    const message = shutdownNotification(4, text);
    t.equal(message.data[0], octets, `${what}: length octet`);
    t.equal(message.data.length, 1 + octets, `${what}: data length`);
    t.ok(text.startsWith(message.shutdownMessage ?? '\u0000'), `${what}: a prefix of the text`);
    t.equal(utf8(message.shutdownMessage ?? '').length, octets, `${what}: shutdownMessage is what was sent`);
    t.equal(decode(Uint8Array.from([6, 4, ...message.data])).shutdownMessage, message.shutdownMessage, `${what}: decodes back`);
  }
  t.end();
});

t.test('a body shorter than code and subcode is a Bad Message Length', (t) => {
  expectWireError(t, () => decode(bytes('06')), { code: 'ERR_BGP_BAD_MESSAGE_LENGTH', error: 1, subcode: 2, data: [0, 20] });
  t.end();
});

t.test('describeNotification names codes and subcodes', (t) => {
  t.equal(describeNotification(6, 2), 'Cease/Administrative Shutdown');
  t.equal(describeNotification(2, 2), 'OPEN Message Error/Bad Peer AS');
  t.equal(describeNotification(1, 1), 'Message Header Error/Connection Not Synchronized');
  t.equal(describeNotification(3, 11), 'UPDATE Message Error/Malformed AS_PATH');
  t.equal(describeNotification(5, 2), 'Finite State Machine Error/Receive Unexpected Message in OpenConfirm State');
  t.equal(describeNotification(7, 1), 'ROUTE-REFRESH Message Error/Invalid Message Length');
  t.equal(describeNotification(6, 10), 'Cease/BFD Down');
  t.equal(describeNotification(4, 0), 'Hold Timer Expired');
  t.equal(describeNotification(6, 0), 'Cease');
  t.equal(describeNotification(6, 42), 'Cease/subcode 42');
  t.equal(describeNotification(9, 1), 'error code 9/subcode 1');
  t.end();
});

t.test('encode refuses codes that are not octets', (t) => {
  const buf = new Uint8Array(8);
  t.throws(() => notificationBody.encode({ type: 'notification', code: 256, subcode: 0, data: new Uint8Array(0) }, buf, 0, DEFAULT_CODEC_OPTIONS), RangeError);
  t.end();
});

t.test('fitNotification cuts the data so the whole NOTIFICATION fits 4096 octets', async (t) => {
  const huge = { type: 'notification' as const, code: 7, subcode: 1, data: new Uint8Array(5000).fill(7) };
  const fitted = fitNotification(huge);
  t.equal(fitted.data.length, 4096 - 19 - 2);
  t.equal(encodeMessage(fitted, DEFAULT_CODEC_OPTIONS).length, 4096, 'encodes to exactly the maximum');
  const small = { type: 'notification' as const, code: 6, subcode: 2, data: new Uint8Array(3) };
  t.equal(fitNotification(small), small, 'a NOTIFICATION that fits is returned as it is');
});

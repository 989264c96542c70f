import t from 'tap';

import { KEEPALIVE, keepaliveBody } from './keepalive.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { expectWireError } from './test-helpers/wire-error.js';
import { DEFAULT_CODEC_OPTIONS } from './types.js';

t.test('a KEEPALIVE has an empty body and decodes to the frozen singleton', (t) => {
  t.equal(checkRoundTrip(t, keepaliveBody, KEEPALIVE).length, 0);
  t.equal(keepaliveBody.decode(new Uint8Array(0), 0, 0, DEFAULT_CODEC_OPTIONS), KEEPALIVE, 'the same object every time');
  t.ok(Object.isFrozen(KEEPALIVE));
  t.end();
});

t.test('a KEEPALIVE with a body is a Bad Message Length', (t) => {
  expectWireError(t, () => keepaliveBody.decode(new Uint8Array(3), 0, 3, DEFAULT_CODEC_OPTIONS), {
    code: 'ERR_BGP_BAD_MESSAGE_LENGTH',
    error: 1,
    subcode: 2,
    data: [0, 22],
  });
  t.end();
});

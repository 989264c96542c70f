import t from 'tap';

import { ErrorCode, OpenSubcode } from './constants.js';
import { openBody, parseRouterId, unsupportedOptionalParameterError } from './open.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { expectWireError } from './test-helpers/wire-error.js';
import type { Capability, OpenMessage } from './types.js';
import { DEFAULT_CODEC_OPTIONS } from './types.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex'));
const decode = (body: Uint8Array) => openBody.decode(body, 0, body.length, DEFAULT_CODEC_OPTIONS);

const CAPABILITIES: readonly Capability[] = [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'enhanced-route-refresh' },
  { kind: 'four-octet-as', asn: 4200000001 },
  { kind: 'graceful-restart', restarting: false, notification: true, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
  { kind: 'extended-message' },
];

const OPEN: OpenMessage = {
  type: 'open',
  version: 4,
  myAsn: 23456,
  holdTime: 90,
  routerId: '192.0.2.1',
  capabilities: CAPABILITIES,
  unknownParameters: [],
};

/** The same OPEN as FRR and BIRD lay it out: every capability in one Capabilities parameter. */
const ONE_PARAMETER = bytes(`
  04                # version 4
  5ba0              # My AS 23456 (AS_TRANS)
  005a              # hold time 90
  c0000201          # BGP identifier 192.0.2.1
  22                # Opt Parm Len 34
  02 20             # parameter 2 (capabilities), 32 octets
    01 04 0001 00 01          # multiprotocol IPv4 unicast
    01 04 0002 00 01          # multiprotocol IPv6 unicast
    02 00                     # route refresh
    46 00                     # enhanced route refresh
    41 04 fa56ea01            # 4-octet AS 4200000001
    40 06 4078 0001 01 80     # graceful restart: N bit, 120 s, IPv4 unicast forwarding preserved
    06 00                     # extended message
`);

t.test('an OPEN round-trips and encodes all capabilities in one parameter', (t) => {
  const encoded = checkRoundTrip(t, openBody, OPEN);
  t.equal(hex(encoded), hex(ONE_PARAMETER), 'the annotated bytes');
  t.equal(openBody.encodingLength(OPEN, DEFAULT_CODEC_OPTIONS), 44);
  t.end();
});

t.test('an OPEN without optional parameters', (t) => {
  const bare: OpenMessage = { ...OPEN, myAsn: 65001, holdTime: 0, routerId: '255.255.255.255', capabilities: [] };
  const encoded = checkRoundTrip(t, openBody, bare);
  t.equal(hex(encoded), '04fde90000ffffffff00');
  t.end();
});

t.test('one capability per parameter (as GoBGP and older Cisco send) decodes to the same OPEN', (t) => {
  const body = bytes(`
    04 5ba0 005a c0000201
    2e                        # 46 octets of parameters: 7 parameters of one capability each
    02 06 01 04 0001 00 01
    02 06 01 04 0002 00 01
    02 02 02 00
    02 02 46 00
    02 06 41 04 fa56ea01
    02 08 40 06 4078 0001 01 80
    02 02 06 00
  `);
  t.same(decode(body), OPEN);
  t.end();
});

t.test('unknown capabilities and unknown parameters are kept byte for byte', (t) => {
  const body = bytes(`
    04 fde9 00b4 0a000001
    10
    02 06 49 04 01610162      # FQDN (73), kept as unknown
    01 02 abcd                # parameter 1 (deprecated authentication)
    02 02 80 00               # Cisco route refresh
  `);
  const open = decode(body);
  t.same(open.capabilities, [
    { kind: 'unknown', code: 73, value: bytes('01610162') },
    { kind: 'route-refresh-cisco' },
  ]);
  t.same(open.unknownParameters, [{ type: 1, value: bytes('abcd') }]);
  checkRoundTrip(t, openBody, open);

  const error = unsupportedOptionalParameterError(open);
  t.equal(error?.code, 'ERR_BGP_UNSUPPORTED_OPTIONAL_PARAMETER');
  t.equal(error?.notification.code, ErrorCode.OPEN_MESSAGE);
  t.equal(error?.notification.subcode, OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER);
  t.equal(unsupportedOptionalParameterError(OPEN), undefined, 'none for an OPEN with capabilities only');
  t.end();
});

t.test('RFC 9072 extended optional parameters length is decoded', (t) => {
  const body = bytes(`
    04 5ba0 005a c0000201
    ff                        # Non-Ext OP Len: non-zero, ignored
    ff                        # Non-Ext OP Type 255: extended encoding
    0009                      # Extended Opt. Parm. Length 9
    02 0006 41 04 fa56ea01    # parameter 2 with a 2-octet length
  `);
  t.same(decode(body).capabilities, [{ kind: 'four-octet-as', asn: 4200000001 }]);
  const anyLength = body.slice();
  anyLength[9] = 1; // RFC 9072 section 2: any non-zero Non-Ext OP Len with type 255 means extended
  t.same(decode(anyLength).capabilities, [{ kind: 'four-octet-as', asn: 4200000001 }]);
  t.end();
});

t.test('optional parameters over 255 octets are encoded in the RFC 9072 form and round-trip', (t) => {
  const many: Capability[] = [];
  for (let i = 0; i < 70; i++) many.push({ kind: 'multiprotocol', afi: 1 + (i % 2), safi: i + 1 });
  const big: OpenMessage = { ...OPEN, capabilities: many, unknownParameters: [{ type: 9, value: new Uint8Array(300).fill(3) }] };
  const encoded = checkRoundTrip(t, openBody, big);
  t.equal(encoded[9], 0xff, 'Non-Ext OP Len 255');
  t.equal(encoded[10], 0xff, 'Non-Ext OP Type 255');
  t.equal((encoded[11]! << 8) | encoded[12]!, encoded.length - 13, 'Extended Opt. Parm. Length');
  t.equal(encoded[13], 2, 'the capabilities parameter first');
  t.equal((encoded[14]! << 8) | encoded[15]!, 70 * 6, 'with a 2-octet length');
  t.end();
});

t.test('a parameter of type 255 first is encoded in the RFC 9072 form so it is not read as the marker', (t) => {
  const odd: OpenMessage = { ...OPEN, capabilities: [], unknownParameters: [{ type: 255, value: Uint8Array.of(1, 2) }] };
  const encoded = checkRoundTrip(t, openBody, odd);
  t.equal(hex(encoded.subarray(9)), 'ffff0005ff000201 02'.replace(/\s+/g, ''), 'extended form with one parameter');
  t.end();
});

t.test('a version other than 4 is Unsupported Version Number with 4 as 2-octet data', (t) => {
  for (const version of [3, 5, 0, 255]) {
    const body = ONE_PARAMETER.slice();
    body[0] = version;
    expectWireError(
      t,
      () => decode(body),
      { code: 'ERR_BGP_UNSUPPORTED_VERSION', error: 2, subcode: OpenSubcode.UNSUPPORTED_VERSION_NUMBER, data: [0, 4] },
      `version ${version}`,
    );
  }
  // The version is checked before anything else: a version-3 OPEN with a bad parameter length.
  expectWireError(t, () => decode(bytes('03 5ba0 005a c0000201 07')), { code: 'ERR_BGP_UNSUPPORTED_VERSION', error: 2, subcode: 1, data: [0, 4] });
  t.end();
});

t.test('a body shorter than 10 octets is a Bad Message Length', (t) => {
  expectWireError(t, () => decode(bytes('04 5ba0 005a c00002')), { code: 'ERR_BGP_BAD_MESSAGE_LENGTH', error: 1, subcode: 2, data: [0, 27] });
  t.end();
});

const malformedOpen = { code: 'ERR_BGP_MALFORMED_OPEN', error: ErrorCode.OPEN_MESSAGE, subcode: 0, data: [] };

t.test('inconsistent optional parameter lengths are OPEN Message Error/0 (Unspecific)', (t) => {
  const cases: readonly [string, string][] = [
    ['Opt Parm Len larger than the rest', '04 5ba0 005a c0000201 05 02 02 02 00'],
    ['Opt Parm Len smaller than the rest', '04 5ba0 005a c0000201 03 02 02 02 00'],
    ['Opt Parm Len with nothing after', '04 5ba0 005a c0000201 04'],
    ['parameter runs past the message', '04 5ba0 005a c0000201 04 02 03 02 00'],
    ['truncated parameter header', '04 5ba0 005a c0000201 05 02 02 02 00 02'],
    ['extended length truncated', '04 5ba0 005a c0000201 ff ff 00'],
    ['extended length mismatch', '04 5ba0 005a c0000201 ff ff 0006 02 0002 02 00'],
    ['extended parameter header truncated', '04 5ba0 005a c0000201 ff ff 0002 02 00'],
    ['extended parameter runs past', '04 5ba0 005a c0000201 ff ff 0005 02 0003 02 00'],
  ];
  for (const [what, wire] of cases) expectWireError(t, () => decode(bytes(wire)), malformedOpen, what);
  t.end();
});

t.test('a malformed capability inside an OPEN is OPEN Message Error/0 with the capability as data', (t) => {
  expectWireError(t, () => decode(bytes('04 5ba0 005a c0000201 08 02 06 02 00 41 02 fde8')), {
    code: 'ERR_BGP_MALFORMED_CAPABILITY',
    error: 2,
    subcode: 0,
    data: bytes('41 02 fde8'),
  });
  t.end();
});

t.test('encode refuses fields that cannot be represented', (t) => {
  const buf = new Uint8Array(100);
  for (const routerId of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '', '01.2.3.4x']) {
    t.throws(() => openBody.encode({ ...OPEN, routerId }, buf, 0, DEFAULT_CODEC_OPTIONS), RangeError, `router id ${routerId}`);
  }
  t.throws(() => openBody.encode({ ...OPEN, myAsn: 65536 }, buf, 0, DEFAULT_CODEC_OPTIONS), RangeError, 'My AS over 2 octets');
  t.throws(() => openBody.encode({ ...OPEN, holdTime: -1 }, buf, 0, DEFAULT_CODEC_OPTIONS), RangeError, 'negative hold time');
  t.equal(parseRouterId('10.0.0.1'), 0x0a000001);
  t.equal(parseRouterId('255.255.255.255'), 0xffffffff);
  t.end();
});

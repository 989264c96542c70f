import t from 'tap';

import { capabilityCodec, decodeCapabilities, findCapabilities, findCapability } from './capabilities.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { expectWireError } from './test-helpers/wire-error.js';
import type { Capability, OpenMessage } from './types.js';
import { DEFAULT_CODEC_OPTIONS } from './types.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Every kind, with the bytes it must encode to (code, length, value). */
const FIXTURES: readonly { readonly capability: Capability; readonly wire: string }[] = [
  // RFC 4760 section 8: AFI 2 (IPv6), reserved 0, SAFI 1 (unicast).
  { capability: { kind: 'multiprotocol', afi: 2, safi: 1 }, wire: '01 04 0002 00 01' },
  { capability: { kind: 'multiprotocol', afi: 1, safi: 1 }, wire: '01 04 0001 00 01' },
  { capability: { kind: 'route-refresh' }, wire: '02 00' },
  { capability: { kind: 'route-refresh-cisco' }, wire: '80 00' },
  { capability: { kind: 'enhanced-route-refresh' }, wire: '46 00' },
  { capability: { kind: 'extended-message' }, wire: '06 00' },
  // RFC 6793: AS 4200000001 = 0xFA56EA01.
  { capability: { kind: 'four-octet-as', asn: 4200000001 }, wire: '41 04 fa56ea01' },
  // RFC 4724: R bit, N bit, restart time 120 (0x078); IPv4 unicast with F, IPv6 unicast without.
  {
    capability: {
      kind: 'graceful-restart',
      restarting: true,
      notification: true,
      restartTime: 120,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: true },
        { afi: 2, safi: 1, forwardingPreserved: false },
      ],
    },
    wire: '40 0a c078 0001 01 80 0002 01 00',
  },
  {
    capability: { kind: 'graceful-restart', restarting: false, notification: false, restartTime: 4095, families: [] },
    wire: '40 02 0fff',
  },
  // Unknown ones are kept byte for byte: FQDN (73), Add-Path (69) as raw, and an empty one.
  { capability: { kind: 'unknown', code: 73, value: bytes('04 686f7374 00') }, wire: '49 06 04686f737400' },
  { capability: { kind: 'unknown', code: 69, value: bytes('0001 01 03') }, wire: '45 04 0001 01 03' },
  { capability: { kind: 'unknown', code: 200, value: new Uint8Array(0) }, wire: 'c8 00' },
];

t.test('every capability kind round-trips to its known bytes', (t) => {
  for (const { capability, wire } of FIXTURES) {
    const encoded = checkRoundTrip(t, capabilityCodec, capability);
    t.equal(hex(encoded), wire.replace(/\s+/g, ''), `${capability.kind} bytes`);
  }
  t.end();
});

t.test('graceful restart ignores reserved bits on decode', (t) => {
  // Flags 0x3 (reserved) set, per-family flags 0x7f (reserved) set.
  const decoded = capabilityCodec.decode(bytes('40 06 3001 0001 01 7f'), 0, 8, DEFAULT_CODEC_OPTIONS);
  t.same(decoded, {
    kind: 'graceful-restart',
    restarting: false,
    notification: false,
    restartTime: 1,
    families: [{ afi: 1, safi: 1, forwardingPreserved: false }],
  });
  t.end();
});

t.test('several capabilities in one parameter value decode in order', (t) => {
  const value = bytes(FIXTURES.map((f) => f.wire).join(''));
  const decoded = decodeCapabilities(value, 0, value.length);
  t.same(decoded, FIXTURES.map((f) => f.capability));
  const into: Capability[] = [{ kind: 'route-refresh' }];
  decodeCapabilities(bytes('06 00'), 0, 2, into);
  t.same(into, [{ kind: 'route-refresh' }, { kind: 'extended-message' }], 'appends to a given list');
  t.same(decodeCapabilities(value, 0, 0), [], 'an empty parameter has none');
  t.end();
});

const malformed = (data: string) => ({ code: 'ERR_BGP_MALFORMED_CAPABILITY', error: 2, subcode: 0, data: bytes(data) });

t.test('a known capability with the wrong length is OPEN Message Error/0 with the capability as data', (t) => {
  const cases: readonly [string, string][] = [
    ['multiprotocol of 3', '01 03 000100'],
    ['multiprotocol of 5', '01 05 0001000100'],
    ['4-octet AS of 2', '41 02 fde8'],
    ['route refresh with a value', '02 01 00'],
    ['Cisco route refresh with a value', '80 01 00'],
    ['enhanced route refresh with a value', '46 02 0000'],
    ['extended message with a value', '06 01 00'],
    ['graceful restart of 1', '40 01 00'],
    ['graceful restart of 5', '40 05 0078 000101'],
  ];
  for (const [what, wire] of cases) {
    const value = bytes(wire);
    expectWireError(t, () => decodeCapabilities(value, 0, value.length), malformed(wire), what);
    expectWireError(t, () => capabilityCodec.decode(value, 0, value.length, DEFAULT_CODEC_OPTIONS), malformed(wire), `${what} (codec)`);
  }
  t.end();
});

t.test('capabilities that do not fit their parameter are malformed', (t) => {
  const runsPast = bytes('02 00 41 04 0000');
  expectWireError(t, () => decodeCapabilities(runsPast, 0, runsPast.length), malformed('41 04 0000'), 'length past the end');
  const truncated = bytes('02 00 41');
  expectWireError(t, () => decodeCapabilities(truncated, 0, truncated.length), malformed('41'), 'lone code octet');
  expectWireError(t, () => capabilityCodec.decode(bytes('02'), 0, 1, DEFAULT_CODEC_OPTIONS), malformed('02'), 'codec: truncated header');
  expectWireError(t, () => capabilityCodec.decode(bytes('02 00 00'), 0, 3, DEFAULT_CODEC_OPTIONS), malformed('02 00 00'), 'codec: extra octet');
  t.end();
});

t.test('encode refuses values that cannot be represented', (t) => {
  const options = DEFAULT_CODEC_OPTIONS;
  const buf = new Uint8Array(300);
  t.throws(() => capabilityCodec.encode({ kind: 'unknown', code: 9, value: new Uint8Array(256) }, buf, 0, options), RangeError);
  t.throws(() => capabilityCodec.encode({ kind: 'four-octet-as', asn: 2 ** 32 }, buf, 0, options), RangeError);
  t.throws(() => capabilityCodec.encode({ kind: 'multiprotocol', afi: 1, safi: 256 }, buf, 0, options), RangeError);
  t.throws(
    () => capabilityCodec.encode({ kind: 'graceful-restart', restarting: false, notification: false, restartTime: 4096, families: [] }, buf, 0, options),
    RangeError,
  );
  t.end();
});

t.test('findCapability and findCapabilities return typed capabilities', (t) => {
  const open: OpenMessage = {
    type: 'open',
    version: 4,
    myAsn: 23456,
    holdTime: 90,
    routerId: '192.0.2.1',
    capabilities: FIXTURES.map((f) => f.capability),
    unknownParameters: [],
  };
  const fourOctet = findCapability(open, 'four-octet-as');
  t.equal(fourOctet?.asn, 4200000001, 'typed: .asn is there without a cast');
  t.equal(findCapability(open, 'graceful-restart')?.restartTime, 120, 'the first of its kind');
  t.equal(findCapability({ capabilities: [] }, 'route-refresh'), undefined, 'absent');
  const families = findCapabilities(open, 'multiprotocol').map((c) => `${c.afi}/${c.safi}`);
  t.same(families, ['2/1', '1/1'], 'every multiprotocol capability, in order');
  t.same(findCapabilities(open, 'unknown').map((c) => c.code), [73, 69, 200]);
  t.end();
});

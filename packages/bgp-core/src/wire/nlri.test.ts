import fc from 'fast-check';
import t from 'tap';
import { ErrorCode, UpdateSubcode } from './constants.js';
import {
  decodePrefixes,
  encodedPrefixLength,
  formatIpv4,
  formatIpv6,
  normalizePrefix,
  parseIpv4,
  parseIpv6,
  parsePrefix,
  prefixFamily,
  writePrefix,
} from './nlri.js';
import { expectWireError } from './test-helpers/wire-error.js';

const INVALID_NETWORK_FIELD = {
  code: 'ERR_BGP_INVALID_NETWORK_FIELD',
  error: ErrorCode.UPDATE_MESSAGE,
  subcode: UpdateSubcode.INVALID_NETWORK_FIELD,
};

function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  parseIpv6(text, bytes, 0);
  return bytes;
}

t.test('decodePrefixes reads IPv4 prefixes of every octet count', async (t) => {
  const field = Uint8Array.of(
    0x00, // 0.0.0.0/0
    0x08, 10, // 10.0.0.0/8
    0x10, 10, 5, // 10.5.0.0/16
    0x18, 192, 0, 2, // 192.0.2.0/24
    0x20, 10, 6, 1, 1, // 10.6.1.1/32
  );
  t.same(decodePrefixes(field, 0, field.length, 'ipv4'), ['0.0.0.0/0', '10.0.0.0/8', '10.5.0.0/16', '192.0.2.0/24', '10.6.1.1/32']);
  t.same(decodePrefixes(field, 1, 2, 'ipv4'), ['10.0.0.0/8'], 'honours offset and length inside a larger buffer');
  t.same(decodePrefixes(field, 3, 0, 'ipv4'), [], 'an empty field has no prefixes');
});

t.test('decodePrefixes masks host bits so a prefix has one spelling', async (t) => {
  // /23 with the last bit of the third octet set, /1 with stray bits, /31 with the host bit set.
  const field = Uint8Array.of(23, 10, 0, 3, 1, 0xff, 31, 192, 0, 2, 0xff);
  t.same(decodePrefixes(field, 0, field.length, 'ipv4'), ['10.0.2.0/23', '128.0.0.0/1', '192.0.2.254/31']);
  const v6 = Uint8Array.of(33, 0x20, 0x01, 0x0d, 0xb8, 0xff);
  t.same(decodePrefixes(v6, 0, v6.length, 'ipv6'), ['2001:db8:8000::/33']);
});

t.test('decodePrefixes reads IPv6 prefixes', async (t) => {
  const field = Uint8Array.of(0, 32, 0x20, 0x01, 0x0d, 0xb8, 128, ...ipv6Bytes('2001:db8::1'), 64, 0xfe, 0x80, 0, 0, 0, 0, 0, 0);
  t.same(decodePrefixes(field, 0, field.length, 'ipv6'), ['::/0', '2001:db8::/32', '2001:db8::1/128', 'fe80::/64']);
});

t.test('decodePrefixes rejects lengths beyond the address and prefixes that overrun', async (t) => {
  expectWireError(t, () => decodePrefixes(Uint8Array.of(33, 1, 2, 3, 4, 5), 0, 6, 'ipv4'), INVALID_NETWORK_FIELD, 'IPv4 /33');
  expectWireError(t, () => decodePrefixes(Uint8Array.of(129, ...new Uint8Array(17)), 0, 18, 'ipv6'), INVALID_NETWORK_FIELD, 'IPv6 /129');
  expectWireError(t, () => decodePrefixes(Uint8Array.of(24, 10, 0), 0, 3, 'ipv4'), INVALID_NETWORK_FIELD, '/24 with two octets');
  // The buffer holds the octets, but the field given does not.
  expectWireError(t, () => decodePrefixes(Uint8Array.of(24, 10, 0, 0), 0, 3, 'ipv4'), INVALID_NETWORK_FIELD, 'field shorter than the prefix');
  expectWireError(t, () => decodePrefixes(Uint8Array.of(8, 10), 1, 5, 'ipv4'), INVALID_NETWORK_FIELD, 'field beyond the buffer');
});

t.test('writePrefix and encodedPrefixLength match the wire form and clear host bits', async (t) => {
  const cases: [string, number[]][] = [
    ['0.0.0.0/0', [0]],
    ['10.0.0.0/8', [8, 10]],
    ['10.0.0.255/24', [24, 10, 0, 0]],
    ['10.6.1.1/32', [32, 10, 6, 1, 1]],
    ['10.0.3.0/23', [23, 10, 0, 2]],
    ['2001:db8::/32', [32, 0x20, 0x01, 0x0d, 0xb8]],
    ['2001:db8::ff/120', [120, ...ipv6Bytes('2001:db8::').subarray(0, 15)]],
    ['::/0', [0]],
  ];
  for (const [prefix, wire] of cases) {
    t.equal(encodedPrefixLength(prefix), wire.length, `length of ${prefix}`);
    const buf = new Uint8Array(wire.length + 2).fill(0xee);
    t.equal(writePrefix(prefix, buf, 1), wire.length, `octets written for ${prefix}`);
    t.same([...buf.subarray(1, 1 + wire.length)], wire, `bytes of ${prefix}`);
    t.equal(buf[0], 0xee, 'nothing before');
    t.equal(buf[wire.length + 1], 0xee, 'nothing after');
  }
  t.throws(() => writePrefix('10.0.0.0', new Uint8Array(8), 0), /not a prefix/);
  t.throws(() => writePrefix('10.0.0.0/33', new Uint8Array(8), 0), /invalid prefix length/);
  t.throws(() => writePrefix('10.0.0.0/24', new Uint8Array(3), 0), RangeError);
});

t.test('parsePrefix and normalizePrefix canonicalise configuration text', async (t) => {
  t.equal(normalizePrefix('10.0.0.1/24'), '10.0.0.0/24', 'host bits cleared');
  t.equal(normalizePrefix('192.0.2.7'), '192.0.2.7/32', 'a bare IPv4 address is a /32');
  t.equal(normalizePrefix('2001:DB8:0:0:0:0:0:1/128'), '2001:db8::1/128', 'IPv6 lower-cased and compressed');
  t.equal(normalizePrefix('2001:db8::1'), '2001:db8::1/128', 'a bare IPv6 address is a /128');
  t.equal(normalizePrefix('2001:db8:ffff::/33'), '2001:db8:8000::/33');
  t.equal(normalizePrefix('0.0.0.0/0'), '0.0.0.0/0');
  const parsed = parsePrefix('198.51.100.9/25');
  t.equal(parsed.family, 'ipv4');
  t.equal(parsed.length, 25);
  t.same([...parsed.bytes], [198, 51, 100, 0]);
  t.equal(parsePrefix('::/0').bytes.length, 16);
  for (const bad of ['10.0.0.256/24', '10.0.0/24', '01.2.3.4/8', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0/', '/24', '', 'a.b.c.d', '10.0.0.0/-1']) {
    t.throws(() => parsePrefix(bad), Error, `rejects "${bad}"`);
  }
  for (const bad of ['2001:db8::/129', ':::/0', '1:2:3:4:5:6:7:8:9/128', '1::2::3', '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7', '::ffff:1.2.3/128', 'g::1']) {
    t.throws(() => parsePrefix(bad), Error, `rejects "${bad}"`);
  }
  t.throws(() => parsePrefix('10.0.0.0/33'), /invalid prefix length/, 'names what is wrong');
});

t.test('prefixFamily tells the families apart', async (t) => {
  t.equal(prefixFamily('10.0.0.0/8'), 'ipv4');
  t.equal(prefixFamily('::/0'), 'ipv6');
});

t.test('formatIpv6 writes RFC 5952 canonical text', async (t) => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not shortened (section 4.2.2)
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run is shortened (section 4.2.3)
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['FE80:0:0:0:0:0:0:ABCD', 'fe80::abcd'], // lower case (section 4.3)
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'], // IPv4-mapped (section 5)
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [input, canonical] of cases) t.equal(formatIpv6(ipv6Bytes(input), 0), canonical, input);
  const padded = new Uint8Array(20);
  padded.set(ipv6Bytes('2001:db8::2'), 3);
  t.equal(formatIpv6(padded, 3), '2001:db8::2', 'reads at an offset');
});

t.test('parseIpv6 accepts every RFC 4291 text form', async (t) => {
  t.same(ipv6Bytes('::ffff:192.0.2.1'), ipv6Bytes('0:0:0:0:0:ffff:c000:201'), 'embedded dotted quad');
  t.same(ipv6Bytes('1:2:3:4:5:6:1.2.3.4'), ipv6Bytes('1:2:3:4:5:6:102:304'), 'full form with a dotted quad');
  t.same(ipv6Bytes('::2:3:4:5:6:7:8'), ipv6Bytes('0:2:3:4:5:6:7:8'), ':: standing for one group');
  t.same(ipv6Bytes('1::'), ipv6Bytes('1:0:0:0:0:0:0:0'));
  t.same(ipv6Bytes('1::8'), ipv6Bytes('1:0:0:0:0:0:0:8'));
  const buf = new Uint8Array(18);
  t.equal(parseIpv6('::1', buf, 2), 16);
  t.equal(buf[17], 1, 'writes at the offset');
});

t.test('formatIpv4 and parseIpv4', async (t) => {
  const buf = new Uint8Array(6);
  t.equal(parseIpv4('192.0.2.255', buf, 1), 4);
  t.equal(formatIpv4(buf, 1), '192.0.2.255');
  t.throws(() => parseIpv4('192.0.2', buf, 0), /not a valid IPv4 address/);
  t.throws(() => parseIpv4('192.0.2.1.5', buf, 0));
  t.throws(() => parseIpv4('192.0.2.', buf, 0));
  t.throws(() => parseIpv4('192.0.02.1', buf, 0), Error, 'leading zeros are ambiguous (octal)');
});

t.test('property: IPv6 text round-trips and matches the WHATWG serialiser outside mapped addresses', async (t) => {
  // Zero-heavy groups, so that runs of zeros (the interesting case) are common.
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      const bytes = new Uint8Array(16);
      groups.forEach((value, g) => {
        bytes[2 * g] = value >> 8;
        bytes[2 * g + 1] = value & 0xff;
      });
      const text = formatIpv6(bytes, 0);
      const back = new Uint8Array(16);
      parseIpv6(text, back, 0);
      if (Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0) return false;
      if (text.startsWith('::ffff:') && text.includes('.')) return true;
      return new URL(`http://[${text}]/`).hostname === `[${text}]`;
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random addresses');
});

t.test('property: any IPv4 or IPv6 prefix survives writePrefix then decodePrefixes as its canonical form', async (t) => {
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), (v6, bytes, rawLength) => {
      const length = v6 ? rawLength : rawLength % 33;
      const text = (v6 ? formatIpv6(bytes, 0) : formatIpv4(bytes, 0)) + '/' + length;
      const buf = new Uint8Array(17);
      const written = writePrefix(text, buf, 0);
      const decoded = decodePrefixes(buf, 0, written, v6 ? 'ipv6' : 'ipv4');
      return decoded.length === 1 && decoded[0] === normalizePrefix(text) && written === encodedPrefixLength(text);
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random prefixes');
});

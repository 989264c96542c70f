import t from 'tap';
import { bytesToIpv6, bytesToMac, canonicalIp, ipv4ToBytes, ipv6ToBytes, macToBytes } from './ethernet.js';

t.test('MAC text <-> octets', async (t) => {
  t.same([...macToBytes('02:00:5E:10:ab:FF')], [0x02, 0x00, 0x5e, 0x10, 0xab, 0xff]);
  t.equal(bytesToMac(macToBytes('02-00-5e-10-ab-ff')), '02:00:5e:10:ab:ff');
  t.throws(() => macToBytes('02:00:5e:10:ab'), TypeError);
  t.throws(() => macToBytes('02:00:5e:10:ab:zz'), TypeError);
});

t.test('IPv4 and IPv6 text -> octets', async (t) => {
  t.same([...ipv4ToBytes('192.0.2.200')], [192, 0, 2, 200]);
  t.equal(ipv6ToBytes('2001:db8::200').toString('hex'), '20010db8000000000000000000000200');
  t.equal(ipv6ToBytes('::').toString('hex'), '0'.repeat(32));
  t.equal(ipv6ToBytes('::1').toString('hex'), `${'0'.repeat(31)}1`);
  t.equal(ipv6ToBytes('fe80::').toString('hex'), `fe80${'0'.repeat(28)}`);
  t.equal(ipv6ToBytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  t.equal(ipv6ToBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  t.throws(() => ipv6ToBytes('192.0.2.1'), TypeError);
  t.throws(() => ipv4ToBytes('2001:db8::1'), TypeError);
});

t.test('IPv6 octets -> RFC 5952 text', async (t) => {
  for (const [input, expected] of [
    ['2001:DB8:0:0:0:0:0:200', '2001:db8::200'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // the longer zero run is shortened
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['::', '::'],
    ['ff02::1:ff00:200', 'ff02::1:ff00:200'],
  ] as const) {
    t.equal(bytesToIpv6(ipv6ToBytes(input)), expected, input);
  }
  t.equal(canonicalIp('2001:0DB8::0200'), '2001:db8::200');
  t.equal(canonicalIp('192.0.2.7'), '192.0.2.7');
});

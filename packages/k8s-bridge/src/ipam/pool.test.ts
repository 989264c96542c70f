import t from 'tap';
import { formatAddress, parseAddress } from './address.js';
import { buggyAddressCount, parseAddressRange } from './address-range.js';
import { IpamConfigError } from './errors.js';
import { AddressPool } from './pool.js';
import { PoolSet } from './pool-set.js';
import type { AddressRange } from './address-range.js';
import type { Address } from './address.js';

function range(text: string): AddressRange {
  const parsed = parseAddressRange(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function address(text: string): Address {
  const parsed = parseAddress(text);
  if (parsed === undefined) throw new Error(`bad address ${text}`);
  return parsed;
}

function makePool(addresses: string[], avoidBuggyIps = false): AddressPool {
  return new AddressPool({ name: 'p', autoAssign: true, avoidBuggyIps, ranges: addresses.map(range), order: 0 });
}

t.test('addresses parse and print canonically (RFC 5952 for IPv6)', async (t) => {
  t.equal(formatAddress(address(' 10.0.0.1 ')), '10.0.0.1');
  t.equal(formatAddress(address('2001:DB8:0:0:0:0:0:1')), '2001:db8::1');
  t.equal(formatAddress(address('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  t.equal(parseAddress('10.0.0.256'), undefined);
  t.equal(parseAddress('01.2.3.4'), undefined);
  t.equal(parseAddress('1.2.3'), undefined);
  t.equal(parseAddress('fe80::1%eth0'), undefined);
  t.equal(parseAddress('not-an-ip'), undefined);
});

t.test('CIDRs and a-b ranges, as MetalLB accepts them', async (t) => {
  const cidr = range('192.168.10.0/23');
  t.equal(cidr.family, 'IPv4');
  t.equal(cidr.last - cidr.first + 1n, 512n);
  const hostBits = range('10.0.0.5/24');
  t.equal(formatAddress({ family: 'IPv4', value: hostBits.first }), '10.0.0.0', 'host bits set: the network is meant');
  const dash = range('10.0.0.10 - 10.0.0.20');
  t.equal(dash.last - dash.first + 1n, 11n);
  const v6 = range('2001:db8::/64');
  t.equal(v6.last - v6.first + 1n, 2n ** 64n);
  t.match(parseAddressRange('10.0.0.1'), /must be a CIDR/);
  t.match(parseAddressRange('10.0.0.9-10.0.0.1'), /first address is above the last/);
  t.match(parseAddressRange('10.0.0.1-2001:db8::1'), /one address family/);
  t.match(parseAddressRange('10.0.0.0/33'), /prefix length must be 0-32/);
  t.match(parseAddressRange('10.0.0.x/24'), /is not an IP address/);
});

t.test('.0/.255 count without enumerating matches a brute-force count', async (t) => {
  for (const text of ['10.0.0.0/23', '10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', '10.0.0.250-10.0.2.3', '10.0.0.255-10.0.1.0', '0.0.0.0/22', '10.0.0.1-10.0.0.1']) {
    const r = range(text);
    let brute = 0n;
    for (let v = r.first; v <= r.last; v++) if ((v & 255n) === 0n || (v & 255n) === 255n) brute++;
    t.equal(buggyAddressCount(r), brute, text);
  }
  t.equal(buggyAddressCount(range('2001:db8::/120')), 0n, 'IPv6 has none');
});

t.test('capacity: a /23 with avoidBuggyIps holds 508 addresses, without it 512', async (t) => {
  t.equal(makePool(['192.168.10.0/23'], true).capacity('IPv4'), 508n);
  t.equal(makePool(['192.168.10.0/23'], false).capacity('IPv4'), 512n);
  t.equal(makePool(['192.168.10.0/23'], true).capacity('IPv6'), 0n);
  t.equal(makePool(['2001:db8::/64', '10.0.0.0/30'], true).capacity('IPv6'), 2n ** 64n, 'avoidBuggyIps never touches IPv6');
  t.equal(makePool(['2001:db8::/64', '10.0.0.0/30'], true).capacity('IPv4'), 3n);
});

t.test('firstAvailable: ascending, skips blocked and (with avoidBuggyIps) .0/.255 addresses', async (t) => {
  const p = makePool(['10.0.1.0/24', '10.0.0.254-10.0.0.255'], true);
  const used = new Set<bigint>();
  const take = (): string => {
    const value = p.firstAvailable('IPv4', (v) => used.has(v));
    if (value === undefined) return 'none';
    used.add(value);
    return formatAddress({ family: 'IPv4', value });
  };
  t.equal(take(), '10.0.0.254', 'ranges are walked in ascending order whatever the config order');
  t.equal(take(), '10.0.1.1', '10.0.0.255 and 10.0.1.0 are skipped');
  t.equal(take(), '10.0.1.2');
  t.equal(p.firstAvailable('IPv6', () => false), undefined, 'no IPv6 range');
  t.ok(p.contains(address('10.0.1.0')), 'contains ignores avoidBuggyIps');
  t.notOk(p.isUsable(address('10.0.1.0')), 'but it is not usable');
  t.notOk(p.contains(address('10.0.2.0')));
});

t.test('an IPv6 /64 is searched without enumeration', async (t) => {
  const p = makePool(['2001:db8::/64']);
  const used = new Set<bigint>();
  let calls = 0;
  const start = performance.now();
  for (let i = 0; i < 200; i++) {
    const value = p.firstAvailable('IPv6', (v) => {
      calls++;
      return used.has(v);
    });
    if (value === undefined) throw new Error('pool empty');
    used.add(value);
  }
  t.equal(used.size, 200);
  t.equal(calls, (200 * 201) / 2, 'each search steps only over addresses in use');
  t.ok(performance.now() - start < 2000, 'fast');
  t.ok(p.contains(address('2001:db8::ffff:ffff:ffff:ffff')));
  t.notOk(p.contains(address('2001:db8:0:1::')));
});

t.test('PoolSet: lookup by address, and MetalLB validation', async (t) => {
  const set = PoolSet.fromSpecs([
    { name: 'a', addresses: ['10.0.0.0/24', '2001:db8::/120'], autoAssign: true, avoidBuggyIps: false },
    { name: 'b', addresses: ['10.0.1.10-10.0.1.20'], autoAssign: false, avoidBuggyIps: true },
  ]);
  t.equal(set.poolContaining(address('10.0.0.77'))?.name, 'a');
  t.equal(set.poolContaining(address('2001:db8::ff'))?.name, 'a');
  t.equal(set.poolContaining(address('10.0.1.15'))?.name, 'b');
  t.equal(set.poolContaining(address('10.0.1.21')), undefined);
  t.equal(set.pools.map((p) => p.name).join(','), 'a,b', 'config order kept');

  const error = t.throws(() =>
    PoolSet.fromSpecs([
      { name: 'a', addresses: ['10.0.0.0/16'], autoAssign: true, avoidBuggyIps: false },
      { name: 'b', addresses: ['10.0.5.0/24', 'bogus'], autoAssign: true, avoidBuggyIps: false },
      { name: 'a', addresses: ['10.1.0.0/24', '10.1.0.5-10.1.0.6'], autoAssign: true, avoidBuggyIps: false },
      { name: 'c', addresses: [], autoAssign: true, avoidBuggyIps: false, serviceAllocation: { priority: -1, serviceSelectors: [{ matchExpressions: [{ key: 'x', operator: 'In' }] }] } },
    ]),
  ) as IpamConfigError;
  t.type(error, IpamConfigError);
  t.equal(error.code, 'ERR_IPAM_POOLS_INVALID');
  const paths = error.problems.map((p) => p.path);
  t.same(paths.sort(), [
    'pools[1].addresses[0]',
    'pools[1].addresses[1]',
    'pools[2].addresses[1]',
    'pools[2].name',
    'pools[3].addresses',
    'pools[3].serviceAllocation.priority',
    'pools[3].serviceAllocation.serviceSelectors[0]',
  ]);
  t.match(error.message, /"10\.0\.5\.0\/24" of pool "b" overlaps "10\.0\.0\.0\/16" of pool "a"/);
  t.match(error.message, /duplicate pool name "a"/);
});

import t from 'tap';
import { resolveSelfNextHop } from './next-hop.js';
import type { InterfaceTable } from './next-hop.js';

const base = { netmask: '', mac: '00:00:00:00:00:01', internal: false } as const;
const interfaces: InterfaceTable = {
  lo: [{ ...base, address: '127.0.0.1', family: 'IPv4', cidr: '127.0.0.1/8', internal: true }],
  eth0: [
    { ...base, address: '192.0.2.100', family: 'IPv4', cidr: '192.0.2.100/24' },
    { ...base, address: 'fe80::1', family: 'IPv6', cidr: 'fe80::1/64', scopeid: 2 },
    { ...base, address: '2001:db8::100', family: 'IPv6', cidr: '2001:db8::100/64', scopeid: 0 },
  ],
  eth1: [{ ...base, address: '198.51.100.7', family: 'IPv4', cidr: '198.51.100.7/24' }],
};

t.test('the session address itself for routes of its family', async (t) => {
  t.equal(resolveSelfNextHop('ipv4', '192.0.2.100', interfaces), '192.0.2.100');
  t.equal(resolveSelfNextHop('ipv4', '::ffff:192.0.2.100', interfaces), '192.0.2.100', 'a v4-mapped session address');
  t.equal(resolveSelfNextHop('ipv6', '2001:db8::100', interfaces), '2001:db8::100');
});

t.test('the other family: a global address on the same interface, never a link-local one', async (t) => {
  t.equal(resolveSelfNextHop('ipv6', '192.0.2.100', interfaces), '2001:db8::100');
  t.equal(resolveSelfNextHop('ipv4', '2001:db8::100', interfaces), '192.0.2.100');
  t.equal(resolveSelfNextHop('ipv6', '198.51.100.7', interfaces), undefined, 'eth1 has no IPv6 address: nothing, not another interface\'s');
  const linkLocalOnly: InterfaceTable = { eth0: [interfaces['eth0']![0]!, interfaces['eth0']![1]!] };
  t.equal(resolveSelfNextHop('ipv6', '192.0.2.100', linkLocalOnly), undefined, 'fe80:: does not qualify (RFC 2545)');
});

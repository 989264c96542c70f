import t from 'tap';
import { allocateAll, parseServices } from './dry-run.js';
import { IpamConfigError } from './errors.js';
import { lbService, pool } from './test-helpers/service.js';

const POOLS = [
  pool('default', ['192.168.10.0/30'], { avoidBuggyIps: true }),
  pool('reserved', ['192.168.20.0/24', '2001:db8:20::/64'], { autoAssign: false }),
];

const SERVICES = `
apiVersion: v1
kind: List
items:
- kind: Service
  metadata: { name: web, namespace: shop, creationTimestamp: "2024-01-01T00:00:05Z" }
  spec: { type: LoadBalancer, ports: [{ port: 80 }] }
- kind: Service
  metadata: { name: api, namespace: shop, creationTimestamp: "2024-01-01T00:00:01Z" }
  spec: { type: LoadBalancer, ports: [{ port: 443 }] }
  status: { loadBalancer: { ingress: [{ ip: 192.168.10.2 }] } }
- kind: Service
  metadata: { name: internal, namespace: shop }
  spec: { ports: [{ port: 5432 }] }
- kind: Service
  metadata:
    name: dual
    namespace: core
    annotations: { metallb.io/address-pool: reserved }
  spec: { type: LoadBalancer, ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6] }
- kind: Service
  metadata: { name: late, namespace: shop, creationTimestamp: "2024-01-01T00:00:09Z" }
  spec: { type: LoadBalancer }
- kind: Service
  metadata: { name: stale, namespace: shop, creationTimestamp: "2024-01-01T00:00:02Z" }
  spec: { type: LoadBalancer }
  status: { loadBalancer: { ingress: [{ ip: 10.99.0.1 }] } }
`;

t.test('restore, then allocate in batch order; entries in input order', async (t) => {
  const entries = allocateAll(POOLS, parseServices(SERVICES));
  t.same(
    entries.map((e) => ({ namespace: e.namespace, name: e.name, ...('ips' in e ? { ips: e.ips, pool: e.pool } : { reason: e.error.reason }) })),
    [
      // 192.168.10.0 is avoided; api keeps .2; then oldest first: stale (t=2, its 10.99.0.1 is in no
      // pool) gets .1, web (t=5) .3, and late (t=9) finds the pool full.
      { namespace: 'shop', name: 'web', ips: ['192.168.10.3'], pool: 'default' },
      { namespace: 'shop', name: 'api', ips: ['192.168.10.2'], pool: 'default' },
      { namespace: 'shop', name: 'internal', reason: 'not-ours' },
      { namespace: 'core', name: 'dual', ips: ['192.168.20.0', '2001:db8:20::'], pool: 'reserved' },
      { namespace: 'shop', name: 'late', reason: 'pool-exhausted' },
      { namespace: 'shop', name: 'stale', ips: ['192.168.10.1'], pool: 'default' },
    ],
  );
  const stale = entries.find((e) => e.name === 'stale');
  t.match(stale?.warnings, [/status address 10\.99\.0\.1 not kept \(ip-not-in-pool\)/]);
  const late = entries.find((e) => e.name === 'late');
  t.match(late && 'error' in late ? late.error.message : '', /pool "default" 3 of 3 IPv4 in use/, 'the message names the pool');
  t.equal(late?.warnings, undefined, 'no warnings when there is nothing to say');
});

t.test('duplicates, foreign classes and bad pools', async (t) => {
  const entries = allocateAll([pool('p', ['10.0.0.0/30'])], [lbService('a'), lbService('a'), lbService('b', { loadBalancerClass: 'x/y' })], { loadBalancerClass: 'x/y' });
  t.same(entries.map((e) => ('ips' in e ? e.ips.join(',') : e.error.reason)), ['not-ours', 'invalid-request', '10.0.0.0']);
  t.throws(() => allocateAll([pool('p', ['10.0.0.0/33'])], []), IpamConfigError);
});

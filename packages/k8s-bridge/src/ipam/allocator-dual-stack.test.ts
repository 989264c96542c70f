import t from 'tap';
import { Allocator } from './allocator.js';
import { lbService, pool } from './test-helpers/service.js';
import { isAllocated } from './types.js';
import type { AllocationResult } from './types.js';

function show(result: AllocationResult): string {
  return isAllocated(result) ? `${result.pool}: ${result.ips.join(',')}` : `${result.error.reason}: ${result.error.message}`;
}

t.test('RequireDualStack from a pool holding both families gets one address of each', async (t) => {
  const a = new Allocator([pool('v4only', ['10.0.0.0/30']), pool('dual', ['10.1.0.0/30', '2001:db8::/126'])]);
  t.equal(show(a.allocate(lbService('ds', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }))), 'dual: 10.1.0.0,2001:db8::');
  t.equal(
    show(a.allocate(lbService('ds6', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] }))),
    'dual: 2001:db8::1,10.1.0.1',
    'primary family first',
  );
  t.equal(show(a.allocate(lbService('v4'))), 'v4only: 10.0.0.0', 'SingleStack IPv4 takes the first pool with IPv4');
  t.equal(show(a.allocate(lbService('v6', { ipFamilies: ['IPv6'] }))), 'dual: 2001:db8::2', 'SingleStack IPv6');
  t.same(a.poolStats().find((p) => p.name === 'dual')?.inUse, { IPv4: 2, IPv6: 3 });
});

t.test('RequireDualStack with only IPv4 pools is an error; PreferDualStack settles for one', async (t) => {
  const a = new Allocator([pool('v4', ['10.0.0.0/30']), pool('v6', ['2001:db8::/126'])]);
  const required = a.allocate(lbService('req', { ipFamilyPolicy: 'RequireDualStack' }));
  t.equal(isAllocated(required) ? 'allocated' : required.error.reason, 'no-pool-for-family', 'families in two pools do not make a dual-stack pool');
  t.match(show(required), /needs an IPv4 and an IPv6 address from one pool/);
  t.equal(show(a.allocate(lbService('pref', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] }))), 'v6: 2001:db8::', 'primary family preferred');
  t.equal(show(a.allocate(lbService('pref4', { ipFamilyPolicy: 'PreferDualStack' }))), 'v4: 10.0.0.0');
  const v4only = new Allocator([pool('v4', ['10.0.0.0/30']), pool('v4b', ['10.0.1.0/30'])]);
  t.match(
    show(v4only.allocate(lbService('req', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] }))),
    /^no-pool-for-family: .*no pool it may use has that \("v4", "v4b"\)/,
    'only IPv4 pools: RequireDualStack is refused',
  );
  t.match(show(v4only.allocate(lbService('six', { ipFamilies: ['IPv6'] }))), /^no-pool-for-family: .*needs an IPv6 address/);
});

t.test('PreferDualStack in a pool that has both takes both; later gains a missing family', async (t) => {
  const a = new Allocator([pool('dual', ['10.0.0.0/32', '2001:db8::/127'])]);
  t.equal(show(a.allocate(lbService('both', { ipFamilyPolicy: 'PreferDualStack' }))), 'dual: 10.0.0.0,2001:db8::');
  t.equal(show(a.allocate(lbService('six-only', { ipFamilyPolicy: 'PreferDualStack' }))), 'dual: 2001:db8::1', 'IPv4 is full: one IPv6 address');
  a.release('default', 'both');
  t.equal(show(a.allocate(lbService('six-only', { ipFamilyPolicy: 'PreferDualStack' }))), 'dual: 10.0.0.0,2001:db8::1', 'gains IPv4 on the next pass, keeps its IPv6');
});

t.test('dual-stack requested addresses (metallb.io/loadBalancerIPs with two addresses)', async (t) => {
  const a = new Allocator([pool('dual', ['10.0.0.0/24', '2001:db8::/64'])]);
  const annotations = { 'metallb.io/loadBalancerIPs': '2001:db8::10, 10.0.0.10' };
  t.equal(show(a.allocate(lbService('ds', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], annotations }))), 'dual: 10.0.0.10,2001:db8::10');
  t.match(show(a.allocate(lbService('single', { annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.11,2001:db8::11' } }))), /^invalid-request: .*two addresses for a SingleStack Service/);
  t.match(show(a.allocate(lbService('one', { ipFamilyPolicy: 'RequireDualStack', loadBalancerIP: '10.0.0.12' }))), /^invalid-request: .*RequireDualStack/);
  const split = new Allocator([pool('v4', ['10.0.0.0/24']), pool('v6', ['2001:db8::/64'])]);
  t.match(
    show(split.allocate(lbService('ds', { ipFamilyPolicy: 'RequireDualStack', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.1,2001:db8::1' } }))),
    /^requested-ip-not-in-pool: .*in different pools \("v4", "v6"\)/,
  );
});

t.test('families come from clusterIPs when ipFamilies is absent', async (t) => {
  const a = new Allocator([pool('dual', ['10.0.0.0/30', '2001:db8::/126'])]);
  const service = lbService('from-cluster-ips');
  const withClusterIp = { ...service, spec: { ...service.spec, clusterIPs: ['fd00::10'] } };
  t.equal(show(a.allocate(withClusterIp)), 'dual: 2001:db8::');
});

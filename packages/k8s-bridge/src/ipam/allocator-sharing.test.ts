import t from 'tap';
import { Allocator } from './allocator.js';
import { lbService, pool } from './test-helpers/service.js';
import { isAllocated } from './types.js';
import type { ServiceOptions } from './test-helpers/service.js';
import type { AllocationResult } from './types.js';

const SHARE = { 'metallb.io/allow-shared-ip': 'web' };

function shared(name: string, options: ServiceOptions = {}): ReturnType<typeof lbService> {
  return lbService(name, { ...options, annotations: { ...SHARE, ...(options.annotations ?? {}) } });
}

function ips(result: AllocationResult): string {
  return isAllocated(result) ? result.ips.join(',') : `${result.error.reason}: ${result.error.message}`;
}

function reason(result: AllocationResult): string {
  return isAllocated(result) ? `allocated ${result.ips.join(',')}` : result.error.reason;
}

t.test('same key, different ports: one address (requested and automatic)', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/29'])]);
  t.equal(ips(a.allocate(shared('http', { ports: [{ port: 80 }] }))), '10.0.0.0');
  t.equal(ips(a.allocate(shared('https', { ports: [{ port: 443 }] }))), '10.0.0.0', 'automatic allocation joins the compatible address');
  t.equal(ips(a.allocate(shared('dns', { ports: [{ port: 80, protocol: 'UDP' }], loadBalancerIP: '10.0.0.0' }))), '10.0.0.0', 'UDP/80 does not clash with TCP/80');
  t.equal(ips(a.allocate(lbService('loner'))), '10.0.0.1', 'a Service without the key gets its own address');
  t.same(a.poolStats()[0]?.inUse, { IPv4: 2, IPv6: 0 }, 'a shared address counts once');

  // The address stays while any sharer holds it.
  a.release('default', 'http');
  t.equal(ips(a.allocate(lbService('after-one-release'))), '10.0.0.2', 'still held by the other sharers');
  a.release('default', 'https');
  a.release('default', 'dns');
  t.equal(ips(a.allocate(lbService('after-all'))), '10.0.0.0', 'free once the last sharer leaves');
});

t.test('clashing ports are refused with the port named', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/29'])]);
  t.equal(ips(a.allocate(shared('one', { ports: [{ port: 80 }, { port: 443 }] }))), '10.0.0.0');
  const clash = a.allocate(shared('two', { ports: [{ port: 443 }], loadBalancerIP: '10.0.0.0' }));
  t.equal(reason(clash), 'sharing-conflict');
  t.match(ips(clash), /port TCP\/443 on 10\.0\.0\.0 is already used by default\/one/);
  t.equal(ips(a.allocate(shared('three', { ports: [{ port: 443 }] }))), '10.0.0.1', 'automatic allocation moves on to a free address');
});

t.test('externalTrafficPolicy Local: sharing only with the same selector', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/29'])]);
  const local = (name: string, port: number, selector: Record<string, string>, loadBalancerIP?: string): ReturnType<typeof lbService> =>
    shared(name, { ports: [{ port }], externalTrafficPolicy: 'Local', selector, ...(loadBalancerIP ? { loadBalancerIP } : {}) });
  t.equal(ips(a.allocate(local('a', 80, { app: 'web' }))), '10.0.0.0');
  t.equal(ips(a.allocate(local('b', 443, { app: 'web' }, '10.0.0.0'))), '10.0.0.0', 'same selector: shared');
  const different = a.allocate(local('c', 8080, { app: 'api' }, '10.0.0.0'));
  t.equal(reason(different), 'sharing-conflict');
  t.match(ips(different), /selector \{app=web\}.*selector \{app=api\}/);
  const cluster = a.allocate(shared('d', { ports: [{ port: 9090 }], loadBalancerIP: '10.0.0.0' }));
  t.equal(reason(cluster), 'sharing-conflict', 'Cluster and Local do not share (MetalLB backend key)');
  t.match(ips(cluster), /externalTrafficPolicy Cluster/);
  t.equal(ips(a.allocate(local('e', 8080, { app: 'api' }))), '10.0.0.1', 'automatic: a Local Service with other pods gets its own address');
});

t.test('keys must match; a holder without a key does not share', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/29'])]);
  t.equal(ips(a.allocate(lbService('private'))), '10.0.0.0');
  const intoPrivate = a.allocate(shared('wants-in', { ports: [{ port: 8443 }], loadBalancerIP: '10.0.0.0' }));
  t.equal(reason(intoPrivate), 'requested-ip-in-use');
  t.match(ips(intoPrivate), /in use by default\/private, which does not allow sharing/);
  t.equal(ips(a.allocate(shared('keyed', { ports: [{ port: 80 }] }))), '10.0.0.1');
  const otherKey = a.allocate(lbService('other-key', { ports: [{ port: 81 }], loadBalancerIP: '10.0.0.1', annotations: { 'metallb.io/allow-shared-ip': 'api' } }));
  t.equal(reason(otherKey), 'sharing-conflict');
  t.match(ips(otherKey), /shared under key "web" by default\/keyed, not "api"/);
  const deprecated = a.allocate(lbService('old-key', { ports: [{ port: 82 }], loadBalancerIP: '10.0.0.1', annotations: { 'metallb.universe.tf/allow-shared-ip': 'web' } }));
  t.equal(ips(deprecated), '10.0.0.1', 'the metallb.universe.tf/ key works too');
});

t.test('a sharer that changes its ports into a clash moves to another address', async (t) => {
  const a = new Allocator([pool('p', ['10.0.0.0/29'])]);
  t.equal(ips(a.allocate(shared('one', { ports: [{ port: 80 }] }))), '10.0.0.0');
  t.equal(ips(a.allocate(shared('two', { ports: [{ port: 81 }] }))), '10.0.0.0');
  t.equal(ips(a.allocate(shared('two', { ports: [{ port: 80 }] }))), '10.0.0.1', 'no longer compatible: reallocated');
  t.equal(ips(a.allocate(shared('one', { ports: [{ port: 80 }, { port: 9000 }] }))), '10.0.0.0', 'a Service alone on its address may change freely');
});

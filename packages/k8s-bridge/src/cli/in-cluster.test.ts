/**
 * `k8s-bridge controller` and `k8s-bridge speaker` as an operator runs them: the built binary
 * (run `pnpm build` first) with --kubeconfig pointing at the test API server, stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually, startApiServer } from '../kube/test-helpers/api-server.js';
import { startLoopbackRouter } from '../kube/test-helpers/router.js';
import { controller } from './controller.js';
import { speaker } from './speaker.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/k8s-bridge.js');
const DIST_MAIN = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js');
const WAIT_MS = 10_000;
const ROUTER = { address: '127.0.0.83', asn: 64513 };
const NODE = { address: '127.0.0.84', asn: 64512 };
const PORT = 10_000 + Math.floor(Math.random() * 6000);

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
}

function run(t: { teardown(fn: () => unknown): void }, args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POD_NAME: 'controller-pod-1' } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output };
}

async function stopWithSigterm(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.kill('SIGTERM');
  const [code] = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 5 s')), 5000))]);
  return { code, ms: Date.now() - started };
}

t.test('usage errors are exit 2, before anything is contacted', async (t) => {
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    t.equal(await controller(['--bogus']), 2);
    t.equal(await speaker(['--kubeconfig', '/nonexistent']), 2, '--node-name is required');
    t.equal(await speaker(['--node-name']), 2);
  } finally {
    process.stderr.write = write;
  }
  t.match(stderr.join(''), /usage: k8s-bridge controller/);
  t.match(stderr.join(''), /--node-name is required/);
});

t.test('k8s-bridge controller --kubeconfig: allocates, then SIGTERM releases the Lease and exits 0', async (t) => {
  t.ok(existsSync(DIST_MAIN), `${DIST_MAIN} exists (run pnpm build first)`);
  const { server } = await startApiServer(t);
  const dir = await mkdtemp(join(tmpdir(), 'k8s-bridge-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfig);
  server.create('metallb.io/ipaddresspools', { metadata: { name: 'main', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/29'] } });
  server.create('services', { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });

  const { child, output } = run(t, ['controller', '--kubeconfig', kubeconfig]);
  await eventually(
    'web is allocated',
    () => ((server.get('services', 'web')?.['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress ?? []).length === 1,
    WAIT_MS,
  );
  const lease = () => (server.get('coordination.k8s.io/leases', 'metallb-ts-controller', 'metallb-system')?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;
  t.equal(lease(), 'controller-pod-1', 'the Lease names the pod');
  const { code, ms } = await stopWithSigterm(child);
  t.equal(code, 0, code === 0 ? 'exit status 0' : output());
  t.ok(ms < 2000, `exited in ${ms} ms`);
  t.equal(lease(), '', 'the Lease was released for a successor');
});

t.test('k8s-bridge speaker --config FILE: the router receives the route; SIGTERM exits 0', async (t) => {
  t.ok(existsSync(DIST_MAIN), `${DIST_MAIN} exists (run pnpm build first)`);
  const { server } = await startApiServer(t);
  const dir = await mkdtemp(join(tmpdir(), 'k8s-bridge-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfig);
  const config = join(dir, 'metallb.yaml');
  await writeFile(
    config,
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: public, namespace: metallb-system }
spec: { addresses: [203.0.113.0/28] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: ${NODE.asn}, peerASN: ${ROUTER.asn}, peerAddress: ${ROUTER.address}, peerPort: ${PORT}, sourceAddress: ${NODE.address}, connectTime: 1s }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: all, namespace: metallb-system }
`,
  );
  server.create('nodes', { metadata: { name: 'node-x' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.84' }] } });
  server.create('services', {
    metadata: { name: 'web', namespace: 'default', annotations: { 'metallb.io/ip-allocated-from-pool': 'public' } },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.5' }] } },
  });
  server.create('discovery.k8s.io/endpointslices', {
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'node-x' }],
  });
  const router = await startLoopbackRouter(t, { address: ROUTER.address, asn: ROUTER.asn, routerId: '10.0.0.83', port: PORT, peer: NODE });

  const control = join(dir, 'control.sock');
  const { child, output } = run(t, ['speaker', '--node-name', 'node-x', '--kubeconfig', kubeconfig, '--config', config, '--control', control]);
  await eventually('the router has the route', () => router.receivedRoutes(NODE.address).some((r) => r.prefix === '203.0.113.5/32'), WAIT_MS);
  t.ok(existsSync(control), 'the control socket is served');
  const { code, ms } = await stopWithSigterm(child);
  t.equal(code, 0, code === 0 ? 'exit status 0' : output());
  t.ok(ms < 2500, `exited in ${ms} ms`);
  await eventually('the session ended', () => router.neighbors()[0]?.state !== 'Established', WAIT_MS);
});

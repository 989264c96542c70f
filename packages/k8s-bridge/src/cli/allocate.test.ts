/** `k8s-bridge allocate` on the seed's additional-pools configuration and a Services file. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { allocate } from './allocate.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/k8s-bridge');

async function run(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await allocate(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

t.test('a dry run gives each Service its address and pool, or says why not', async (t) => {
  const result = await run(['--config', join(FIXTURES, 'kubespray-additional-pools.yaml'), '--services', join(FIXTURES, 'services.yaml'), '--json']);
  t.equal(result.code, 0, result.stderr);
  const entries = JSON.parse(result.stdout) as { namespace: string; name: string; ips?: string[]; pool?: string; error?: { reason: string } }[];
  const byName = new Map(entries.map((entry) => [`${entry.namespace}/${entry.name}`, entry]));
  t.same(byName.get('default/api'), { namespace: 'default', name: 'api', ips: ['10.5.0.10'], pool: 'loadbalanced' }, 'the requested address');
  t.equal(byName.get('default/web')?.pool, 'loadbalanced', 'the auto-assigned pool');
  t.match(byName.get('default/web')?.ips?.[0], /^10\.5\./);
  t.equal(byName.get('shop/checkout')?.pool, 'kube_service_pool_1', 'a pool with auto_assign false, because the Service asks for it');
  t.match(byName.get('shop/checkout')?.ips?.[0], /^10\.6\./);
  t.equal(byName.get('default/internal')?.error?.reason, 'not-ours', 'a ClusterIP Service is not ours');
  t.same(byName.get('dns/dns-tcp')?.ips, ['10.5.0.53']);
  t.same(byName.get('dns/dns-udp')?.ips, ['10.5.0.53'], 'TCP and UDP on port 53 share one address');
  const ips = entries.flatMap((entry) => entry.ips ?? []);
  t.equal(new Set(ips).size, ips.length - 1, 'no address handed out twice (but the shared one)');
});

t.test('readable output, and errors', async (t) => {
  const readable = await run(['--config', join(FIXTURES, 'kubespray-additional-pools.yaml'), '--services', join(FIXTURES, 'services.yaml')]);
  t.match(readable.stdout, /default\/api: 10\.5\.0\.10 \(pool loadbalanced\)/);
  t.match(readable.stdout, /default\/internal: pending: /);
  t.equal((await run(['--config', join(FIXTURES, 'kubespray-additional-pools.yaml')])).code, 2, 'usage');
  const missing = await run(['--config', join(FIXTURES, 'does-not-exist.yaml'), '--services', join(FIXTURES, 'services.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /does-not-exist\.yaml/);
});

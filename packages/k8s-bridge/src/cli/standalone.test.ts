/**
 * The seed's Calico case: metallb_speaker_enabled false. standalone allocates and announces
 * nothing, and says so. (No peer is configured, so nothing leaves the host.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../../bin/k8s-bridge.js');
const FIXTURES = resolve(HERE, '../../../../fixtures/k8s-bridge');

t.test('speaker disabled: allocation only, announced nothing, exit 0 on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-bridge-standalone-'));
  const cluster = join(dir, 'cluster.json');
  writeFileSync(
    cluster,
    JSON.stringify({
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } },
      ],
    }),
  );
  const child = spawn(
    process.execPath,
    [BIN, 'standalone', '--config', join(FIXTURES, 'kubespray-calico-speaker-disabled.yaml'), '--services', cluster, '--node-name', 'node-a', '--router-id', '192.0.2.100', '--control', join(dir, 'c.sock')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BGP_SPEAKER_LOG_LEVEL: 'info' } },
  );
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const deadline = Date.now() + 10_000;
  while (!output.includes('k8s-bridge standalone running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.match(output, /the speaker is disabled \(metallb_speaker_enabled: false\): allocating only, announcing nothing/);
  t.match(output, /"name":"web","ips":\["10\.5\.0\.\d+"\],"pool":"loadbalanced","msg":"allocated"/, 'the Service got its address');
  t.match(output, /"announced":\[\]/, 'nothing announced');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0');
});

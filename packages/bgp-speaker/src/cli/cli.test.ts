/** The bgp-speaker binary's failure paths, run as a user would run them. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/bgp-speaker.js');

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, stdout, stderr });
    });
  });
}

t.test('run with a broken config: exit 1, the key and the reason, no secret, nothing started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-speaker-cli-'));
  const config = join(dir, 'bad.yaml');
  const control = join(dir, 'control.sock');
  writeFileSync(config, 'asn: 4200000000\nrouterId: 192.0.2.100\npeers:\n  - { address: 192.0.2.1, asn: 64512, holdTime: 2, password: s3cret-value }\n');
  const result = await runCli(['run', '--config', config, '--control', control]);
  t.equal(result.code, 1);
  t.match(result.stderr, /peers\[0\]\.holdTime: must be 0 or at least 3 seconds/);
  t.notMatch(result.stdout + result.stderr, 's3cret-value', 'the password is not printed');
  t.notOk(existsSync(control), 'no control socket was created');
});

t.test('neighbors without a running speaker: a clear error', async (t) => {
  const result = await runCli(['neighbors', '--json', '--control', join(tmpdir(), 'no-such-speaker.sock')]);
  t.equal(result.code, 1);
  t.match(result.stderr, /cannot reach the control socket .*ENOENT.*is `bgp-speaker run` running/);
});

t.test('unknown commands and options are usage errors (exit 2)', async (t) => {
  t.equal((await runCli(['frobnicate'])).code, 2);
  const bad = await runCli(['routes', '--recieved', '192.0.2.1']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /usage:/);
});

t.test('run: /metrics under MetalLB names, and SIGTERM exits 0 within 2 seconds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-speaker-run-'));
  const config = join(dir, 'speaker.yaml');
  const control = join(dir, 'control.sock');
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    config,
    `asn: 4200000000\nrouterId: 192.0.2.100\nmetrics: { address: 127.0.0.1, port: ${port} }\npeers:\n  - { address: 127.0.0.71, asn: 64512, sourceAddress: 127.0.0.1, connectRetryTime: 1 }\n`,
  );
  const child = spawn(process.execPath, [BIN, 'run', '--config', config, '--control', control], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let body = '';
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      body = await response.text();
      if (response.ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  t.match(body, /# TYPE metallb_bgp_session_up gauge/);
  t.match(body, /metallb_bgp_session_up\{peer="127\.0\.0\.71:179"\} 0/, 'the peer is down');
  t.match(body, /metallb_bgp_opens_sent\{peer="127\.0\.0\.71:179"\} 0/);
  t.match(body, /process_resident_memory_bytes/);

  const started = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  const took = Date.now() - started;
  t.equal(code, 0, 'exit 0');
  t.ok(took < 2000, `exited ${took} ms after SIGTERM`);
  t.notOk(existsSync(control), 'the control socket is removed');
});

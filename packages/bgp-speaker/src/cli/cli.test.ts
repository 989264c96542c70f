/** The bgp-speaker binary's failure paths, run as a user would run them. */
import { execFile } from 'node:child_process';
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

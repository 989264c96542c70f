/** The README's library example runs as written, against the built packages. */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

t.test('the library example of the README', async (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const example = /## As a library[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  t.ok(example, 'the README has a js example under "As a library"');
  // Written inside the repository so that `import 'bgp-speaker'` resolves like it does for a user.
  const dir = join(REPO, '.build', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'example.mjs');
  writeFileSync(file, example ?? '');
  const output = await new Promise<string>((done, fail) => {
    execFile(process.execPath, [file], { timeout: 30_000, env: { ...process.env, BGP_SPEAKER_LOG_LEVEL: 'silent' } }, (error, stdout, stderr) =>
      error === null ? done(stdout) : fail(new Error(`${error.message}\n${stderr}`)),
    );
  });
  t.match(output, /router received \[ '10\.5\.0\.1\/32' \]/);
  t.match(output, /10\.5\.0\.1\/32 via 127\.0\.0\.51 AS path 4200000000 \[ '64512:100' \]/);
});

#!/usr/bin/env node
// Builds a package's native addon (binding.gyp -> build/Release/<target>.node) with the
// node-gyp from this package's node_modules, against the Node.js headers installed next to
// the running node (e.g. /usr/include/node for /usr/bin/node), so nothing is downloaded.
//
// Needs python3, make and a C++ compiler. Exits non-zero with a clear message otherwise.
// NATIVE_ADDON_NODEDIR=<dir> overrides the header directory (<dir>/include/node/node_api.h).
//
// Usage, from a package's build script (the package is the current directory):
//   node ../../scripts/build-native-addon.mjs TARGET EXPORT
// TARGET is binding.gyp's target name, EXPORT a function the built addon must export (checked by
// loading it once). Used by bgp-core (tcp_md5, setKey) and l2-announcer (packet_socket, PacketSocket).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';

const [target, requiredExport] = process.argv.slice(2);
if (target === undefined || requiredExport === undefined) {
  process.stderr.write('usage: node build-native-addon.mjs TARGET EXPORT (run in the package folder)\n');
  process.exit(2);
}
const packageRoot = process.cwd();
if (!existsSync(join(packageRoot, 'binding.gyp'))) {
  process.stderr.write(`build-addon: ERROR: no binding.gyp in ${packageRoot}: run this from the package folder.\n`);
  process.exit(1);
}
const addonPath = join(packageRoot, 'build', 'Release', `${target}.node`);

function fail(message, hint) {
  process.stderr.write(`build-addon: ERROR: ${message}\n`);
  if (hint) process.stderr.write(`build-addon: ${hint}\n`);
  process.stderr.write(`build-addon: the ${target} addon was NOT built.\n`);
  process.exit(1);
}

function findNodeDir() {
  const override = process.env.NATIVE_ADDON_NODEDIR;
  const candidate = override ? resolve(override) : resolve(dirname(process.execPath), '..');
  const header = join(candidate, 'include', 'node', 'node_api.h');
  if (!existsSync(header)) {
    fail(
      `Node.js headers not found: ${header} does not exist.`,
      override
        ? 'NATIVE_ADDON_NODEDIR must be a directory holding include/node/node_api.h.'
        : `Install the headers that match ${process.execPath} (${process.version}), e.g. Debian's ` +
            'nodejs/libnode-dev package, or set NATIVE_ADDON_NODEDIR=<dir with include/node>.',
    );
  }
  return candidate;
}

function findNodeGyp() {
  const require = createRequire(join(packageRoot, 'package.json'));
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return fail(
      'node-gyp is not installed in this package (devDependency node-gyp).',
      'Run the workspace install first.',
    );
  }
}

function checkTool(command, args, what) {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    fail(`${what} (${command}) not found or not working.`, 'node-gyp needs python3, make and g++.');
  }
}

if (process.platform === 'win32') {
  fail('building on Windows is not supported (the addons use Linux socket options: TCP_MD5SIG, AF_PACKET).');
}

const nodeDir = findNodeDir();
const nodeGyp = findNodeGyp();
checkTool('python3', ['--version'], 'Python 3');
checkTool('make', ['--version'], 'make');

// binding.gyp evaluates `node -p ...`: make sure that is the node running this script.
const env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  npm_config_python: process.env.npm_config_python ?? 'python3',
};

process.stdout.write(`build-addon: node-gyp rebuild --nodedir=${nodeDir} (${process.version})\n`);
const result = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '--loglevel=warn'],
  { cwd: packageRoot, env, stdio: 'inherit' },
);
if (result.error) fail(`could not run node-gyp: ${result.error.message}`);
if (result.status !== 0) {
  fail(
    `node-gyp exited with ${result.status ?? `signal ${result.signal}`}.`,
    'See the compiler output above.',
  );
}
if (!existsSync(addonPath)) fail(`node-gyp succeeded but ${addonPath} is missing.`);

// Load it once, so a broken binary fails the build rather than its first use.
try {
  const addon = createRequire(import.meta.url)(addonPath);
  if (typeof addon[requiredExport] !== 'function') throw new Error(`${requiredExport} is missing`);
} catch (err) {
  fail(`the built addon does not load: ${err instanceof Error ? err.message : String(err)}`);
}
process.stdout.write(`build-addon: built ${addonPath}\n`);

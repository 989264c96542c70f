import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { parseConfig } from '../config/index.js';
import type { SpeakerConfig } from '../config/index.js';
import type { ConfigDiff } from '../config/diff.js';
import { watchConfig } from './reload.js';
import type { ConfigWatcher, WatchConfigOptions } from './reload.js';

const SECRET = 'Sup3r-Secret-Key';
const NEW_SECRET = 'N3w-Secret-Key';
const DEBOUNCE_MS = 50;

function configText(options: { asn?: number; password?: string; holdTime?: number | string; announce?: readonly string[] } = {}): string {
  const announce = options.announce ?? ['10.5.0.1/32'];
  return `
asn: ${options.asn ?? 4200000000}
routerId: 192.0.2.100
peers:
  - address: 192.0.2.1
    asn: 64512
    password: "${options.password ?? SECRET}"
    holdTime: ${options.holdTime ?? 90}
announce:
${announce.map((prefix) => `  - prefix: ${prefix}`).join('\n')}
`;
}

function parse(text: string): SpeakerConfig {
  return parseConfig(text, 'test.yaml');
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface Harness {
  dir: string;
  path: string;
  watcher: ConfigWatcher;
  applied: { next: SpeakerConfig; diff: ConfigDiff }[];
  logText: () => string;
  logLines: () => LogLine[];
  setCurrent: (config: SpeakerConfig) => void;
}

/** A temp dir holding config.yaml, a watcher on it, a fake apply that records its calls, a log in memory. */
function harness(t: Test, options: { text?: string; apply?: WatchConfigOptions['apply']; configDir?: (dir: string) => string } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const text = options.text ?? configText();
  let path = join(dir, 'config.yaml');
  if (options.configDir === undefined) writeFileSync(path, text);
  else path = options.configDir(dir);
  let current = parse(text);
  const applied: Harness['applied'] = [];
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (chunk: string) => void chunks.push(chunk) });
  const watcher = watchConfig({
    path,
    current: () => current,
    apply:
      options.apply ??
      (async (next, diff) => {
        applied.push({ next, diff });
        current = next;
      }),
    logger,
    debounceMs: DEBOUNCE_MS,
  });
  t.teardown(() => watcher.close());
  return {
    dir,
    path,
    watcher,
    applied,
    logText: () => chunks.join(''),
    logLines: () => chunks.join('').trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LogLine),
    setCurrent: (config) => {
      current = config;
    },
  };
}

/** Polls until `condition` holds; bounded, so a missing event fails the test instead of hanging it. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Long enough for any further debounced reload to have fired. */
const settle = () => sleep(DEBOUNCE_MS * 6);

t.test('writing a changed file triggers one apply with the right diff, and no password is logged', async (t) => {
  const h = harness(t);
  writeFileSync(h.path, configText({ password: NEW_SECRET, announce: ['10.5.0.1/32', '10.5.0.2/32'] }));
  await waitFor(() => h.applied.length > 0, 'the apply');
  await settle();
  t.equal(h.applied.length, 1, 'one save, one apply');
  const { diff, next } = h.applied[0]!;
  t.same(
    diff.announcementsAdded.map((route) => route.prefix),
    ['10.5.0.2/32'],
  );
  t.same(diff.peersChanged.map((change) => [change.address, change.resetSession, change.changedKeys]), [['192.0.2.1', true, ['password']]]);
  t.equal(next.peers[0]?.password, NEW_SECRET, 'apply gets the new config itself');

  const summary = h.logLines().find((line) => line.msg.startsWith('config reloaded:'));
  t.equal(summary?.msg, 'config reloaded: peers +0 -0 ~1 (1 reset), announcements +1 -0 ~0');
  t.same(summary?.['announcementsAdded'], ['10.5.0.2/32']);
  t.same(summary?.['peersChanged'], [{ address: '192.0.2.1', resetSession: true, changes: ['password changed'] }]);
  t.equal(summary?.['reason'], 'file changed');
  t.notMatch(h.logText(), SECRET);
  t.notMatch(h.logText(), NEW_SECRET);
});

t.test('an invalid file applies nothing and logs the key path at error level', async (t) => {
  const h = harness(t);
  writeFileSync(h.path, configText({ holdTime: 2, password: NEW_SECRET }));
  await waitFor(() => h.logLines().some((line) => line.level === 50), 'the error line');
  await settle();
  t.equal(h.applied.length, 0);
  const error = h.logLines().find((line) => line.level === 50);
  t.match(error?.msg, /peers\[0\]\.holdTime: must be 0 or at least 3 seconds/);
  t.match(error?.['problems'], [{ path: 'peers[0].holdTime' }]);

  const result = await h.watcher.reload('test');
  t.match(result, { outcome: 'invalid', applied: false, problems: [{ path: 'peers[0].holdTime' }] });
  t.equal(h.applied.length, 0);

  // A password of the wrong type is reported without its value.
  writeFileSync(h.path, configText().replace(`"${SECRET}"`, '12345678901'));
  const wrongType = await h.watcher.reload('test');
  t.match(wrongType, { outcome: 'invalid', problems: [{ path: 'peers[0].password' }] });
  t.notMatch(h.logText(), '12345678901');
  t.notMatch(h.logText(), SECRET);
  t.notMatch(h.logText(), NEW_SECRET);
});

t.test('a deleted file keeps the running config', async (t) => {
  const h = harness(t);
  rmSync(h.path);
  const result = await h.watcher.reload('test');
  t.match(result, { outcome: 'invalid', problems: [{ path: '', reason: /cannot read the file \(ENOENT\)/ }] });
  t.equal(h.applied.length, 0);
});

t.test('replacing the file by rename, as editors save, triggers a reload', async (t) => {
  const h = harness(t);
  const temporary = join(h.dir, '.config.yaml.swp');
  writeFileSync(temporary, configText({ announce: ['10.5.0.9/32'] }));
  renameSync(temporary, h.path);
  await waitFor(() => h.applied.length > 0, 'the apply');
  await settle();
  t.equal(h.applied.length, 1);
  t.same(h.applied[0]?.diff.announcementsAdded.map((route) => route.prefix), ['10.5.0.9/32']);
  t.same(h.applied[0]?.diff.announcementsRemoved, ['10.5.0.1/32']);
});

t.test('a Kubernetes ConfigMap update (..data symlink swap) triggers a reload', async (t) => {
  // The kubelet's atomic writer: config.yaml -> ..data/config.yaml, ..data -> a timestamped dir;
  // an update writes a new dir and renames a new symlink over ..data. config.yaml itself never changes.
  const h = harness(t, {
    configDir: (dir) => {
      mkdirSync(join(dir, '..2026_01_01_00_00_00.1'));
      writeFileSync(join(dir, '..2026_01_01_00_00_00.1', 'config.yaml'), configText());
      symlinkSync('..2026_01_01_00_00_00.1', join(dir, '..data'));
      symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
      return join(dir, 'config.yaml');
    },
  });
  mkdirSync(join(h.dir, '..2026_01_01_00_01_00.2'));
  writeFileSync(join(h.dir, '..2026_01_01_00_01_00.2', 'config.yaml'), configText({ announce: ['10.5.0.1/32', '2001:db8::1/128'] }));
  symlinkSync('..2026_01_01_00_01_00.2', join(h.dir, '..data_tmp'));
  renameSync(join(h.dir, '..data_tmp'), join(h.dir, '..data'));
  await waitFor(() => h.applied.length > 0, 'the apply');
  t.same(h.applied[0]?.diff.announcementsAdded.map((route) => route.prefix), ['2001:db8::1/128']);
});

t.test('changes to other files in the directory are ignored', async (t) => {
  const h = harness(t);
  writeFileSync(join(h.dir, 'other.yaml'), configText({ announce: ['10.5.0.7/32'] }));
  writeFileSync(join(h.dir, 'config.yaml~'), 'not: [valid');
  await settle();
  t.equal(h.applied.length, 0);
  t.same(h.logLines().filter((line) => line.msg.startsWith('config ')), [], 'no reload was attempted');
});

t.test('SIGHUP triggers a reload, and close() removes the handler', async (t) => {
  const before = process.listenerCount('SIGHUP');
  const h = harness(t);
  t.equal(process.listenerCount('SIGHUP'), before + 1, 'the handler is installed');
  // The file is untouched (no file event); the running config differs from it, so a reload applies.
  h.setCurrent(parse(configText({ announce: ['10.5.0.1/32', '10.5.0.3/32'] })));
  process.kill(process.pid, 'SIGHUP');
  await waitFor(() => h.applied.length > 0, 'the apply');
  t.same(h.applied[0]?.diff.announcementsRemoved, ['10.5.0.3/32']);
  t.equal(h.logLines().find((line) => line.msg.startsWith('config reloaded:'))?.['reason'], 'SIGHUP');
  h.watcher.close();
  t.equal(process.listenerCount('SIGHUP'), before, 'the handler is removed');
  t.same(await h.watcher.reload('after close'), { outcome: 'closed', applied: false });
});

t.test('aborting the signal closes the watcher', async (t) => {
  const before = process.listenerCount('SIGHUP');
  const controller = new AbortController();
  const watcher = watchConfig({
    path: join(tmpdir(), 'does-not-matter.yaml'),
    current: () => parse(configText()),
    apply: async () => {},
    logger: pino({ level: 'silent' }),
    signal: controller.signal,
  });
  t.teardown(() => watcher.close());
  t.equal(process.listenerCount('SIGHUP'), before + 1);
  controller.abort();
  t.equal(process.listenerCount('SIGHUP'), before);
});

t.test('a change that needs a restart applies nothing, not even the parts that could be applied', async (t) => {
  const h = harness(t);
  writeFileSync(h.path, configText({ asn: 64999, announce: ['10.5.0.1/32', '10.5.0.2/32'] }));
  await waitFor(() => h.logLines().some((line) => line.level === 50), 'the error line');
  t.equal(h.applied.length, 0);
  const error = h.logLines().find((line) => line.level === 50);
  t.match(error?.msg, /asn: 4200000000 -> 64999 cannot change under running sessions; restart bgp-speaker/);
  t.same(error?.['restartRequired'], ['asn: 4200000000 -> 64999']);
  t.same(await h.watcher.reload('test'), { outcome: 'restart-required', applied: false, restartRequired: ['asn: 4200000000 -> 64999'] });
});

t.test('an unchanged file logs "no change" and applies nothing', async (t) => {
  const h = harness(t);
  t.same(await h.watcher.reload('test'), { outcome: 'unchanged', applied: false });
  t.equal(h.applied.length, 0);
  t.ok(h.logLines().some((line) => line.msg === 'config reloaded: no change' && line.level === 30));
});

t.test('reloads never overlap: triggers during an apply run once more after it', async (t) => {
  let active = 0;
  let maxActive = 0;
  let release: () => void = () => {};
  const calls: ConfigDiff[] = [];
  const h = harness(t, {
    apply: async (next, diff) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      calls.push(diff);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      h.setCurrent(next);
      active -= 1;
    },
  });
  writeFileSync(h.path, configText({ announce: ['10.5.0.2/32'] }));
  const first = h.watcher.reload('first');
  await waitFor(() => calls.length === 1, 'the first apply');
  writeFileSync(h.path, configText({ announce: ['10.5.0.3/32'] }));
  const second = h.watcher.reload('second');
  const third = h.watcher.reload('third');
  t.equal(second, third, 'triggers during a run share one follow-up');
  await sleep(DEBOUNCE_MS * 3);
  t.equal(calls.length, 1, 'nothing starts while an apply runs');
  release();
  t.match(await first, { outcome: 'applied' });
  await waitFor(() => calls.length === 2, 'the follow-up apply');
  release();
  const followUp = await second;
  t.match(followUp, { outcome: 'applied' });
  t.same(calls[1]?.announcementsAdded.map((route) => route.prefix), ['10.5.0.3/32'], 'the follow-up reads the file as it is then');
  t.same(calls[1]?.announcementsRemoved, ['10.5.0.2/32'], 'and diffs against what the first run applied');
  t.equal(maxActive, 1);
  const reasons = h.logLines().filter((line) => line.msg.startsWith('config reloaded:')).map((line) => line['reason']);
  t.ok(reasons.includes('first'));
  t.ok(reasons.some((reason) => typeof reason === 'string' && reason.includes('second') && reason.includes('third')), 'the follow-up names both triggers');
  await settle();
  release();
});

t.test('an apply that throws keeps going and reports the failure', async (t) => {
  const h = harness(t, {
    apply: async () => {
      throw new Error('no configured peer 192.0.2.9');
    },
  });
  writeFileSync(h.path, configText({ announce: ['10.5.0.2/32'] }));
  const result = await h.watcher.reload('test');
  t.match(result, { outcome: 'failed', applied: false, error: { message: 'no configured peer 192.0.2.9' } });
  t.ok(h.logLines().some((line) => line.level === 50 && line.msg.includes('no configured peer 192.0.2.9')));
  await settle();
});

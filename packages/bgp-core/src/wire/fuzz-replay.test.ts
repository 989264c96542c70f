/**
 * Replays every crashing input kept in fixtures/fuzz-crashes/ (written by fuzz.test.ts): each must
 * now decode or throw BgpWireError, under every option set.
 */
import { existsSync } from 'node:fs';

import t from 'tap';

import { ALL_OPTION_SETS, CRASH_DIRECTORY, exercise, loadCrashes } from './test-helpers/fuzz-harness.js';

t.test('the crash folder is there with its README', (t) => {
  t.ok(existsSync(new URL('README.md', CRASH_DIRECTORY)), 'fixtures/fuzz-crashes/README.md');
  t.end();
});

t.test('every kept crash input only throws BgpWireError now', (t) => {
  const crashes = loadCrashes();
  t.comment(`${crashes.length} kept inputs`);
  for (const { name, input } of crashes) {
    for (const options of ALL_OPTION_SETS) {
      // Whole, and cut in every chunk position up to 64 so the framer's paths are replayed too.
      const error = exercise(input, options);
      t.equal(error, undefined, `${name} ${JSON.stringify(options)}: ${String(error)}`);
      for (let cut = 1; cut < Math.min(input.length, 64); cut++) {
        const cutError = exercise(input, options, [cut]);
        if (cutError !== undefined) {
          t.fail(`${name} cut at ${cut}: ${String(cutError)}`);
          break;
        }
      }
    }
  }
  t.end();
});

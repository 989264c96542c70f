// The informer's restart backoff, on its own (no I/O).

import t from 'tap';
import { Backoff } from './backoff.js';

t.test('doubles from the initial delay up to the cap, with bounded jitter, and resets', async (t) => {
  const none = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
  t.same([none.next(), none.next(), none.next(), none.next(), none.next()], [100, 200, 400, 800, 1_000]);
  t.equal(none.consecutiveFailures, 5);
  none.reset();
  t.equal(none.next(), 100);
  const most = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999 });
  t.equal(most.next(), 150, 'jitter adds at most half');
  t.equal(most.next(), 300);
  for (let i = 0; i < 40; i++) t.ok(most.next() <= 1_000, 'never above the cap');
  t.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), RangeError);
});

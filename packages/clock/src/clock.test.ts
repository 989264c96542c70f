import t from 'tap';

import { ManualClock, systemClock } from './clock.js';

t.test('ManualClock fires due timers in due order, and only those', (t) => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.setTimer(300, () => fired.push(`c@${clock.now()}`));
  clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
  clock.setTimer(200, () => fired.push(`b@${clock.now()}`));
  t.equal(clock.pending, 3);
  t.equal(clock.nextDueInMs, 100);
  clock.advance(250);
  t.same(fired, ['a@100', 'b@200'], 'now() inside a timer reads its due time');
  t.equal(clock.now(), 250);
  t.equal(clock.pending, 1);
  clock.advance(50);
  t.same(fired, ['a@100', 'b@200', 'c@300'], 'a timer due exactly at the end of the window fires');
  t.equal(clock.pending, 0);
  t.equal(clock.nextDueInMs, undefined);
  t.end();
});

t.test('ManualClock fires timers armed by firing timers within the window', (t) => {
  const clock = new ManualClock(1000);
  const fired: number[] = [];
  const tick = (): void => {
    fired.push(clock.now());
    clock.setTimer(30, tick);
  };
  clock.setTimer(30, tick);
  clock.advance(100);
  t.same(fired, [1030, 1060, 1090]);
  t.equal(clock.pending, 1, 'the next tick is armed for 1120');
  t.equal(clock.nextDueInMs, 20);
  t.end();
});

t.test('ManualClock: same due time fires in arming order; zero delay fires on advance(0)', (t) => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.setTimer(10, () => fired.push('first'));
  clock.setTimer(10, () => fired.push('second'));
  clock.setTimer(0, () => fired.push('now'));
  clock.advance(0);
  t.same(fired, ['now']);
  clock.advance(10);
  t.same(fired, ['now', 'first', 'second']);
  t.end();
});

t.test('ManualClock cancel and refresh', (t) => {
  const clock = new ManualClock();
  let fired = 0;
  const cancelled = clock.setTimer(10, () => fired++);
  cancelled.cancel();
  cancelled.cancel();
  t.equal(clock.pending, 0);
  clock.advance(20);
  t.equal(fired, 0, 'a cancelled timer never fires');

  const refreshed = clock.setTimer(100, () => fired++);
  clock.advance(90);
  refreshed.refresh?.();
  clock.advance(90);
  t.equal(fired, 0, 'refresh restarted the countdown at 90 ms');
  clock.advance(10);
  t.equal(fired, 1, 'and it fires 100 ms after the refresh');
  refreshed.refresh?.();
  t.equal(clock.pending, 1, 'a fired timer can be refreshed again');
  t.end();
});

t.test('ManualClock rejects going backwards and endless zero-delay loops', (t) => {
  const clock = new ManualClock();
  t.throws(() => clock.advance(-1), RangeError);
  const loop = (): void => {
    clock.setTimer(0, loop);
  };
  clock.setTimer(0, loop);
  t.throws(() => clock.advance(1), /re-arming/);
  t.end();
});

t.test('systemClock fires and cancels', async (t) => {
  // systemClock's timers are unref'd: a ref'd timer keeps this test process alive meanwhile.
  const keepAlive = setTimeout(() => {}, 10_000);
  t.teardown(() => clearTimeout(keepAlive));
  const before = systemClock.now();
  await new Promise<void>((resolve) => {
    systemClock.setTimer(5, resolve);
  });
  t.ok(systemClock.now() - before >= 4, 'at least about the delay passed');
  let fired = false;
  const handle = systemClock.setTimer(1, () => {
    fired = true;
  });
  handle.cancel();
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.notOk(fired, 'a cancelled timer never fires');
  t.equal(typeof handle.refresh, 'function');
});

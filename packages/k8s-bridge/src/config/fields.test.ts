import t from 'tap';
import { Checker } from './checker.js';
import { parseDurationSeconds } from './duration.js';
import { checkTimers } from './fields.js';
import { anySelectorMatches, parseLabelSelector, selectorMatches } from './selectors.js';

t.test('durations: Go time.ParseDuration text, whole seconds only', async (t) => {
  t.same(parseDurationSeconds('90s'), { seconds: 90 });
  t.same(parseDurationSeconds('1m30s'), { seconds: 90 });
  t.same(parseDurationSeconds('1.5m'), { seconds: 90 });
  t.same(parseDurationSeconds('2h'), { seconds: 7200 });
  t.same(parseDurationSeconds('1500ms'), { error: '"1500ms" is not a whole number of seconds (BGP timers are in seconds)' });
  t.same(parseDurationSeconds('0'), { seconds: 0 });
  t.same(parseDurationSeconds('3000ms'), { seconds: 3 });
  t.match(parseDurationSeconds('90'), { error: /is not a duration/ });
  t.match(parseDurationSeconds('-5s'), { error: /is not a positive duration/ });
  t.match(parseDurationSeconds('5 s'), { error: /is not a duration/ });
  t.match(parseDurationSeconds('s'), { error: /is not a duration/ });
});

t.test('timers: MetalLB defaulting and RFC 4271 limits', async (t) => {
  const run = (hold?: number, keepalive?: number) => {
    const check = new Checker();
    const result = checkTimers(
      check,
      hold === undefined ? undefined : { value: hold, path: 'hold' },
      keepalive === undefined ? undefined : { value: keepalive, path: 'keepalive' },
    );
    return { result, problems: check.problems };
  };
  t.same(run().result, { holdTime: 90, keepaliveTime: 30 });
  t.same(run(9).result, { holdTime: 9, keepaliveTime: 3 });
  t.same(run(undefined, 20).result, { holdTime: 60, keepaliveTime: 20 });
  t.same(run(0).result, { holdTime: 0, keepaliveTime: 0 });
  t.same(run(3, 1).result, { holdTime: 3, keepaliveTime: 1 });
  t.match(run(2).problems, [{ path: 'hold', reason: /must be 0 or at least 3 seconds/ }]);
  t.match(run(1).problems, [{ path: 'hold' }]);
  t.match(run(90, 90).problems, [{ path: 'keepalive', reason: /must be less than the hold time \(90 s\)/ }]);
  t.match(run(0, 10).problems, [{ path: 'keepalive', reason: /must be 0 when the hold time is 0/ }]);
  t.match(run(70000).problems, [{ path: 'hold', reason: /at most 65535/ }]);
});

t.test('label selectors: parsed with the API rules, matched as Kubernetes does', async (t) => {
  const check = new Checker();
  const selector = parseLabelSelector(
    check,
    {
      matchLabels: { rack: 'a' },
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['east', 'west'] },
        { key: 'maintenance', operator: 'DoesNotExist' },
        { key: 'example.com/tier', operator: 'NotIn', values: ['slow'] },
      ],
    },
    'sel',
  );
  t.same(check.problems, []);
  if (selector === undefined) throw new Error('selector refused');
  t.equal(selectorMatches(selector, { rack: 'a', zone: 'east' }), true);
  t.equal(selectorMatches(selector, { rack: 'a', zone: 'east', 'example.com/tier': 'fast' }), true);
  t.equal(selectorMatches(selector, { rack: 'a', zone: 'east', 'example.com/tier': 'slow' }), false);
  t.equal(selectorMatches(selector, { rack: 'b', zone: 'east' }), false);
  t.equal(selectorMatches(selector, { rack: 'a', zone: 'north' }), false);
  t.equal(selectorMatches(selector, { rack: 'a' }), false, 'In needs the key');
  t.equal(selectorMatches(selector, { rack: 'a', zone: 'east', maintenance: '' }), false);
  t.equal(selectorMatches({ matchLabels: {}, matchExpressions: [] }, {}), true, 'empty matches everything');
  t.equal(anySelectorMatches([], { any: 'thing' }), true, 'an empty list matches everything');
  t.equal(anySelectorMatches([selector, { matchLabels: { rack: 'z' }, matchExpressions: [] }], { rack: 'z' }), true, 'any one');

  const bad = new Checker();
  parseLabelSelector(
    bad,
    { matchLabels: { 'a/b/c': 'x', ok: 'bad value!' }, matchExpressions: [{ key: 'k', operator: 'In' }, { key: 'k', operator: 'Exists', values: ['v'] }, { key: 'k', operator: 'Like' }] },
    'sel',
  );
  t.match(bad.problems, [
    { path: 'sel.matchLabels["a/b/c"]', reason: /invalid/ },
    { path: 'sel.matchLabels.ok', reason: /label value "bad value!" is invalid/ },
    { path: 'sel.matchExpressions[0].values', reason: /must not be empty for operator In/ },
    { path: 'sel.matchExpressions[1].values', reason: /must be empty for operator Exists/ },
    { path: 'sel.matchExpressions[2].operator', reason: /must be one of In, NotIn, Exists, DoesNotExist/ },
  ]);
});

import t from 'tap';
import { matchesSelector, selectorProblems } from './label-selector.js';

t.test('matchLabels and matchExpressions, as Kubernetes evaluates them', async (t) => {
  const labels = { app: 'web', tier: 'front' };
  t.ok(matchesSelector(labels, {}), 'empty selector matches everything');
  t.ok(matchesSelector(undefined, {}), 'even no labels');
  t.ok(matchesSelector(labels, { matchLabels: { app: 'web' } }));
  t.notOk(matchesSelector(labels, { matchLabels: { app: 'db' } }));
  t.notOk(matchesSelector(labels, { matchLabels: { app: 'web', zone: 'a' } }), 'every label must match');
  t.ok(matchesSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }));
  t.notOk(matchesSelector(labels, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }), 'In needs the key');
  t.ok(matchesSelector(labels, { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }), 'NotIn holds without the key');
  t.notOk(matchesSelector(labels, { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }));
  t.ok(matchesSelector(labels, { matchExpressions: [{ key: 'app', operator: 'Exists' }] }));
  t.notOk(matchesSelector(labels, { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }));
  t.notOk(
    matchesSelector(labels, { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }),
    'labels AND expressions',
  );
  t.notOk(matchesSelector({ toString: 'x' } as Record<string, string>, { matchLabels: { constructor: 'y' } }), 'own keys only');
});

t.test('selectorProblems refuses what LabelSelectorAsSelector refuses', async (t) => {
  t.same(selectorProblems({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] }), []);
  t.match(selectorProblems({ matchExpressions: [{ key: 'a', operator: 'In' }] }), [/values must be non-empty for operator In/]);
  t.match(selectorProblems({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), [/values must be empty/]);
  t.match(selectorProblems({ matchExpressions: [{ key: 'a', operator: 'Like' as 'In' }] }), [/operator must be one of/]);
  t.match(selectorProblems({ matchExpressions: [{ key: '', operator: 'Exists' }] }), [/key must be a non-empty string/]);
});

// The patch formats on their own: RFC 7386 appendix A examples, RFC 6902 operations.

import t from 'tap';
import { applyJsonPatch, applyMergePatch, patchTypeOf, PatchError, type Json } from './patch.js';

function httpCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PatchError ? err.httpCode : -1;
  }
  return undefined;
}

t.test('RFC 7386 appendix A', async (t) => {
  const cases: Array<[Json, Json, Json]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) t.same(applyMergePatch(target, patch), want, JSON.stringify(patch));
});

t.test('RFC 6902 operations, and a failed test leaves the input untouched', async (t) => {
  const doc: Json = { a: { b: [1, 2] }, c: 'x' };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'add', path: '/a/b/-', value: 3 },
    { op: 'copy', from: '/c', path: '/d' },
    { op: 'move', from: '/c', path: '/e' },
    { op: 'replace', path: '/a/b/0', value: 0 },
    { op: 'test', path: '/d', value: 'x' },
  ]);
  t.same(out, { a: { b: [0, 9, 2, 3] }, d: 'x', e: 'x' });
  t.same(doc, { a: { b: [1, 2] }, c: 'x' }, 'the input is not mutated');
  t.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }]), PatchError);
  t.equal(httpCodeOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/c', value: 'y' }])), 422);
  t.equal(httpCodeOf(() => applyJsonPatch(doc, { op: 'add' })), 400);
  t.equal(patchTypeOf('application/merge-patch+json; charset=utf-8'), 'merge');
  t.equal(patchTypeOf('application/apply-patch+yaml'), undefined);
});

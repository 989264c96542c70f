import t from 'tap';
import {
  asPathLength,
  asPathToArray,
  attributesForPeer,
  prependAsn,
  reconstructAsPath,
  resolveFourOctetAttributes,
  toTwoOctetPath,
} from './as-path.js';
import { AS_TRANS, AsPathSegmentType } from './constants.js';
import type { AsPathSegment } from './types.js';

const { AS_SET, AS_SEQUENCE, AS_CONFED_SEQUENCE, AS_CONFED_SET } = AsPathSegmentType;
const seq = (...asns: number[]): AsPathSegment => ({ type: AS_SEQUENCE, asns });
const set = (...asns: number[]): AsPathSegment => ({ type: AS_SET, asns });
const confedSeq = (...asns: number[]): AsPathSegment => ({ type: AS_CONFED_SEQUENCE, asns });

t.test('asPathLength counts per RFC 4271 9.1.2.2 and RFC 5065', async (t) => {
  t.equal(asPathLength([]), 0);
  t.equal(asPathLength([seq(1, 2, 3)]), 3);
  t.equal(asPathLength([seq(1, 2), set(3, 4, 5)]), 3, 'an AS_SET counts as one');
  t.equal(asPathLength([confedSeq(64512, 64513), { type: AS_CONFED_SET, asns: [1, 2] }, seq(7)]), 1, 'confederation segments count nothing');
});

t.test('asPathToArray flattens the AS_SEQUENCE segments only', async (t) => {
  t.same(asPathToArray([confedSeq(64512), seq(1, 2), set(9, 8), seq(3)]), [1, 2, 3]);
});

t.test('prependAsn', async (t) => {
  t.same(prependAsn([seq(2, 3)], 1), [seq(1, 2, 3)], 'into the leading AS_SEQUENCE');
  t.same(prependAsn([seq(2)], 1, 3), [seq(1, 1, 1, 2)], 'several times');
  t.same(prependAsn([set(2, 3)], 1), [seq(1), set(2, 3)], 'before a leading AS_SET as a new segment');
  t.same(prependAsn([], 4200000000, 2), [seq(4200000000, 4200000000)], 'onto an empty path');
  const original = [seq(5)];
  prependAsn(original, 1);
  t.same(original, [seq(5)], 'does not change its input');
  t.throws(() => prependAsn([], 2 ** 32), RangeError);
  t.throws(() => prependAsn([], 1, -1), RangeError);
});

t.test('toTwoOctetPath replaces 4-octet ASNs with AS_TRANS and returns the AS4_PATH', async (t) => {
  const path = [confedSeq(64512), seq(65001, 4200000001, 65002), set(4200000002, 3)];
  const { asPath, as4Path } = toTwoOctetPath(path);
  t.same(asPath, [confedSeq(64512), seq(65001, AS_TRANS, 65002), set(AS_TRANS, 3)]);
  t.same(as4Path, [seq(65001, 4200000001, 65002), set(4200000002, 3)], 'AS4_PATH without confederation segments');
  const small = toTwoOctetPath([seq(1, 2)]);
  t.same(small.asPath, [seq(1, 2)]);
  t.equal(small.as4Path, undefined, 'no AS4_PATH when nothing was replaced');
});

t.test('reconstructAsPath: RFC 6793 section 4.2.3', async (t) => {
  t.same(reconstructAsPath([seq(1, 2)], undefined), [seq(1, 2)], 'no AS4_PATH: AS_PATH as is');
  t.same(
    reconstructAsPath([seq(65001, AS_TRANS, AS_TRANS)], [seq(4200000001, 4200000002)]),
    [seq(65001, 4200000001, 4200000002)],
    'an OLD speaker prepended 65001 to a path that came from NEW speakers',
  );
  t.same(
    reconstructAsPath([seq(AS_TRANS, 65002)], [seq(4200000001, 65002)]),
    [seq(4200000001, 65002)],
    'equal lengths: AS4_PATH is the path',
  );
  t.same(
    reconstructAsPath([seq(65001)], [seq(4200000001, 4200000002)]),
    [seq(65001)],
    'AS4_PATH longer than AS_PATH is ignored',
  );
  t.same(
    reconstructAsPath([seq(65001, 65002), set(AS_TRANS, 5)], [set(4200000009, 5)]),
    [seq(65001, 65002), set(4200000009, 5)],
    'an AS_SET counts as one on both sides',
  );
  t.same(
    reconstructAsPath([confedSeq(64512, 64513), seq(65001, AS_TRANS)], [seq(4200000001)]),
    [confedSeq(64512, 64513), seq(65001, 4200000001)],
    'a leading confederation segment is kept',
  );
  t.same(
    reconstructAsPath([seq(65001, AS_TRANS)], [confedSeq(64512), seq(4200000001)]),
    [seq(65001, 4200000001)],
    'confederation segments in AS4_PATH are dropped (RFC 6793 section 6)',
  );
  const original = toTwoOctetPath([seq(65010, 4200000001, 4200000002, 65020)]);
  t.same(reconstructAsPath(original.asPath, original.as4Path), [seq(65010, 4200000001, 4200000002, 65020)], 'inverts toTwoOctetPath');
});

t.test('resolveFourOctetAttributes merges AS4_PATH and AS4_AGGREGATOR', async (t) => {
  const resolved = resolveFourOctetAttributes({
    origin: 0,
    asPath: [seq(65001, AS_TRANS)],
    as4Path: [seq(4200000001)],
    aggregator: { asn: AS_TRANS, address: '192.0.2.1' },
    as4Aggregator: { asn: 4200000001, address: '192.0.2.1' },
  });
  t.same(resolved, { origin: 0, asPath: [seq(65001, 4200000001)], aggregator: { asn: 4200000001, address: '192.0.2.1' } });
  const overridden = resolveFourOctetAttributes({
    asPath: [seq(65001, AS_TRANS)],
    as4Path: [seq(4200000001)],
    aggregator: { asn: 65001, address: '192.0.2.9' },
    as4Aggregator: { asn: 4200000001, address: '192.0.2.1' },
  });
  t.same(
    overridden,
    { asPath: [seq(65001, AS_TRANS)], aggregator: { asn: 65001, address: '192.0.2.9' } },
    'an AGGREGATOR other than AS_TRANS means an OLD speaker aggregated: AS4_ attributes ignored',
  );
  const plain = { origin: 0 as const, asPath: [seq(1)] };
  t.equal(resolveFourOctetAttributes(plain), plain, 'nothing to resolve: the same object');
});

t.test('attributesForPeer adapts to the peer ASN size', async (t) => {
  const attributes = {
    origin: 0 as const,
    asPath: [seq(4200000001, 65001)],
    aggregator: { asn: 4200000001, address: '192.0.2.1' },
  };
  t.same(attributesForPeer(attributes, false), {
    origin: 0,
    asPath: [seq(AS_TRANS, 65001)],
    as4Path: [seq(4200000001, 65001)],
    aggregator: { asn: AS_TRANS, address: '192.0.2.1' },
    as4Aggregator: { asn: 4200000001, address: '192.0.2.1' },
  });
  t.equal(attributesForPeer(attributes, true), attributes, 'a 4-octet peer gets the attributes unchanged');
  t.same(attributesForPeer({ ...attributes, as4Path: [seq(1)] }, true), attributes, 'AS4_PATH is never sent to a 4-octet peer');
  t.same(attributesForPeer({ asPath: [seq(1)] }, false), { asPath: [seq(1)] }, 'nothing to replace: no AS4_PATH');
});

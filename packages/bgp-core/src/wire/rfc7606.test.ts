/**
 * RFC 7606 (Revised Error Handling for BGP UPDATE Messages), one test per case: the action the
 * codec takes and the NOTIFICATION (code, subcode, data) it would have sent (RFC 4271 section 6.3).
 * UPDATE bodies are written out by hand, attribute by attribute.
 */
import t from 'tap';
import { ErrorCode, UpdateSubcode } from './constants.js';
import { BgpWireError, strongestAction } from './errors.js';
import type { ErrorAction } from './errors.js';
import type { CodecOptions, UpdateMessage } from './types.js';
import { decodeUpdateBody } from './update.js';

const TWO_OCTET: CodecOptions = { fourOctetAs: false, extendedMessage: false };
const FOUR_OCTET: CodecOptions = { fourOctetAs: true, extendedMessage: false };

// Well-formed attributes, 2-octet AS session unless noted.
const ORIGIN = [0x40, 1, 1, 0]; // IGP
const AS_PATH = [0x40, 2, 4, 2, 1, 0xfd, 0xe9]; // AS_SEQUENCE 65001
const AS_PATH_4 = [0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9]; // the same, 4-octet
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const MANDATORY = [...ORIGIN, ...AS_PATH, ...NEXT_HOP];
const NLRI = [24, 10, 0, 0]; // 10.0.0.0/24
const MP_REACH_V6 = [0x80, 14, 26, 0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 0x01, 0x0d, 0xb8]; // 2001:db8::/32 via 2001:db8::1

const UPDATE_ERROR = ErrorCode.UPDATE_MESSAGE;

function bodyBytes(attributes: readonly number[], nlri: readonly number[] = NLRI, withdrawn: readonly number[] = []): Uint8Array {
  return Uint8Array.from([
    withdrawn.length >> 8, withdrawn.length & 0xff, ...withdrawn,
    attributes.length >> 8, attributes.length & 0xff, ...attributes,
    ...nlri,
  ]);
}

function decode(attributes: readonly number[], nlri: readonly number[] = NLRI, options = TWO_OCTET, withdrawn: readonly number[] = []): UpdateMessage {
  const body = bodyBytes(attributes, nlri, withdrawn);
  // Decoded from inside a larger buffer, as from a real frame.
  const frame = new Uint8Array(body.length + 5);
  frame.set(body, 3);
  return decodeUpdateBody(frame, 3, body.length, options);
}

interface Expected {
  readonly action: ErrorAction;
  readonly code: string;
  readonly subcode: number;
  readonly data?: readonly number[];
}

interface Assert {
  ok(value: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
  fail(message: string): unknown;
}

function checkError(t: Assert, error: BgpWireError, expected: Expected): void {
  t.equal(error.action, expected.action, 'action');
  t.equal(error.code, expected.code, 'code');
  t.equal(error.notification.code, UPDATE_ERROR, 'NOTIFICATION code: UPDATE Message Error');
  t.equal(error.notification.subcode, expected.subcode, 'NOTIFICATION subcode');
  if (expected.data !== undefined) t.same([...error.notification.data], expected.data, 'NOTIFICATION data');
}

/** The message decoded, with exactly one problem, which is `expected`. */
function expectProblem(t: Assert, message: UpdateMessage, expected: Expected): void {
  t.equal(message.problems?.length, 1, 'one problem');
  const problem = message.problems?.[0];
  if (problem === undefined) return void t.fail('no problem reported');
  checkError(t, problem, expected);
}

/** Decoding throws (the session is reset) with `expected`. */
function expectReset(t: Assert, decodeIt: () => unknown, expected: Omit<Expected, 'action'>): void {
  try {
    decodeIt();
  } catch (error) {
    t.ok(error instanceof BgpWireError, 'a BgpWireError');
    checkError(t, error as BgpWireError, { ...expected, action: 'session-reset' });
    return;
  }
  t.fail('did not throw');
}

const { ATTRIBUTE_FLAGS_ERROR, ATTRIBUTE_LENGTH_ERROR, MALFORMED_AS_PATH, OPTIONAL_ATTRIBUTE_ERROR, MALFORMED_ATTRIBUTE_LIST } = UpdateSubcode;

// --- Section 3: general procedures -------------------------------------------------------------

t.test('3(c): Optional/Transitive flags in conflict (ORIGIN sent as optional) -> treat-as-withdraw, Attribute Flags Error', async (t) => {
  const badOrigin = [0xc0, 1, 1, 0];
  const message = decode([...badOrigin, ...AS_PATH, ...NEXT_HOP]);
  expectProblem(t, message, { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_FLAGS', subcode: ATTRIBUTE_FLAGS_ERROR, data: badOrigin });
  t.equal(message.attributes.origin, undefined, 'the attribute is left out');
  t.same(message.nlri, ['10.0.0.0/24'], 'the NLRI are kept, to be withdrawn');
});

t.test('3(c): flags conflict on an optional attribute (COMMUNITIES sent as well-known) -> treat-as-withdraw', async (t) => {
  const badCommunities = [0x40, 8, 4, 0, 0, 0, 1];
  expectProblem(t, decode([...MANDATORY, ...badCommunities]), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_ATTRIBUTE_FLAGS',
    subcode: ATTRIBUTE_FLAGS_ERROR,
    data: badCommunities,
  });
});

t.test('3(c): only Optional and Transitive are checked; a Partial bit on a well-known attribute is accepted', async (t) => {
  const message = decode([0x60, 1, 1, 0, ...AS_PATH, ...NEXT_HOP]);
  t.equal(message.problems, undefined);
  t.equal(message.attributes.origin, 0);
});

t.test('3(d): missing ORIGIN with NLRI -> treat-as-withdraw, Missing Well-known Attribute, data = type code', async (t) => {
  expectProblem(t, decode([...AS_PATH, ...NEXT_HOP]), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE',
    subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
    data: [1],
  });
});

t.test('3(d): missing AS_PATH with NLRI -> treat-as-withdraw, data = 2', async (t) => {
  expectProblem(t, decode([...ORIGIN, ...NEXT_HOP]), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE',
    subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
    data: [2],
  });
});

t.test('3(d): missing NEXT_HOP with IPv4 NLRI in the NLRI field -> treat-as-withdraw, data = 3', async (t) => {
  expectProblem(t, decode([...ORIGIN, ...AS_PATH]), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE',
    subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
    data: [3],
  });
});

t.test('3(d) with RFC 4760: MP_REACH_NLRI routes need ORIGIN and AS_PATH but no NEXT_HOP', async (t) => {
  t.equal(decode([...MP_REACH_V6, ...ORIGIN, ...AS_PATH], []).problems, undefined, 'no NEXT_HOP is fine');
  expectProblem(t, decode([...MP_REACH_V6, ...AS_PATH], []), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE',
    subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
    data: [1],
  });
});

t.test('RFC 4271 6.3: correct attributes without any NLRI or withdrawn routes make a valid UPDATE', async (t) => {
  const message = decode([0xc0, 8, 4, 0, 0, 0, 1], []);
  t.equal(message.problems, undefined, 'no missing-attribute errors without NLRI');
  t.same(message.attributes, { communities: [1] });
});

t.test('3(g): a repeated attribute -> all but the first discarded (attribute-discard)', async (t) => {
  const message = decode([...MANDATORY, 0xc0, 8, 4, 0, 0, 0, 1, 0xc0, 8, 4, 0, 0, 0, 2]);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_DUPLICATE_ATTRIBUTE', subcode: MALFORMED_ATTRIBUTE_LIST });
  t.same(message.attributes.communities, [1], 'the first is kept');
});

t.test('3(g): a repeated MP_REACH_NLRI -> session reset, Malformed Attribute List', async (t) => {
  expectReset(t, () => decode([...MP_REACH_V6, ...ORIGIN, ...AS_PATH, ...MP_REACH_V6], []), {
    code: 'ERR_BGP_DUPLICATE_ATTRIBUTE',
    subcode: MALFORMED_ATTRIBUTE_LIST,
  });
});

t.test('3(g): a repeated MP_UNREACH_NLRI -> session reset, Malformed Attribute List', async (t) => {
  const unreach = [0x80, 15, 3, 0, 2, 1];
  expectReset(t, () => decode([...unreach, ...unreach], []), { code: 'ERR_BGP_DUPLICATE_ATTRIBUTE', subcode: MALFORMED_ATTRIBUTE_LIST });
});

t.test('3(h): several errors -> the strongest action wins', async (t) => {
  const message = decode([0x40, 1, 1, 7, ...AS_PATH, ...NEXT_HOP, 0x40, 6, 1, 0]); // bad ORIGIN value, ATOMIC_AGGREGATE of length 1
  t.same(message.problems?.map((problem) => problem.action).sort(), ['attribute-discard', 'treat-as-withdraw']);
  t.equal(strongestAction(message.problems?.map((problem) => problem.action) ?? []), 'treat-as-withdraw');
});

t.test('3 and 5.3: a malformed Withdrawn Routes field (checked like the NLRI field) -> session reset, Invalid Network Field', async (t) => {
  expectReset(t, () => decode(MANDATORY, NLRI, TWO_OCTET, [24, 10, 0]), {
    code: 'ERR_BGP_INVALID_NETWORK_FIELD',
    subcode: UpdateSubcode.INVALID_NETWORK_FIELD,
  });
});

t.test('5.3: a malformed NLRI field (prefix length 33) -> session reset, Invalid Network Field', async (t) => {
  expectReset(t, () => decode(MANDATORY, [33, 10, 0, 0, 0, 0]), {
    code: 'ERR_BGP_INVALID_NETWORK_FIELD',
    subcode: UpdateSubcode.INVALID_NETWORK_FIELD,
  });
});

t.test('5.3: an NLRI field that overruns the message -> session reset, Invalid Network Field', async (t) => {
  expectReset(t, () => decode(MANDATORY, [24, 10, 0]), { code: 'ERR_BGP_INVALID_NETWORK_FIELD', subcode: UpdateSubcode.INVALID_NETWORK_FIELD });
});

// --- Section 4: the Total Path Attribute Length and the attributes inside it ---------------------

t.test('RFC 4271 6.3 (kept by 7606): Withdrawn Routes Length past the message -> session reset, Malformed Attribute List', async (t) => {
  expectReset(t, () => decodeUpdateBody(Uint8Array.of(0, 9, 24, 10, 0, 0, 0, 0), 0, 8, TWO_OCTET), {
    code: 'ERR_BGP_MALFORMED_ATTRIBUTE_LIST',
    subcode: MALFORMED_ATTRIBUTE_LIST,
  });
});

t.test('RFC 4271 6.3 (kept by 7606): Total Path Attribute Length past the message -> session reset, Malformed Attribute List', async (t) => {
  const body = bodyBytes(MANDATORY, []);
  body[3] = (body[3] as number) + 1;
  expectReset(t, () => decodeUpdateBody(body, 0, body.length, TWO_OCTET), { code: 'ERR_BGP_MALFORMED_ATTRIBUTE_LIST', subcode: MALFORMED_ATTRIBUTE_LIST });
});

t.test('RFC 4271 6.3: a body too short for the two length fields -> session reset', async (t) => {
  expectReset(t, () => decodeUpdateBody(Uint8Array.of(0, 0, 0), 0, 3, TWO_OCTET), { code: 'ERR_BGP_MALFORMED_ATTRIBUTE_LIST', subcode: MALFORMED_ATTRIBUTE_LIST });
});

t.test('4: an attribute running past the attribute section -> treat-as-withdraw, NLRI found by the total length', async (t) => {
  const overrunning = [0xc0, 8, 8, 0, 0, 0, 1]; // says 8 octets, 4 remain
  const message = decode([...MANDATORY, ...overrunning]);
  expectProblem(t, message, { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_OVERRUN', subcode: ATTRIBUTE_LENGTH_ERROR, data: overrunning });
  t.same(message.nlri, ['10.0.0.0/24'], 'the NLRI field is still located');
  t.equal(message.attributes.origin, 0, 'attributes before the break are kept');
});

t.test('4: fewer than three octets left for an attribute header -> treat-as-withdraw', async (t) => {
  const message = decode([...MANDATORY, 0x40, 6]);
  expectProblem(t, message, { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_OVERRUN', subcode: ATTRIBUTE_LENGTH_ERROR, data: [0x40, 6] });
});

t.test('4 with 3 (treat-as-withdraw needs every NLRI parsed): a broken section, no NLRI, no MP attribute before the break -> session reset', async (t) => {
  // An MP_REACH_NLRI may hide behind the break: its routes could be neither installed nor withdrawn.
  expectReset(t, () => decode([...ORIGIN, 0x80, 14, 40, 0, 2], []), { code: 'ERR_BGP_ATTRIBUTE_OVERRUN', subcode: ATTRIBUTE_LENGTH_ERROR });
});

t.test('4: a broken section after an MP_REACH_NLRI -> treat-as-withdraw of the MP routes', async (t) => {
  const message = decode([...MP_REACH_V6, ...ORIGIN, ...AS_PATH, 0xc0, 8, 9, 0], []);
  t.equal(message.problems?.[0]?.action, 'treat-as-withdraw');
  t.same(message.attributes.mpReach?.nlri, ['2001:db8::/32'], 'the MP routes are known, to be withdrawn');
});

// --- Section 7: attribute by attribute -----------------------------------------------------------

t.test('7.1: ORIGIN of length 2 -> treat-as-withdraw, Attribute Length Error', async (t) => {
  const bad = [0x40, 1, 2, 0, 0];
  expectProblem(t, decode([...bad, ...AS_PATH, ...NEXT_HOP]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.1: ORIGIN with an undefined value -> treat-as-withdraw, Invalid ORIGIN Attribute', async (t) => {
  const bad = [0x40, 1, 1, 3];
  expectProblem(t, decode([...bad, ...AS_PATH, ...NEXT_HOP]), {
    action: 'treat-as-withdraw',
    code: 'ERR_BGP_INVALID_ORIGIN',
    subcode: UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE,
    data: bad,
  });
});

t.test('7.2: AS_PATH with an unknown segment type -> treat-as-withdraw, Malformed AS_PATH', async (t) => {
  const message = decode([...ORIGIN, 0x40, 2, 4, 5, 1, 0xfd, 0xe9, ...NEXT_HOP]);
  expectProblem(t, message, { action: 'treat-as-withdraw', code: 'ERR_BGP_MALFORMED_AS_PATH', subcode: MALFORMED_AS_PATH });
  t.equal(message.attributes.asPath, undefined);
});

t.test('7.2: AS_PATH segment of length zero -> treat-as-withdraw, Malformed AS_PATH', async (t) => {
  expectProblem(t, decode([...ORIGIN, 0x40, 2, 2, 2, 0, ...NEXT_HOP]), { action: 'treat-as-withdraw', code: 'ERR_BGP_MALFORMED_AS_PATH', subcode: MALFORMED_AS_PATH });
});

t.test('7.2: AS_PATH segment overrunning the attribute -> treat-as-withdraw, Malformed AS_PATH', async (t) => {
  expectProblem(t, decode([...ORIGIN, 0x40, 2, 4, 2, 2, 0xfd, 0xe9, ...NEXT_HOP]), { action: 'treat-as-withdraw', code: 'ERR_BGP_MALFORMED_AS_PATH', subcode: MALFORMED_AS_PATH });
});

t.test('7.2: AS_PATH with a single octet after the last segment -> treat-as-withdraw, Malformed AS_PATH', async (t) => {
  expectProblem(t, decode([...ORIGIN, 0x40, 2, 5, 2, 1, 0xfd, 0xe9, 2, ...NEXT_HOP]), { action: 'treat-as-withdraw', code: 'ERR_BGP_MALFORMED_AS_PATH', subcode: MALFORMED_AS_PATH });
});

t.test('7.2: the first-AS check is the session\'s job, not the codec\'s', async (t) => {
  const message = decode([...ORIGIN, 0x40, 2, 4, 2, 1, 0x00, 0x01, ...NEXT_HOP]);
  t.equal(message.problems, undefined);
  t.same(message.attributes.asPath, [{ type: 2, asns: [1] }]);
});

t.test('7.3: NEXT_HOP of length 5 -> treat-as-withdraw, Attribute Length Error', async (t) => {
  const bad = [0x40, 3, 5, 192, 0, 2, 1, 0];
  expectProblem(t, decode([...ORIGIN, ...AS_PATH, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.3: a NEXT_HOP that cannot be a next hop (0.0.0.0, multicast, class E) -> treat-as-withdraw, Invalid NEXT_HOP', async (t) => {
  for (const address of [[0, 0, 0, 0], [224, 0, 0, 5], [255, 255, 255, 255]]) {
    const bad = [0x40, 3, 4, ...address];
    expectProblem(t, decode([...ORIGIN, ...AS_PATH, ...bad]), {
      action: 'treat-as-withdraw',
      code: 'ERR_BGP_INVALID_NEXT_HOP',
      subcode: UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE,
      data: bad,
    });
  }
});

t.test('7.3 with RFC 4760 section 3: NEXT_HOP is not judged in an UPDATE with only MP_REACH_NLRI routes', async (t) => {
  const message = decode([...MP_REACH_V6, ...ORIGIN, ...AS_PATH, 0x40, 3, 4, 0, 0, 0, 0], []);
  t.equal(message.problems, undefined);
});

t.test('7.4: MULTI_EXIT_DISC of length 3 -> treat-as-withdraw, Attribute Length Error', async (t) => {
  const bad = [0x80, 4, 3, 0, 0, 1];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.5: LOCAL_PREF of length 5 -> treat-as-withdraw, Attribute Length Error', async (t) => {
  const bad = [0x40, 5, 5, 0, 0, 0, 100, 0];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.6: ATOMIC_AGGREGATE of length 1 -> attribute-discard, route kept', async (t) => {
  const bad = [0x40, 6, 1, 0];
  const message = decode([...MANDATORY, ...bad]);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
  t.equal(message.attributes.atomicAggregate, undefined, 'discarded');
  t.equal(message.attributes.nextHop, '192.0.2.1', 'the rest is kept');
});

t.test('7.7: AGGREGATOR of length 8 on a 2-octet session -> attribute-discard', async (t) => {
  const bad = [0xc0, 7, 8, 0, 0, 0xfd, 0xe9, 192, 0, 2, 1];
  const message = decode([...MANDATORY, ...bad]);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
  t.equal(message.attributes.aggregator, undefined);
});

t.test('7.7: AGGREGATOR of length 6 on a 4-octet session -> attribute-discard', async (t) => {
  const bad = [0xc0, 7, 6, 0xfd, 0xe9, 192, 0, 2, 1];
  expectProblem(t, decode([...ORIGIN, ...AS_PATH_4, ...NEXT_HOP, ...bad], NLRI, FOUR_OCTET), {
    action: 'attribute-discard',
    code: 'ERR_BGP_ATTRIBUTE_LENGTH',
    subcode: ATTRIBUTE_LENGTH_ERROR,
    data: bad,
  });
});

t.test('7.8: COMMUNITIES whose length is not a non-zero multiple of 4 -> treat-as-withdraw', async (t) => {
  for (const bad of [[0xc0, 8, 5, 0, 0, 0, 1, 2], [0xc0, 8, 0]]) {
    expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
  }
});

t.test('7.9: ORIGINATOR_ID of length 5 -> treat-as-withdraw', async (t) => {
  const bad = [0x80, 9, 5, 10, 0, 0, 1, 0];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.10: CLUSTER_LIST whose length is not a non-zero multiple of 4 -> treat-as-withdraw', async (t) => {
  const bad = [0x80, 10, 6, 10, 0, 0, 1, 0, 0];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('7.11: MP_REACH_NLRI with a next hop length wrong for the family -> session reset, Optional Attribute Error', async (t) => {
  const bad = [0x80, 14, 11, 0, 2, 1, 4, 192, 0, 2, 1, 0, 8, 10];
  expectReset(t, () => decode([...bad, ...ORIGIN, ...AS_PATH], []), { code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: bad });
});

t.test('7.11: MP_REACH_NLRI whose NLRI overrun the attribute -> session reset', async (t) => {
  const bad = [0x80, 14, 23, 0, 2, 1, 16, ...new Array<number>(16).fill(0x20), 0, 64, 0x20];
  expectReset(t, () => decode([...bad, ...ORIGIN, ...AS_PATH], []), { code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: bad });
});

t.test('7.11: MP_REACH_NLRI too short for its fixed fields -> session reset', async (t) => {
  const bad = [0x80, 14, 3, 0, 2, 1];
  expectReset(t, () => decode([...bad, ...ORIGIN, ...AS_PATH], []), { code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: bad });
});

t.test('7.11: MP_REACH_NLRI with flags in conflict -> treat-as-withdraw, its NLRI still read', async (t) => {
  const bad = [0xc0, ...MP_REACH_V6.slice(1)];
  const message = decode([...bad, ...ORIGIN, ...AS_PATH], []);
  expectProblem(t, message, { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_FLAGS', subcode: ATTRIBUTE_FLAGS_ERROR, data: bad });
  t.same(message.attributes.mpReach?.nlri, ['2001:db8::/32'], 'known, so they can be withdrawn');
});

t.test('7.11 (our choice): MP_REACH_NLRI for an AFI/SAFI we do not carry -> attribute-discard', async (t) => {
  const vpn = [0x80, 14, 9, 0, 1, 128, 4, 192, 0, 2, 1, 0];
  const message = decode([...vpn, ...ORIGIN, ...AS_PATH], []);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: vpn });
  t.equal(message.attributes.mpReach, undefined);
});

t.test('7.12: MP_UNREACH_NLRI with malformed withdrawn routes -> session reset', async (t) => {
  const bad = [0x80, 15, 5, 0, 2, 1, 129, 0];
  expectReset(t, () => decode(bad, []), { code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: bad });
});

t.test('7.14: EXTENDED_COMMUNITIES whose length is not a non-zero multiple of 8 -> treat-as-withdraw', async (t) => {
  const bad = [0xc0, 16, 4, 0, 2, 0, 1];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('RFC 8092 section 6: LARGE_COMMUNITY whose length is not a non-zero multiple of 12 -> treat-as-withdraw', async (t) => {
  const bad = [0xc0, 32, 13, ...new Array<number>(13).fill(1)];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'treat-as-withdraw', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('RFC 6793 section 6: malformed AS4_PATH -> attribute-discard, Optional Attribute Error', async (t) => {
  const bad = [0xc0, 17, 6, 2, 2, 0, 0, 0xfd, 0xe9]; // says 2 ASNs, holds 1
  const message = decode([...MANDATORY, ...bad]);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: bad });
  t.equal(message.attributes.as4Path, undefined);
});

t.test('RFC 6793 section 6: AS4_AGGREGATOR of length 6 -> attribute-discard', async (t) => {
  const bad = [0xc0, 18, 6, 0xfd, 0xe9, 192, 0, 2, 1];
  expectProblem(t, decode([...MANDATORY, ...bad]), { action: 'attribute-discard', code: 'ERR_BGP_ATTRIBUTE_LENGTH', subcode: ATTRIBUTE_LENGTH_ERROR, data: bad });
});

t.test('RFC 6793 section 6: AS4_PATH from a 4-octet speaker -> attribute-discard', async (t) => {
  const as4Path = [0xc0, 17, 6, 2, 1, 0, 0, 0xfd, 0xe9];
  const message = decode([...ORIGIN, ...AS_PATH_4, ...NEXT_HOP, ...as4Path], NLRI, FOUR_OCTET);
  expectProblem(t, message, { action: 'attribute-discard', code: 'ERR_BGP_OPTIONAL_ATTRIBUTE', subcode: OPTIONAL_ATTRIBUTE_ERROR, data: as4Path });
  t.equal(message.attributes.as4Path, undefined);
});

// --- RFC 4271 section 6.3, as RFC 7606 leaves it --------------------------------------------------

t.test('RFC 4271 6.3: an unrecognised well-known attribute -> session reset, Unrecognized Well-known Attribute', async (t) => {
  const unknown = [0x40, 99, 1, 0];
  expectReset(t, () => decode([...MANDATORY, ...unknown]), {
    code: 'ERR_BGP_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE',
    subcode: UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
    data: unknown,
  });
});

t.test('RFC 4271 5: an unrecognised optional non-transitive attribute is quietly ignored', async (t) => {
  const message = decode([...MANDATORY, 0x80, 99, 1, 0]);
  t.equal(message.problems, undefined);
  t.equal(message.attributes.unknown, undefined);
});

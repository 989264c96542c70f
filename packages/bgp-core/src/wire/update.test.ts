import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { AS_TRANS, AsPathSegmentType, HEADER_LENGTH, Origin } from './constants.js';
import { BgpWireError } from './errors.js';
import { formatIpv4, formatIpv6, normalizePrefix } from './nlri.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import { IPV4_END_OF_RIB, IPV4_UPDATE, IPV4_WITHDRAW_UPDATE, IPV6_MP_REACH_UPDATE } from './test-helpers/sample-updates.js';
import type { AsPathSegment, CodecOptions, PathAttributes, UpdateMessage } from './types.js';
import { AttributeCache, decodeUpdateBody, endOfRib, endOfRibFamily, routeAttributes, updateBody } from './update.js';

const TWO_OCTET: CodecOptions = { fourOctetAs: false, extendedMessage: false };
const FOUR_OCTET: CodecOptions = { fourOctetAs: true, extendedMessage: false };

const seq = (...asns: number[]): AsPathSegment => ({ type: AsPathSegmentType.AS_SEQUENCE, asns });

const IPV4_ATTRIBUTES: PathAttributes = {
  origin: Origin.IGP,
  asPath: [seq(65001, 65002)],
  nextHop: '192.0.2.1',
  med: 10,
  communities: [0xfde90064],
};

function update(fields: Partial<Omit<UpdateMessage, 'type'>>): UpdateMessage {
  return { type: 'update', withdrawn: [], attributes: {}, nlri: [], ...fields };
}

function body(message: UpdateMessage, options: CodecOptions): Uint8Array {
  const buf = new Uint8Array(updateBody.encodingLength(message, options));
  updateBody.encode(message, buf, 0, options);
  return buf;
}

const ROUND_TRIPS: readonly [string, UpdateMessage, CodecOptions][] = [
  ['IPv4 announcement, 2-octet AS', update({ attributes: IPV4_ATTRIBUTES, nlri: ['10.0.0.0/8', '192.0.2.0/24', '198.51.100.7/32'] }), TWO_OCTET],
  [
    'IPv4 announcement, 4-octet AS',
    update({ attributes: { ...IPV4_ATTRIBUTES, asPath: [seq(4200000001, 65001)], aggregator: { asn: 4200000001, address: '192.0.2.9' } }, nlri: ['10.0.0.0/8'] }),
    FOUR_OCTET,
  ],
  [
    'IPv4 announcement to a 2-octet peer with AS4_PATH',
    update({ attributes: { ...IPV4_ATTRIBUTES, asPath: [seq(AS_TRANS, 65001)], as4Path: [seq(4200000001, 65001)] }, nlri: ['10.1.0.0/16'] }),
    TWO_OCTET,
  ],
  [
    'IPv6 announcement',
    update({
      attributes: {
        origin: Origin.IGP,
        asPath: [seq(65001)],
        mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: ['2001:db8:1::/48', '2001:db8:2::/64'] },
      },
    }),
    FOUR_OCTET,
  ],
  [
    'mixed: IPv4 withdrawn and NLRI, IPv6 reach and unreach',
    update({
      withdrawn: ['10.9.0.0/16'],
      attributes: {
        ...IPV4_ATTRIBUTES,
        mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/48'] },
        mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:9::/48'] },
      },
      nlri: ['10.0.0.0/8'],
    }),
    TWO_OCTET,
  ],
  ['IPv4 withdrawal only', update({ withdrawn: ['10.0.0.0/8', '192.0.2.128/25', '0.0.0.0/0'] }), TWO_OCTET],
  ['IPv6 withdrawal only', update({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8::/32'] } } }), FOUR_OCTET],
  ['IPv4 End-of-RIB', endOfRib('ipv4'), TWO_OCTET],
  ['IPv6 End-of-RIB', endOfRib('ipv6'), FOUR_OCTET],
  ['attributes without NLRI', update({ attributes: IPV4_ATTRIBUTES }), TWO_OCTET],
];

t.test('UPDATE bodies round-trip', async (t) => {
  for (const [name, message, options] of ROUND_TRIPS) {
    t.test(name, async (t) => {
      checkRoundTrip(t, updateBody, message, options);
    });
  }
});

t.test('the same UPDATE decodes differently under the two ASN sizes', async (t) => {
  const message = update({ attributes: { ...IPV4_ATTRIBUTES, asPath: [seq(1, 2)] }, nlri: ['10.0.0.0/8'] });
  const twoOctet = body(message, TWO_OCTET);
  const fourOctet = body(message, FOUR_OCTET);
  t.equal(fourOctet.length - twoOctet.length, 4, 'two ASNs, two octets more each');
  const misread = decodeUpdateBody(twoOctet, 0, twoOctet.length, FOUR_OCTET);
  t.equal(misread.attributes.asPath, undefined, 'a 2-octet AS_PATH read as 4-octet does not parse');
  t.equal(misread.problems?.[0]?.code, 'ERR_BGP_MALFORMED_AS_PATH');
});

t.test('decodes the hand-built sample UPDATEs', async (t) => {
  const ipv4 = decodeUpdateBody(IPV4_UPDATE, HEADER_LENGTH, IPV4_UPDATE.length - HEADER_LENGTH, FOUR_OCTET);
  t.same(ipv4, update({
    attributes: { origin: Origin.IGP, asPath: [seq(65001, 4200000001)], nextHop: '192.0.2.1', communities: [0xfde90064] },
    nlri: ['10.5.0.0/16', '10.6.1.1/32'],
  }));
  const ipv6 = decodeUpdateBody(IPV6_MP_REACH_UPDATE, HEADER_LENGTH, IPV6_MP_REACH_UPDATE.length - HEADER_LENGTH, FOUR_OCTET);
  t.same(ipv6, update({
    attributes: {
      origin: Origin.IGP,
      asPath: [seq(65001)],
      mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/64', '2001:db8:2::/48'] },
    },
  }));
  const withdrawal = decodeUpdateBody(IPV4_WITHDRAW_UPDATE, HEADER_LENGTH, IPV4_WITHDRAW_UPDATE.length - HEADER_LENGTH, FOUR_OCTET);
  t.same(withdrawal, update({ withdrawn: ['10.5.0.0/16', '192.0.2.0/24'] }));
  const eor = decodeUpdateBody(IPV4_END_OF_RIB, HEADER_LENGTH, 4, FOUR_OCTET);
  t.equal(endOfRibFamily(eor), 'ipv4');
});

t.test('End-of-RIB markers (RFC 4724 section 2)', async (t) => {
  t.same([...body(endOfRib('ipv4'), TWO_OCTET)], [0, 0, 0, 0], 'IPv4: an empty UPDATE');
  t.same([...body(endOfRib('ipv6'), TWO_OCTET)], [0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1], 'IPv6: only an empty MP_UNREACH_NLRI');
  for (const family of ['ipv4', 'ipv6'] as const) {
    const bytes = body(endOfRib(family), TWO_OCTET);
    t.equal(endOfRibFamily(decodeUpdateBody(bytes, 0, bytes.length, TWO_OCTET)), family, `${family} marker is recognised after decoding`);
  }
  t.equal(endOfRibFamily(update({ withdrawn: ['10.0.0.0/8'] })), undefined, 'a withdrawal is not one');
  t.equal(endOfRibFamily(update({ attributes: IPV4_ATTRIBUTES })), undefined, 'attributes without NLRI are not one');
  t.equal(endOfRibFamily(update({ attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: ['::/0'] } } })), undefined, 'an MP withdrawal is not one');
  t.equal(
    endOfRibFamily(update({ attributes: { origin: 0, mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } })),
    undefined,
    'MP_UNREACH_NLRI with other attributes is not one',
  );
});

t.test('AttributeCache: identical attribute sets decode to the identical frozen object', async (t) => {
  const cache = new AttributeCache();
  const a = body(update({ attributes: IPV4_ATTRIBUTES, nlri: ['10.0.0.0/24'] }), TWO_OCTET);
  const b = body(update({ attributes: IPV4_ATTRIBUTES, nlri: ['10.0.1.0/24', '10.0.2.0/24'] }), TWO_OCTET);
  const c = body(update({ attributes: { ...IPV4_ATTRIBUTES, med: 11 }, nlri: ['10.0.3.0/24'] }), TWO_OCTET);
  const first = decodeUpdateBody(a, 0, a.length, TWO_OCTET, cache);
  const second = decodeUpdateBody(b, 0, b.length, TWO_OCTET, cache);
  const third = decodeUpdateBody(c, 0, c.length, TWO_OCTET, cache);
  t.equal(first.attributes, second.attributes, 'same object');
  t.not(first.attributes, third.attributes, 'a different set is a different object');
  t.ok(Object.isFrozen(first.attributes));
  t.same(second.nlri, ['10.0.1.0/24', '10.0.2.0/24'], 'the NLRI are per message');
  t.equal(cache.size, 2);
  t.equal(cache.hits, 1);
  t.equal(cache.misses, 2);
  const uncached = decodeUpdateBody(a, 0, a.length, TWO_OCTET);
  t.not(uncached.attributes, first.attributes, 'without a cache every decode is fresh');
  t.same(uncached.attributes, first.attributes, 'but equal');
});

t.test('AttributeCache: IPv6 sets are shared through routeAttributes', async (t) => {
  const cache = new AttributeCache();
  const shared = { origin: Origin.IGP, asPath: [seq(65001)], communities: [7] };
  const messages = [['2001:db8:1::/48'], ['2001:db8:2::/48', '2001:db8:3::/48']].map((nlri) =>
    body(update({ attributes: { ...shared, mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri } } }), FOUR_OCTET),
  );
  const [one, two] = messages.map((bytes) => decodeUpdateBody(bytes, 0, bytes.length, FOUR_OCTET, cache));
  t.not(one?.attributes, two?.attributes, 'the per-message objects differ (they hold the NLRI)');
  t.same(two?.attributes.mpReach?.nlri, ['2001:db8:2::/48', '2001:db8:3::/48']);
  const routeOne = routeAttributes(one!.attributes);
  t.equal(routeOne, routeAttributes(two!.attributes), 'the route attributes are one object');
  t.same(routeOne, shared, 'without MP_REACH_NLRI');
  t.equal(cache.hits, 1, 'the second decode hit the cache');
  t.same(routeAttributes({ ...shared, mpReach: { afi: 2, safi: 1, nextHops: ['::1'], nlri: [] } }), shared, 'works on any attribute set');
  t.equal(routeAttributes(one!.attributes), routeOne, 'stable');
  const plain = { origin: Origin.IGP };
  t.equal(routeAttributes(plain), plain, 'a set without MP attributes is its own route set');
});

t.test('AttributeCache: the ASN size is part of the key', async (t) => {
  const cache = new AttributeCache();
  // 0x0002 0x0001 0x0000fde9 reads as one 4-octet ASN or as a malformed 2-octet path; both must stay apart.
  const bytes = body(update({ attributes: { origin: 0, asPath: [seq(65001)], nextHop: '192.0.2.1' }, nlri: ['10.0.0.0/8'] }), FOUR_OCTET);
  const right = decodeUpdateBody(bytes, 0, bytes.length, FOUR_OCTET, cache);
  const wrong = decodeUpdateBody(bytes, 0, bytes.length, TWO_OCTET, cache);
  t.same(right.attributes.asPath, [seq(65001)]);
  t.equal(wrong.attributes.asPath, undefined);
  t.equal(cache.size, 2);
});

t.test('AttributeCache: bounded; sets not used for a generation are dropped, sets in use kept', async (t) => {
  const cache = new AttributeCache(3);
  const decode = (med: number): PathAttributes => {
    const bytes = body(update({ attributes: { ...IPV4_ATTRIBUTES, med }, nlri: ['10.0.0.0/8'] }), TWO_OCTET);
    return decodeUpdateBody(bytes, 0, bytes.length, TWO_OCTET, cache).attributes;
  };
  const first = decode(1);
  decode(2);
  decode(3);
  decode(4);
  t.ok(cache.size <= 3, 'never above maxEntries');
  t.not(decode(1), first, 'an unused set was dropped, so it decodes afresh');
  t.throws(() => new AttributeCache(1), RangeError);
  cache.clear();
  t.equal(cache.size, 0);

  const generational = new AttributeCache(4);
  const decodeIn = (med: number): PathAttributes => {
    const bytes = body(update({ attributes: { ...IPV4_ATTRIBUTES, med }, nlri: ['10.0.0.0/8'] }), TWO_OCTET);
    return decodeUpdateBody(bytes, 0, bytes.length, TWO_OCTET, generational).attributes;
  };
  const kept = decodeIn(1);
  decodeIn(2);
  decodeIn(3); // the first generation {1, 2} becomes the old one
  t.equal(decodeIn(1), kept, 'found in the old generation, and moved to the young one');
  decodeIn(4); // {3, 1} becomes the old generation, {2} is dropped
  t.equal(decodeIn(1), kept, 'still cached because it was used');
  t.ok(generational.size <= 4, 'never above maxEntries');
});

t.test('AttributeCache: per-message checks still run on cached sets', async (t) => {
  const cache = new AttributeCache();
  const noNextHop = { origin: Origin.IGP, asPath: [seq(65001)] };
  const withoutNlri = body(update({ attributes: noNextHop }), TWO_OCTET);
  const withNlri = body(update({ attributes: noNextHop, nlri: ['10.0.0.0/8'] }), TWO_OCTET);
  t.equal(decodeUpdateBody(withoutNlri, 0, withoutNlri.length, TWO_OCTET, cache).problems, undefined, 'no NLRI: NEXT_HOP not needed');
  const checked = decodeUpdateBody(withNlri, 0, withNlri.length, TWO_OCTET, cache);
  t.equal(cache.hits, 1, 'the set came from the cache');
  t.equal(checked.problems?.[0]?.code, 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE', 'NLRI present: missing NEXT_HOP reported');
  const bad = { ...IPV4_ATTRIBUTES, communities: undefined };
  delete bad.communities;
  const broken = Uint8Array.from([...body(update({ attributes: bad, nlri: ['10.0.0.0/8'] }), TWO_OCTET)]);
  // Corrupt the ORIGIN value (attribute section starts at 4; ORIGIN value at 4 + 3).
  broken[7] = 9;
  const once = decodeUpdateBody(broken, 0, broken.length, TWO_OCTET, cache);
  const twice = decodeUpdateBody(broken, 0, broken.length, TWO_OCTET, cache);
  t.equal(once.problems?.[0]?.code, 'ERR_BGP_INVALID_ORIGIN');
  t.equal(twice.problems?.[0]?.code, 'ERR_BGP_INVALID_ORIGIN', 'a cached set keeps its problems');
  t.not(once.problems, twice.problems, 'each message gets its own problems array');
});

// ---------------------------------------------------------------------------------------------
// Properties over generated UPDATEs

const ipv4Prefix = fc
  .tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
  .map(([bytes, length]) => normalizePrefix(`${formatIpv4(bytes, 0)}/${length}`));
const ipv6Prefix = fc
  .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([bytes, length]) => normalizePrefix(`${formatIpv6(bytes, 0)}/${length}`));
const ipv4Address = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => formatIpv4(bytes, 0));
const ipv6Address = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIpv6(bytes, 0));
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const UNKNOWN_CODES = [11, 12, 13, 19, 20, 25, 33, 40, 128, 200, 255];

function pathOf(asn: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(
    fc.record({
      type: fc.constantFrom(AsPathSegmentType.AS_SET, AsPathSegmentType.AS_SEQUENCE, AsPathSegmentType.AS_CONFED_SEQUENCE, AsPathSegmentType.AS_CONFED_SET),
      asns: fc.array(asn, { minLength: 1, maxLength: 255 }),
    }),
    { maxLength: 3 },
  );
}

function attributesFor(fourOctetAs: boolean): fc.Arbitrary<PathAttributes> {
  const asn = fourOctetAs ? uint32 : fc.integer({ min: 0, max: 0xffff });
  return fc.record(
    {
      origin: fc.constantFrom(Origin.IGP, Origin.EGP, Origin.INCOMPLETE),
      asPath: pathOf(asn),
      nextHop: ipv4Address,
      med: uint32,
      localPref: uint32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn, address: ipv4Address }),
      communities: fc.array(uint32, { minLength: 1, maxLength: 80 }),
      originatorId: ipv4Address,
      clusterList: fc.array(ipv4Address, { minLength: 1, maxLength: 5 }),
      mpReach: fc.record({
        afi: fc.constant(2),
        safi: fc.constant(1),
        nextHops: fc.array(ipv6Address, { minLength: 1, maxLength: 2 }),
        nlri: fc.uniqueArray(ipv6Prefix, { maxLength: 20 }),
      }),
      mpUnreach: fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.uniqueArray(ipv6Prefix, { maxLength: 20 }) }),
      extendedCommunities: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
      as4Path: fourOctetAs ? fc.constant(undefined) : pathOf(uint32).filter((path) => path.length > 0),
      as4Aggregator: fourOctetAs ? fc.constant(undefined) : fc.record({ asn: uint32, address: ipv4Address }),
      largeCommunities: fc.array(fc.record({ globalAdmin: uint32, localData1: uint32, localData2: uint32 }), { minLength: 1, maxLength: 4 }),
      unknown: fc.uniqueArray(
        fc.record({ flags: fc.constant(0xe0), typeCode: fc.constantFrom(...UNKNOWN_CODES), value: fc.uint8Array({ maxLength: 300 }) }),
        { selector: (raw) => raw.typeCode, minLength: 1, maxLength: 3 },
      ).map((raws) => [...raws].sort((a, b) => a.typeCode - b.typeCode)),
    },
    { requiredKeys: [] },
  ).map((attributes) => {
    // Drop keys generated as undefined so decoded and generated values compare equal.
    const clean: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) clean[key] = value;
    return clean as PathAttributes;
  });
}

const generatedUpdate = fc.boolean().chain((fourOctetAs) =>
  fc.record({
    fourOctetAs: fc.constant(fourOctetAs),
    withdrawn: fc.uniqueArray(ipv4Prefix, { maxLength: 30 }),
    attributes: attributesFor(fourOctetAs),
    nlri: fc.uniqueArray(ipv4Prefix, { maxLength: 30 }),
  }),
);

/** AS_PATH segments over 255 ASNs come back split, the only thing a round trip may change. */
function segmentsFit(attributes: PathAttributes): boolean {
  return [...(attributes.asPath ?? []), ...(attributes.as4Path ?? [])].every((segment) => segment.asns.length <= 255);
}

t.test('property: generated UPDATEs round-trip through encode and decode', async (t) => {
  fc.assert(
    fc.property(generatedUpdate, ({ fourOctetAs, withdrawn, attributes, nlri }) => {
      const options: CodecOptions = { fourOctetAs, extendedMessage: true };
      const message = update({ withdrawn, attributes, nlri });
      if (!segmentsFit(attributes)) return true;
      const bytes = body(message, options);
      const decoded = decodeUpdateBody(bytes, 0, bytes.length, options, new AttributeCache());
      const { problems, ...rest } = decoded;
      t.same(rest, message);
      // Only the checks that need the whole message can complain about a generated UPDATE.
      return (problems ?? []).every((problem) => problem.code === 'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE' || problem.code === 'ERR_BGP_INVALID_NEXT_HOP');
    }),
    { numRuns: 300 },
  );
});

t.test('property: corrupted UPDATEs only ever throw BgpWireError, and what decodes re-encodes', async (t) => {
  let decodedCount = 0;
  let rejected = 0;
  fc.assert(
    fc.property(
      generatedUpdate,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      ({ fourOctetAs, withdrawn, attributes, nlri }, corruptions) => {
        const options: CodecOptions = { fourOctetAs, extendedMessage: true };
        const bytes = body(update({ withdrawn, attributes, nlri }), options);
        for (const [at, value] of corruptions) bytes[at % bytes.length] = value;
        let decoded: UpdateMessage;
        try {
          decoded = decodeUpdateBody(bytes, 0, bytes.length, options, new AttributeCache());
        } catch (error) {
          rejected++;
          return error instanceof BgpWireError;
        }
        decodedCount++;
        // Whatever was accepted must be sendable again and read back the same.
        const again = body(decoded, options);
        const { problems: _first, ...first } = decoded;
        const { problems: _second, ...second } = decodeUpdateBody(again, 0, again.length, options);
        return isDeepStrictEqual(normalisePartial(first), normalisePartial(second));
      },
    ),
    { numRuns: 500 },
  );
  t.ok(decodedCount > 0 && rejected > 0, `${decodedCount} corrupted UPDATEs decoded, ${rejected} rejected`);
});

/** Unknown attributes gain the Partial bit when passed on, and are sent in type-code order; compare without either. */
function normalisePartial(message: Omit<UpdateMessage, 'problems'>): unknown {
  const unknown = message.attributes.unknown?.map((raw) => ({ ...raw, flags: raw.flags | 0x20 })).sort((a, b) => a.typeCode - b.typeCode);
  return { ...message, attributes: { ...message.attributes, ...(unknown ? { unknown } : {}) } };
}

t.test('AttributeCache: the key leaves out MP attributes wherever they sit in the section', async (t) => {
  const origin = [0x40, 1, 1, 0];
  const asPath = [0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9];
  const reach = (last: number): number[] => [0x80, 14, 25, 0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0, 24, 0x20, 0x01, last];
  const unreach = [0x80, 15, 3, 0, 2, 1];
  const sections = [
    [...reach(0x0d), ...origin, ...asPath],
    [...origin, ...reach(0x0e), ...asPath],
    [...origin, ...asPath, ...reach(0x0f)],
    [...unreach, ...origin, ...reach(0x10), ...asPath],
  ];
  const cache = new AttributeCache();
  const decoded = sections.map((section) => {
    const bytes = Uint8Array.from([0, 0, section.length >> 8, section.length & 0xff, ...section]);
    return decodeUpdateBody(bytes, 0, bytes.length, FOUR_OCTET, cache);
  });
  const shared = routeAttributes(decoded[0]!.attributes);
  t.same(shared, { origin: 0, asPath: [seq(65001)] });
  for (const [i, message] of decoded.entries()) {
    t.equal(routeAttributes(message.attributes), shared, `section ${i}: the same shared set`);
    t.equal(message.problems, undefined);
  }
  t.same(decoded.map((message) => message.attributes.mpReach?.nlri[0]), ['2001:d00::/24', '2001:e00::/24', '2001:f00::/24', '2001:1000::/24']);
  t.equal(cache.misses, 1);
  t.equal(cache.hits, 3);
});

import t from 'tap';
import { pathAttributes } from './attributes.js';
import { AS_TRANS, AsPathSegmentType, AttributeFlag, AttributeType, Origin } from './constants.js';
import { checkRoundTrip } from './test-helpers/round-trip.js';
import type { AsPathSegment, CodecOptions, PathAttributes } from './types.js';

const TWO_OCTET: CodecOptions = { fourOctetAs: false, extendedMessage: false };
const FOUR_OCTET: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const BOTH = [
  ['2-octet AS', TWO_OCTET],
  ['4-octet AS', FOUR_OCTET],
] as const;

const seq = (...asns: number[]): AsPathSegment => ({ type: AsPathSegmentType.AS_SEQUENCE, asns });

function encode(attributes: PathAttributes, options: CodecOptions): Uint8Array {
  const buf = new Uint8Array(pathAttributes.encodingLength(attributes, options));
  pathAttributes.encode(attributes, buf, 0, options);
  return buf;
}

/** Every attribute kind alone, under both ASN sizes (the values fit in 2 octets where it matters). */
const SINGLE_ATTRIBUTES: readonly [string, PathAttributes][] = [
  ['ORIGIN IGP', { origin: Origin.IGP }],
  ['ORIGIN EGP', { origin: Origin.EGP }],
  ['ORIGIN INCOMPLETE', { origin: Origin.INCOMPLETE }],
  ['empty AS_PATH (iBGP)', { asPath: [] }],
  [
    'AS_PATH with all four segment types',
    {
      asPath: [
        { type: AsPathSegmentType.AS_CONFED_SEQUENCE, asns: [64512, 64513] },
        { type: AsPathSegmentType.AS_CONFED_SET, asns: [64514] },
        seq(65001, 65002),
        { type: AsPathSegmentType.AS_SET, asns: [3, 4, 5] },
      ],
    },
  ],
  ['NEXT_HOP', { nextHop: '192.0.2.1' }],
  ['MULTI_EXIT_DISC', { med: 0xfffffffe }],
  ['LOCAL_PREF', { localPref: 100 }],
  ['ATOMIC_AGGREGATE', { atomicAggregate: true }],
  ['AGGREGATOR', { aggregator: { asn: 65001, address: '198.51.100.1' } }],
  ['COMMUNITIES', { communities: [0xfde80064, 0xffffff01] }],
  ['ORIGINATOR_ID', { originatorId: '10.0.0.1' }],
  ['CLUSTER_LIST', { clusterList: ['10.0.0.2', '10.0.0.3'] }],
  ['MP_REACH_NLRI IPv6, global next hop', { mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8:1::/48', '::/0'] } }],
  [
    'MP_REACH_NLRI IPv6, global and link-local next hops (RFC 2545)',
    { mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: ['2001:db8:2::/64'] } },
  ],
  ['MP_REACH_NLRI IPv4', { mpReach: { afi: 1, safi: 1, nextHops: ['192.0.2.1'], nlri: ['10.0.0.0/8'] } }],
  ['MP_REACH_NLRI without NLRI', { mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: [] } }],
  ['MP_UNREACH_NLRI IPv6', { mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:1::/48', '2001:db8::1/128'] } }],
  ['MP_UNREACH_NLRI IPv4', { mpUnreach: { afi: 1, safi: 1, withdrawn: ['10.0.0.0/8'] } }],
  ['EXTENDED_COMMUNITIES', { extendedCommunities: [Uint8Array.of(0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100)] }],
  ['LARGE_COMMUNITY', { largeCommunities: [{ globalAdmin: 4200000000, localData1: 1, localData2: 2 }] }],
  ['unknown optional transitive attribute (Partial already set)', { unknown: [{ flags: 0xe0, typeCode: 99, value: Uint8Array.of(1, 2, 3) }] }],
];

for (const [label, options] of BOTH) {
  t.test(`every attribute kind round-trips alone (${label})`, async (t) => {
    for (const [name, attributes] of SINGLE_ATTRIBUTES) {
      t.test(name, async (t) => {
        checkRoundTrip(t, pathAttributes, attributes, options);
      });
    }
  });
}

t.test('AS4_PATH and AS4_AGGREGATOR round-trip on a 2-octet session', async (t) => {
  checkRoundTrip(t, pathAttributes, {
    asPath: [seq(65001, AS_TRANS)],
    aggregator: { asn: AS_TRANS, address: '192.0.2.1' },
    as4Path: [seq(65001, 4200000001)],
    as4Aggregator: { asn: 4200000001, address: '192.0.2.1' },
  });
});

t.test('4-octet ASNs round-trip in AS_PATH and AGGREGATOR on a 4-octet session', async (t) => {
  checkRoundTrip(t, pathAttributes, { asPath: [seq(4200000001, 65001)], aggregator: { asn: 4294967295, address: '192.0.2.1' } }, FOUR_OCTET);
});

t.test('a full attribute set round-trips, encoded in type-code order after the MP attributes', async (t) => {
  const attributes: PathAttributes = {
    origin: Origin.INCOMPLETE,
    asPath: [seq(65001, 65002)],
    nextHop: '192.0.2.1',
    med: 5,
    localPref: 200,
    atomicAggregate: true,
    aggregator: { asn: 65002, address: '192.0.2.2' },
    communities: [1, 2, 3],
    originatorId: '10.0.0.1',
    clusterList: ['10.0.0.9'],
    mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: ['2001:db8::/32'] },
    mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:ffff::/48'] },
    extendedCommunities: [Uint8Array.of(0, 2, 0, 1, 0, 0, 0, 1)],
    largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }],
    unknown: [
      { flags: 0xc0, typeCode: 40, value: Uint8Array.of(9) },
      { flags: 0xc0, typeCode: 12, value: Uint8Array.of(8) },
    ],
  };
  const expected: PathAttributes = {
    ...attributes,
    unknown: [
      { flags: 0xe0, typeCode: 12, value: Uint8Array.of(8) },
      { flags: 0xe0, typeCode: 40, value: Uint8Array.of(9) },
    ],
  };
  const bytes = checkRoundTrip(t, pathAttributes, attributes, TWO_OCTET, expected);
  const order: number[] = [];
  for (let p = 0; p < bytes.length; ) {
    const flags = bytes[p] as number;
    order.push(bytes[p + 1] as number);
    const extended = (flags & AttributeFlag.EXTENDED_LENGTH) !== 0;
    p += (extended ? 4 : 3) + (extended ? ((bytes[p + 2] as number) << 8) | (bytes[p + 3] as number) : (bytes[p + 2] as number));
  }
  t.same(order, [14, 15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 32, 40], 'MP_REACH, MP_UNREACH, then type-code order');
});

t.test('the encoding matches the RFC 4271 layout octet for octet', async (t) => {
  const bytes = encode({ origin: Origin.IGP, asPath: [seq(65001, 4200000001)], nextHop: '192.0.2.1', communities: [0xfde90064] }, FOUR_OCTET);
  t.same(
    Buffer.from(bytes).toString('hex'),
    [
      '40010100', // ORIGIN: well-known transitive, length 1, IGP
      '40020a', '0202', '0000fde9', 'fa56ea01', // AS_PATH: AS_SEQUENCE of 2, 4-octet ASNs
      '400304', 'c0000201', // NEXT_HOP 192.0.2.1
      'c00804', 'fde90064', // COMMUNITIES: optional transitive
    ].join(''),
  );
  const twoOctet = encode({ asPath: [seq(65001)], aggregator: { asn: 65001, address: '192.0.2.1' } }, TWO_OCTET);
  t.same(Buffer.from(twoOctet).toString('hex'), '400204' + '0201fde9' + 'c00706' + 'fde9c0000201', '2-octet AS_PATH and AGGREGATOR');
});

t.test('values over 255 octets use the Extended Length flag, shorter ones do not', async (t) => {
  const communities = Array.from({ length: 100 }, (_, i) => i);
  const bytes = checkRoundTrip(t, pathAttributes, { communities });
  t.equal(bytes[0], AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE | AttributeFlag.EXTENDED_LENGTH, 'flags');
  t.equal((bytes[2]! << 8) | bytes[3]!, 400, '2-octet length');
  t.equal(bytes.length, 404);
  const short = encode({ communities: [1] }, TWO_OCTET);
  t.equal(short[0], AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE, 'no Extended Length for 4 octets');
  // A sender may set Extended Length on a short value; it decodes the same.
  const extendedShort = Uint8Array.of(0xd0, 8, 0, 4, 0, 0, 0, 1);
  t.same(pathAttributes.decode(extendedShort, 0, extendedShort.length, TWO_OCTET), { communities: [1] });
});

t.test('AS_PATH segments longer than 255 ASNs are split on encode', async (t) => {
  const asns = Array.from({ length: 600 }, (_, i) => 1 + i);
  const expected = { asPath: [seq(...asns.slice(0, 255)), seq(...asns.slice(255, 510)), seq(...asns.slice(510))] };
  for (const [label, options] of BOTH) {
    const bytes = checkRoundTrip(t, pathAttributes, { asPath: [seq(...asns)] }, options, expected);
    t.equal(bytes[4 + 1], 255, `${label}: first segment holds 255`);
  }
  const set = { type: AsPathSegmentType.AS_SET, asns: asns.slice(0, 300) };
  checkRoundTrip(t, pathAttributes, { asPath: [set] }, FOUR_OCTET, {
    asPath: [
      { type: AsPathSegmentType.AS_SET, asns: asns.slice(0, 255) },
      { type: AsPathSegmentType.AS_SET, asns: asns.slice(255, 300) },
    ],
  });
});

t.test('unknown attributes: optional transitive kept with Partial, optional non-transitive dropped', async (t) => {
  const wire = Uint8Array.of(
    0xc0, 99, 2, 0xaa, 0xbb, // optional transitive 99
    0x80, 98, 1, 0xcc, // optional non-transitive 98
    0xc0, 0xf0, 0, // optional transitive 240, empty
  );
  const decoded = pathAttributes.decode(wire, 0, wire.length, TWO_OCTET);
  t.same(decoded, {
    unknown: [
      { flags: 0xc0, typeCode: 99, value: Uint8Array.of(0xaa, 0xbb) },
      { flags: 0xc0, typeCode: 240, value: new Uint8Array(0) },
    ],
  });
  const again = encode(decoded, TWO_OCTET);
  t.same([...again], [0xe0, 99, 2, 0xaa, 0xbb, 0xe0, 0xf0, 0], 're-encoded with the Partial bit set');
});

t.test('decoded attribute sets are frozen and do not alias the input buffer', async (t) => {
  const wire = encode({ communities: [1], extendedCommunities: [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)], asPath: [seq(1)] }, TWO_OCTET);
  const decoded = pathAttributes.decode(wire, 0, wire.length, TWO_OCTET);
  t.ok(Object.isFrozen(decoded), 'the set');
  t.ok(Object.isFrozen(decoded.communities), 'its arrays');
  t.ok(Object.isFrozen(decoded.asPath?.[0]), 'its segments');
  wire.fill(0);
  t.same([...(decoded.extendedCommunities?.[0] ?? [])], [1, 2, 3, 4, 5, 6, 7, 8], 'byte values are copies');
});

t.test('the encoder refuses what cannot be represented', async (t) => {
  t.throws(() => encode({ asPath: [seq(4200000001)] }, TWO_OCTET), RangeError, '4-octet ASN in a 2-octet AS_PATH');
  t.throws(() => encode({ aggregator: { asn: 70000, address: '192.0.2.1' } }, TWO_OCTET), RangeError, '4-octet AGGREGATOR for a 2-octet peer');
  t.throws(() => encode({ med: -1 }, TWO_OCTET), RangeError, 'negative MED');
  t.throws(() => encode({ extendedCommunities: [Uint8Array.of(1)] }, TWO_OCTET), RangeError, 'short extended community');
  t.throws(() => encode({ mpReach: { afi: 1, safi: 128, nextHops: ['192.0.2.1'], nlri: [] } }, TWO_OCTET), RangeError, 'VPN SAFI');
  t.throws(() => encode({ mpReach: { afi: 2, safi: 1, nextHops: [], nlri: [] } }, TWO_OCTET), RangeError, 'no next hop');
  t.throws(() => encode({ unknown: [{ flags: 0xc0, typeCode: AttributeType.ORIGIN, value: Uint8Array.of(0) }] }, TWO_OCTET), RangeError, 'raw known type');
  t.throws(() => encode({ nextHop: '192.0.2' }, TWO_OCTET), /not a valid IPv4 address/);
});

/**
 * Fuzz: MessageFramer + decodeMessage only ever succeed or throw BgpWireError, whatever the bytes.
 *
 * At least 100,000 inputs per run (BGP_FUZZ_ITERATIONS to change), from a seeded PRNG (the seed is
 * printed; BGP_FUZZ_SEED=<n> replays a run): mutations of valid OPEN, UPDATE, NOTIFICATION,
 * KEEPALIVE and ROUTE-REFRESH messages (bit flips, truncation, length field changes, inserted and
 * deleted octets, attribute flag and length changes, several messages in one stream), and random
 * octets after a valid marker. Every input runs under all four option sets, cut into random
 * chunks. A crashing input is written to fixtures/fuzz-crashes/ and replayed by fuzz-replay.test.ts.
 * A fast-check property adds shrinkable random headers and bodies on top.
 */
import fc from 'fast-check';
import t from 'tap';

import { attributesForPeer } from './as-path.js';
import { MessageType } from './constants.js';
import { encodeMessage } from './message.js';
import { KEEPALIVE } from './keepalive.js';
import { shutdownNotification } from './notification.js';
import { ALL_OPTION_SETS, exercise, saveCrash } from './test-helpers/fuzz-harness.js';
import type { Crash } from './test-helpers/fuzz-harness.js';
import { SAMPLE_UPDATES } from './test-helpers/sample-updates.js';
import type { BgpMessage, Capability, CodecOptions, OpenMessage, UpdateMessage } from './types.js';
import { AttributeCache } from './update.js';

const ITERATIONS = Number(process.env['BGP_FUZZ_ITERATIONS'] ?? 100_000);
const SEED = Number(process.env['BGP_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 32));
const MAX_CRASHES_SAVED = 20;

/** mulberry32: small, fast, good enough to drive mutations, and replayable from one seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Valid seeds

const ALL_CAPABILITIES: readonly Capability[] = [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'route-refresh-cisco' },
  { kind: 'enhanced-route-refresh' },
  { kind: 'four-octet-as', asn: 4200000001 },
  { kind: 'extended-message' },
  {
    kind: 'graceful-restart',
    restarting: true,
    notification: true,
    restartTime: 300,
    families: [
      { afi: 1, safi: 1, forwardingPreserved: true },
      { afi: 2, safi: 1, forwardingPreserved: false },
    ],
  },
  { kind: 'unknown', code: 73, value: Uint8Array.from([4, 0x68, 0x6f, 0x73, 0x74, 0]) },
];

function openSeeds(): OpenMessage[] {
  const base: OpenMessage = {
    type: 'open',
    version: 4,
    myAsn: 23456,
    holdTime: 90,
    routerId: '192.0.2.1',
    capabilities: ALL_CAPABILITIES,
    unknownParameters: [],
  };
  const many: Capability[] = [];
  for (let i = 0; i < 50; i++) many.push({ kind: 'multiprotocol', afi: 1 + (i % 2), safi: i });
  return [
    base,
    { ...base, capabilities: [] },
    { ...base, unknownParameters: [{ type: 1, value: Uint8Array.from([1, 2, 3]) }] },
    { ...base, capabilities: many }, // over 255 octets: the RFC 9072 extended form
  ];
}

/** UPDATE values encoded through the UPDATE codec, under both AS sizes. */
function updateValues(): UpdateMessage[] {
  return [
    {
      type: 'update',
      withdrawn: ['10.9.0.0/16'],
      attributes: {
        origin: 0,
        asPath: [
          { type: 2, asns: [65001, 4200000001, 65002] },
          { type: 1, asns: [65010, 65011] },
        ],
        nextHop: '192.0.2.1',
        med: 100,
        localPref: 200,
        atomicAggregate: true,
        aggregator: { asn: 4200000001, address: '192.0.2.9' },
        communities: [0xfde90064, 0xffffff01],
        extendedCommunities: [Uint8Array.from([0, 2, 0xfd, 0xe9, 0, 0, 0, 1])],
        largeCommunities: [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }],
      },
      nlri: ['10.5.0.0/16', '10.6.1.1/32', '0.0.0.0/0'],
    },
    {
      type: 'update',
      withdrawn: [],
      attributes: {
        origin: 2,
        asPath: [{ type: 2, asns: [65001] }],
        mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: ['2001:db8:1::/64', '2001:db8::/32', '::/0'] },
        mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:9::/48'] },
      },
      nlri: [],
    },
  ];
}

function buildSeeds(t: { equal(found: unknown, wanted: unknown, message: string): unknown }): Uint8Array[] {
  const messages: BgpMessage[] = [
    ...openSeeds(),
    KEEPALIVE,
    { type: 'notification', code: 4, subcode: 0, data: new Uint8Array(0) },
    { type: 'notification', code: 3, subcode: 1, data: Uint8Array.from([0x40, 1, 1, 0]) },
    shutdownNotification(2, 'maintenance window ✓'),
    { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
    { type: 'route-refresh', afi: 2, safi: 1, subtype: 1 },
  ];
  const seeds = messages.map((m) => encodeMessage(m, ALL_OPTION_SETS[0]!));
  seeds.push(...SAMPLE_UPDATES.map((s) => s.bytes));
  let encodedUpdates = 0;
  for (const update of updateValues()) {
    for (const options of ALL_OPTION_SETS.slice(0, 2)) {
      // A 2-octet session carries AS_TRANS in AS_PATH and the real path in AS4_PATH (RFC 6793).
      const attributes = attributesForPeer(update.attributes, options.fourOctetAs);
      seeds.push(encodeMessage({ ...update, attributes }, options));
      encodedUpdates++;
    }
  }
  t.equal(encodedUpdates, 4, 'UPDATE seeds built with the UPDATE encoder');
  return seeds;
}

// ---------------------------------------------------------------------------------------------
// Mutations

const ATTRIBUTE_FLAG_BITS = [0x80, 0x40, 0x20, 0x10] as const;

function setLengthField(bytes: Uint8Array, length: number): void {
  if (bytes.length >= 18) {
    bytes[16] = (length >>> 8) & 0xff;
    bytes[17] = length & 0xff;
  }
}

/** Offsets of the flag octets of every path attribute of an UPDATE, as far as they can be walked. */
function attributeFlagOffsets(bytes: Uint8Array): number[] {
  const found: number[] = [];
  if (bytes.length < 23 || bytes[18] !== MessageType.UPDATE) return found;
  const withdrawnLength = (bytes[19]! << 8) | bytes[20]!;
  const at = 21 + withdrawnLength;
  if (at + 2 > bytes.length) return found;
  const end = Math.min(bytes.length, at + 2 + ((bytes[at]! << 8) | bytes[at + 1]!));
  let p = at + 2;
  while (p + 3 <= end) {
    found.push(p);
    const extended = (bytes[p]! & 0x10) !== 0;
    const length = extended ? (p + 4 <= end ? (bytes[p + 2]! << 8) | bytes[p + 3]! : 0) : bytes[p + 2]!;
    p += (extended ? 4 : 3) + length;
  }
  return found;
}

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  let bytes = seed.slice();
  const rounds = 1 + int(4);
  let fixLength = random() < 0.7;
  for (let r = 0; r < rounds; r++) {
    switch (int(9)) {
      case 0: {
        // Bit flips, mostly in the body.
        for (let i = 1 + int(3); i > 0 && bytes.length > 0; i--) {
          const at = random() < 0.9 && bytes.length > 19 ? 19 + int(bytes.length - 19) : int(bytes.length);
          bytes[at]! ^= 1 << int(8);
        }
        break;
      }
      case 1: {
        // A random octet anywhere in the body.
        if (bytes.length > 19) bytes[19 + int(bytes.length - 19)] = int(256);
        break;
      }
      case 2: {
        // Truncation.
        bytes = bytes.slice(0, int(bytes.length + 1));
        break;
      }
      case 3: {
        // Length field: off by a little, or anything.
        const current = bytes.length >= 18 ? (bytes[16]! << 8) | bytes[17]! : 0;
        setLengthField(bytes, random() < 0.5 ? current + int(9) - 4 : int(65536));
        fixLength = false;
        break;
      }
      case 4: {
        // Inserted octets.
        const at = int(bytes.length + 1);
        const inserted = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
        const out = new Uint8Array(bytes.length + inserted.length);
        out.set(bytes.subarray(0, at));
        out.set(inserted, at);
        out.set(bytes.subarray(at), at + inserted.length);
        bytes = out;
        break;
      }
      case 5: {
        // Deleted octets.
        const at = int(bytes.length + 1);
        const count = 1 + int(8);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + count)]);
        break;
      }
      case 6: {
        // Attribute flags: toggle Optional, Transitive, Partial or Extended Length of one attribute.
        const flags = attributeFlagOffsets(bytes);
        if (flags.length > 0) bytes[flags[int(flags.length)]!]! ^= ATTRIBUTE_FLAG_BITS[int(4)]!;
        break;
      }
      case 7: {
        // An internal length: attribute length octet, or a 2-octet length at a random place.
        const flags = attributeFlagOffsets(bytes);
        if (flags.length > 0 && random() < 0.6) {
          const p = flags[int(flags.length)]!;
          if (p + 2 < bytes.length) bytes[p + 2] = random() < 0.5 ? bytes[p + 2]! + int(5) - 2 : int(256);
        } else if (bytes.length > 21) {
          const at = 19 + int(bytes.length - 20);
          bytes[at] = 0;
          bytes[at + 1] = int(256);
        }
        break;
      }
      default: {
        // A valid KEEPALIVE or copy of itself appended: several messages in one stream.
        const extra = random() < 0.5 ? seed : encodeMessage(KEEPALIVE, ALL_OPTION_SETS[0]!);
        bytes = Uint8Array.from([...bytes, ...extra]);
        fixLength = false;
        break;
      }
    }
  }
  if (fixLength) setLengthField(bytes, bytes.length);
  return bytes;
}

/** A valid marker, then a random length, a type that is usually known, and random octets. */
function randomAfterMarker(random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const bodyLength = random() < 0.9 ? int(64) : int(5000);
  const bytes = new Uint8Array(19 + bodyLength);
  bytes.fill(0xff, 0, 16);
  setLengthField(bytes, random() < 0.8 ? bytes.length : int(65536));
  bytes[18] = random() < 0.9 ? 1 + int(5) : int(256);
  for (let i = 19; i < bytes.length; i++) bytes[i] = int(256);
  return bytes;
}

/** Up to three random cut points, so messages also span chunks. */
function randomCuts(length: number, random: () => number): number[] {
  const cuts: number[] = [];
  for (let i = Math.floor(random() * 4); i > 0; i--) cuts.push(Math.floor(random() * (length + 1)));
  return cuts.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------

t.test(`${ITERATIONS} mutated and random inputs only ever throw BgpWireError (seed ${SEED})`, (t) => {
  const seeds = buildSeeds(t);
  const random = prng(SEED);
  const caches = ALL_OPTION_SETS.map(() => new AttributeCache(1000));
  const crashes: Crash[] = [];
  const outcomes = new Map<string, number>();
  const started = Date.now();
  let inputs = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = random() < 0.85 ? mutate(seeds[Math.floor(random() * seeds.length)]!, random) : randomAfterMarker(random);
    const cuts = randomCuts(input.length, random);
    inputs++;
    for (let o = 0; o < ALL_OPTION_SETS.length; o++) {
      const options: CodecOptions = ALL_OPTION_SETS[o]!;
      const error = exercise(input, options, cuts, random() < 0.5 ? caches[o] : undefined, outcomes);
      if (error !== undefined) {
        const crash = { input, options, error };
        crashes.push(crash);
        if (crashes.length <= MAX_CRASHES_SAVED) t.comment(`crash saved as fixtures/fuzz-crashes/${saveCrash(crash)}: ${String(error)}`);
        break;
      }
    }
  }
  t.comment(`${inputs} inputs x ${ALL_OPTION_SETS.length} option sets in ${Date.now() - started} ms`);
  const byCount = [...outcomes].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ${n}`);
  t.comment(`outcomes (framed messages and errors): ${byCount.join(', ')}`);
  t.ok((outcomes.get('update') ?? 0) > 0 && (outcomes.get('open') ?? 0) > 0, 'some mutated messages still decode');
  t.equal(inputs, ITERATIONS, `every one of the ${ITERATIONS} inputs ran`);
  t.equal(crashes.length, 0, `no input threw anything but BgpWireError (replay with BGP_FUZZ_SEED=${SEED})`);
  t.end();
});

t.test('fast-check: random headers and bodies after a valid marker only throw BgpWireError', (t) => {
  const message = fc
    .record({
      type: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 255 })),
      body: fc.uint8Array({ maxLength: 300 }),
      lengthDelta: fc.oneof(fc.constant(0), fc.integer({ min: -30, max: 30 })),
      options: fc.constantFrom(...ALL_OPTION_SETS),
      cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 3 }),
    })
    .map(({ type, body, lengthDelta, options, cuts }) => {
      const bytes = new Uint8Array(19 + body.length);
      bytes.fill(0xff, 0, 16);
      setLengthField(bytes, Math.max(0, bytes.length + lengthDelta));
      bytes[18] = type;
      bytes.set(body, 19);
      return { bytes, options, cuts: cuts.filter((c) => c <= bytes.length).sort((a, b) => a - b) };
    });
  let runs = 0;
  const details = fc.check(
    fc.property(message, ({ bytes, options, cuts }) => {
      runs++;
      return exercise(bytes, options, cuts) === undefined;
    }),
    { numRuns: 5000, seed: SEED | 0 },
  );
  const counterexample = details.counterexample?.[0];
  if (details.failed && counterexample !== undefined) {
    const { bytes, options, cuts } = counterexample;
    const name = saveCrash({ input: bytes, options, error: exercise(bytes, options, cuts) ?? details.errorInstance });
    t.comment(`shrunk crash saved as fixtures/fuzz-crashes/${name}`);
  }
  t.notOk(details.failed, `fast-check found no input that throws anything but BgpWireError (${runs} runs)`);
  t.ok(runs >= 5000, 'all 5000 runs happened');
  t.end();
});

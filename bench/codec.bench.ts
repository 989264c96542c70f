/**
 * Micro-benchmark of the UPDATE hot paths: packing (encode) and decoding IPv4 /24 prefixes.
 *
 *   table:  1,000,000 prefixes, 4 per UPDATE (250,000 UPDATEs), attribute sets drawn from a pool
 *           (as in a real full table, where many UPDATEs share a set); decoded with an AttributeCache.
 *   worst:  the same, but every UPDATE has its own attribute set (the cache never hits).
 *   bulk:   1,000,000 prefixes with one attribute set (the speaker announcing many service IPs).
 *
 * Run it with `bench/run.sh codec` (after the packages are built). Run it on a quiet machine:
 * the figures move a lot with load.
 */
import {
  AttributeCache,
  AsPathSegmentType,
  HEADER_LENGTH,
  Origin,
  decodeUpdateBody,
  packAnnouncements,
} from '@metallb-ts/bgp-core';
import type { CodecOptions, PathAttributes } from '@metallb-ts/bgp-core';

const OPTIONS: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const PREFIXES = 1_000_000;
const PER_UPDATE = 4;
const ROUNDS = 3;

function prefixAt(i: number): string {
  return `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
}

function attributeSet(n: number): PathAttributes {
  return {
    origin: Origin.IGP,
    asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65001, 3356, 1299 + (n % 500), 64512 + (n % 1000)] }],
    nextHop: '192.0.2.1',
    med: n,
    communities: [0xfde90064, 0xfde90000 + (n % 100)],
  };
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')} prefixes/s`;
}

function best(run: () => number): number {
  let fastest = Infinity;
  for (let round = 0; round < ROUNDS; round++) fastest = Math.min(fastest, run());
  return fastest;
}

function table(distinctSets: number, label: string): void {
  const prefixes = Array.from({ length: PREFIXES }, (_, i) => prefixAt(i));
  const sets = Array.from({ length: Math.min(distinctSets, PREFIXES / PER_UPDATE) }, (_, n) => attributeSet(n));
  let messages: Uint8Array[] = [];
  const encodeMs = best(() => {
    messages = [];
    const start = performance.now();
    for (let i = 0, n = 0; i < PREFIXES; i += PER_UPDATE, n++) {
      const packed = packAnnouncements(sets[n % sets.length]!, prefixes.slice(i, i + PER_UPDATE), 'ipv4', undefined, OPTIONS);
      for (const message of packed) messages.push(message);
    }
    return performance.now() - start;
  });
  let decoded = 0;
  let cache = new AttributeCache(100_000);
  const decodeMs = best(() => {
    cache = new AttributeCache(100_000);
    decoded = 0;
    const start = performance.now();
    for (const message of messages) {
      decoded += decodeUpdateBody(message, HEADER_LENGTH, message.length - HEADER_LENGTH, OPTIONS, cache).nlri.length;
    }
    return performance.now() - start;
  });
  if (decoded !== PREFIXES) throw new Error(`decoded ${decoded} prefixes, expected ${PREFIXES}`);
  console.log(`${label}: ${messages.length.toLocaleString('en-US')} UPDATEs, ${sets.length.toLocaleString('en-US')} attribute sets`);
  console.log(`  encode (packAnnouncements): ${encodeMs.toFixed(0)} ms, ${rate(PREFIXES, encodeMs)}`);
  console.log(`  decode (decodeUpdateBody + AttributeCache, ${cache.hits.toLocaleString('en-US')} hits): ${decodeMs.toFixed(0)} ms, ${rate(PREFIXES, decodeMs)}`);
}

function bulk(): void {
  const prefixes = Array.from({ length: PREFIXES }, (_, i) => prefixAt(i));
  const attributes = attributeSet(1);
  let messages: Uint8Array[] = [];
  const encodeMs = best(() => {
    const start = performance.now();
    messages = packAnnouncements(attributes, prefixes, 'ipv4', undefined, OPTIONS);
    return performance.now() - start;
  });
  let decoded = 0;
  const decodeMs = best(() => {
    const cache = new AttributeCache();
    decoded = 0;
    const start = performance.now();
    for (const message of messages) {
      decoded += decodeUpdateBody(message, HEADER_LENGTH, message.length - HEADER_LENGTH, OPTIONS, cache).nlri.length;
    }
    return performance.now() - start;
  });
  if (decoded !== PREFIXES) throw new Error(`decoded ${decoded} prefixes, expected ${PREFIXES}`);
  console.log(`bulk: one attribute set, ${messages.length.toLocaleString('en-US')} full UPDATEs`);
  console.log(`  encode (packAnnouncements): ${encodeMs.toFixed(0)} ms, ${rate(PREFIXES, encodeMs)}`);
  console.log(`  decode (decodeUpdateBody + AttributeCache): ${decodeMs.toFixed(0)} ms, ${rate(PREFIXES, decodeMs)}`);
}

console.log(`Node ${process.version}, best of ${ROUNDS} rounds, ${PREFIXES.toLocaleString('en-US')} IPv4 /24 prefixes`);
table(10_000, 'table');
table(Infinity, 'worst');
bulk();

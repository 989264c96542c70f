/**
 * The AttributeCache: decoded attribute sets keyed by their raw octets, so that the many UPDATEs of
 * a table that share an attribute set decode it once and hand back the same frozen object (which
 * the RIB can intern by identity).
 *
 * The key is the path attribute section minus MP_REACH_NLRI and MP_UNREACH_NLRI (they carry the
 * NLRI, which differ per message), plus the 4-octet AS option (it changes how AS_PATH reads). A
 * lookup allocates nothing: the octets are hashed in place (FNV-1a) and compared in place with the
 * stored copy. The copy is kept as a one-octet-per-character string, made only on a miss: a string
 * is one small object to the garbage collector, a typed array is several.
 */
import type { SectionScan } from './attribute-decode.js';
import type { BgpWireError } from './errors.js';
import type { CodecOptions, PathAttributes } from './types.js';

/** One decoded attribute set (without MP_REACH_NLRI / MP_UNREACH_NLRI) and what was wrong with it. */
export interface CacheEntry {
  readonly attributes: PathAttributes;
  readonly problems: readonly BgpWireError[] | undefined;
  /** PRESENT_* bits: which mandatory attributes were on the wire, well formed or not. */
  readonly present: number;
}

/** One cached set; entries whose keys hash alike are chained through `next`. */
interface Stored {
  readonly entry: CacheEntry;
  /** The key octets this entry was decoded from, one character per octet. */
  readonly key: string;
  readonly fourOctetAs: boolean;
  readonly next: Stored | undefined;
}

/** Decodes the attributes of `buf[start, end)` (MP attributes skipped) on a cache miss. */
export type DecodeEntry = (buf: Uint8Array, start: number, end: number, options: CodecOptions) => CacheEntry;

// The key of the current lookup: up to three [from, to) ranges of the section around the (at most
// two) MP attributes. Module scratch: the codec is synchronous and lookups do not nest.
const ranges = new Int32Array(6);
let rangeCount = 0;
let keyLength = 0;

function addRange(from: number, to: number): void {
  if (to <= from) return;
  ranges[2 * rangeCount] = from;
  ranges[2 * rangeCount + 1] = to;
  rangeCount++;
  keyLength += to - from;
}

function prepareKey(start: number, scan: SectionScan): void {
  rangeCount = 0;
  keyLength = 0;
  let first = scan.mpReach;
  let second = scan.mpUnreach;
  if (first === undefined || (second !== undefined && second.start < first.start)) {
    first = scan.mpUnreach;
    second = scan.mpReach;
  }
  let from = start;
  if (first !== undefined) {
    addRange(from, first.start);
    from = first.valueEnd;
  }
  if (second !== undefined) {
    addRange(from, second.start);
    from = second.valueEnd;
  }
  addRange(from, scan.end);
}

/** 32-bit FNV-1a over the key octets, seeded differently per ASN size. */
function hashKey(buf: Uint8Array, fourOctetAs: boolean): number {
  let hash = fourOctetAs ? 0x811c9dc5 : 0x050c5d1f;
  for (let r = 0; r < rangeCount; r++) {
    const to = ranges[2 * r + 1] as number;
    for (let p = ranges[2 * r] as number; p < to; p++) hash = Math.imul(hash ^ (buf[p] as number), 0x01000193);
  }
  // 30 bits: small integers, which V8 keeps unboxed and hashes fastest as Map keys.
  return hash & 0x3fffffff;
}

function matches(stored: Stored, buf: Uint8Array, fourOctetAs: boolean): boolean {
  const key = stored.key;
  if (stored.fourOctetAs !== fourOctetAs || key.length !== keyLength) return false;
  let q = 0;
  for (let r = 0; r < rangeCount; r++) {
    const to = ranges[2 * r + 1] as number;
    for (let p = ranges[2 * r] as number; p < to; p++, q++) if (buf[p] !== key.charCodeAt(q)) return false;
  }
  return true;
}

function latin1(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
}

function copyKey(buf: Uint8Array): string {
  let key = '';
  for (let r = 0; r < rangeCount; r++) key += latin1(buf, ranges[2 * r] as number, ranges[2 * r + 1] as number);
  return key;
}

function find(generation: Map<number, Stored>, hash: number, buf: Uint8Array, fourOctetAs: boolean): Stored | undefined {
  for (let stored = generation.get(hash); stored !== undefined; stored = stored.next) {
    if (matches(stored, buf, fourOctetAs)) return stored;
  }
  return undefined;
}

/**
 * Use one per session (or per peer); it holds nothing else. Bounded by two generations of at most
 * maxEntries / 2 each: new sets go into the young one; a hit in the old one moves the set to the
 * young one; when the young one is full the old one is dropped whole. Sets in use survive, and
 * nothing is scanned to evict.
 */
export class AttributeCache {
  readonly maxEntries: number;
  /** Lookups answered from the cache, and attribute sets decoded, since construction or clear(). */
  hits = 0;
  misses = 0;
  private readonly generationSize: number;
  private young = new Map<number, Stored>();
  private old = new Map<number, Stored>();
  private youngCount = 0;
  private oldCount = 0;

  constructor(maxEntries = 65_536) {
    if (!Number.isInteger(maxEntries) || maxEntries < 2) {
      throw new RangeError(`AttributeCache size ${maxEntries} must be an integer of at least 2`);
    }
    this.maxEntries = maxEntries;
    this.generationSize = Math.floor(maxEntries / 2);
  }

  /** Entries held (a set moved to the young generation may also still be counted in the old one). */
  get size(): number {
    return this.youngCount + this.oldCount;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngCount = 0;
    this.oldCount = 0;
    this.hits = 0;
    this.misses = 0;
  }

  /**
   * @internal For decodeUpdateBody: the entry for the attribute section at `start` (as scanned,
   * without overrun), decoding it with `decode` on a miss.
   */
  get(buf: Uint8Array, start: number, scan: SectionScan, options: CodecOptions, decode: DecodeEntry): CacheEntry {
    prepareKey(start, scan);
    const fourOctetAs = options.fourOctetAs;
    const hash = hashKey(buf, fourOctetAs);
    const young = find(this.young, hash, buf, fourOctetAs);
    if (young !== undefined) {
      this.hits++;
      return young.entry;
    }
    const old = find(this.old, hash, buf, fourOctetAs);
    let entry: CacheEntry;
    let key: string;
    if (old !== undefined) {
      this.hits++;
      entry = old.entry;
      key = old.key;
    } else {
      this.misses++;
      entry = decode(buf, start, scan.end, options);
      key = copyKey(buf);
    }
    this.store(hash, entry, key, fourOctetAs);
    return entry;
  }

  private store(hash: number, entry: CacheEntry, key: string, fourOctetAs: boolean): void {
    if (this.youngCount >= this.generationSize) {
      this.old = this.young;
      this.oldCount = this.youngCount;
      this.young = new Map();
      this.youngCount = 0;
    }
    this.young.set(hash, { entry, key, fourOctetAs, next: this.young.get(hash) });
    this.youngCount++;
  }
}

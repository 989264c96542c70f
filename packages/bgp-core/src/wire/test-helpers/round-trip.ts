/**
 * The one round-trip check every codec unit passes: the exact length, the same bytes when encoded
 * at an offset inside a larger buffer, and a decode that gives the value back.
 */
import type { Codec } from '../codec.js';
import type { CodecOptions } from '../types.js';
import { DEFAULT_CODEC_OPTIONS } from '../types.js';

interface Assert {
  equal(found: unknown, wanted: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
}

export function checkRoundTrip<T>(
  t: Assert,
  codec: Codec<T>,
  value: T,
  options: CodecOptions = DEFAULT_CODEC_OPTIONS,
  expected?: T,
): Uint8Array {
  const length = codec.encodingLength(value, options);
  const alone = new Uint8Array(length);
  t.equal(codec.encode(value, alone, 0, options), length, 'encode writes exactly encodingLength octets');

  const pad = 7;
  const larger = new Uint8Array(length + 2 * pad).fill(0xa5);
  t.equal(codec.encode(value, larger, pad, options), length, 'encode at an offset writes the same length');
  t.same(Buffer.from(larger.subarray(pad, pad + length)), Buffer.from(alone), 'encode at an offset writes the same bytes');
  t.equal(larger[pad - 1], 0xa5, 'nothing written before the offset');
  t.equal(larger[pad + length], 0xa5, 'nothing written after the value');

  t.same(codec.decode(larger, pad, length, options), expected ?? value, 'decode gives the value back');
  return alone;
}

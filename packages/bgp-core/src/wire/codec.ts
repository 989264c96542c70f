/**
 * The shape every codec unit has (after dns-packet / mqtt-packet): encode into a caller's buffer at
 * an offset, decode from a slice of a larger buffer, and know its exact length up front so a whole
 * message is allocated once. One round-trip helper (test-helpers/round-trip.ts) checks them all.
 */
import type { CodecOptions } from './types.js';

export interface Codec<T> {
  /** Exactly the number of octets `encode` will write. */
  encodingLength(value: T, options: CodecOptions): number;
  /** Writes `value` at `offset`; returns the number of octets written. */
  encode(value: T, buf: Uint8Array, offset: number, options: CodecOptions): number;
  /** Reads a value from `buf[offset, offset + length)`; throws only BgpWireError. */
  decode(buf: Uint8Array, offset: number, length: number, options: CodecOptions): T;
}

/**
 * What the fuzz test and the crash replay both run: a byte stream through MessageFramer (in a few
 * chunks) and decodeMessage, and decodeMessage on the bytes alone. The only acceptable outcomes are
 * success and BgpWireError; anything else is returned as a crash.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';

import { BgpWireError } from '../errors.js';
import { MessageFramer } from '../framing.js';
import { maxFrameLength } from '../header.js';
import { decodeMessage } from '../message.js';
import type { CodecOptions } from '../types.js';
import type { AttributeCache } from '../update.js';

/** Every combination of the negotiated facts the codec takes. */
export const ALL_OPTION_SETS: readonly CodecOptions[] = [
  { fourOctetAs: false, extendedMessage: false },
  { fourOctetAs: true, extendedMessage: false },
  { fourOctetAs: false, extendedMessage: true, enhancedRouteRefresh: true },
  { fourOctetAs: true, extendedMessage: true, enhancedRouteRefresh: true },
];

/** Where crashing inputs are kept, one hex file each (see its README.md). */
export const CRASH_DIRECTORY = new URL('../../../../../fixtures/fuzz-crashes/', import.meta.url);

export interface Crash {
  readonly input: Uint8Array;
  readonly options: CodecOptions;
  readonly error: unknown;
}

/**
 * Feeds `input` to a framer in pieces cut at `cuts` (sorted offsets), decoding every frame, then
 * decodes `input` directly as one frame. Returns the first error that is not a BgpWireError.
 */
export function exercise(
  input: Uint8Array,
  options: CodecOptions,
  cuts: readonly number[] = [],
  cache?: AttributeCache,
  outcomes?: Map<string, number>,
): unknown {
  const count = (key: string) => outcomes?.set(key, (outcomes.get(key) ?? 0) + 1);
  try {
    const framer = new MessageFramer(maxFrameLength(options));
    let from = 0;
    for (const cut of [...cuts, input.length]) {
      if (cut <= from) continue;
      framer.push(input.subarray(from, cut));
      from = cut;
      for (let frame = framer.next(); frame !== undefined; frame = framer.next()) {
        const message = decodeMessage(frame, options, cache);
        count(message.type === 'update' && message.problems !== undefined ? 'update with problems' : message.type);
      }
    }
  } catch (error) {
    if (!(error instanceof BgpWireError)) return error ?? new Error('threw a nullish value');
    count(error.code);
  }
  try {
    decodeMessage(input, options, cache);
  } catch (error) {
    if (!(error instanceof BgpWireError)) return error ?? new Error('threw a nullish value');
  }
  return undefined;
}

export function toHexFile(crash: Crash): string {
  const error = crash.error instanceof Error ? `${crash.error.name}: ${crash.error.message}` : String(crash.error);
  const hex = Buffer.from(crash.input).toString('hex').replace(/(.{64})/g, '$1\n').trim();
  return `# options: ${JSON.stringify(crash.options)}\n# error: ${error.replace(/\n/g, ' ')}\n${hex}\n`;
}

/** Writes a crash as `<sha256 prefix>.hex`; returns the file name. */
export function saveCrash(crash: Crash): string {
  if (!existsSync(CRASH_DIRECTORY)) mkdirSync(CRASH_DIRECTORY, { recursive: true });
  const name = `${createHash('sha256').update(crash.input).digest('hex').slice(0, 16)}.hex`;
  writeFileSync(new URL(name, CRASH_DIRECTORY), toHexFile(crash));
  return name;
}

/** Every `*.hex` file of the crash folder as bytes (lines starting with # are comments). */
export function loadCrashes(): { readonly name: string; readonly input: Uint8Array }[] {
  if (!existsSync(CRASH_DIRECTORY)) return [];
  return readdirSync(CRASH_DIRECTORY)
    .filter((name) => name.endsWith('.hex'))
    .sort()
    .map((name) => {
      const text = readFileSync(new URL(name, CRASH_DIRECTORY), 'utf8');
      const hex = text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('')
        .replace(/\s+/g, '');
      return { name, input: Uint8Array.from(Buffer.from(hex, 'hex')) };
    });
}

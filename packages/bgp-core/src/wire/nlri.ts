/**
 * Prefixes on the wire (RFC 4271 section 4.3, RFC 4760 section 5) and as canonical CIDR text.
 *
 * On the wire a prefix is one length octet (in bits) followed by the fewest octets that hold that
 * many bits. In memory it is a canonical CIDR string: dotted quad for IPv4, RFC 5952 text for IPv6,
 * host bits cleared, so one prefix has exactly one spelling and can key a Map directly.
 *
 * Decoding a full table is the hot path: the IPv4 loop builds each string straight from the octets
 * and allocates nothing else per prefix. Encoding writes straight into the caller's buffer.
 */
import { ErrorCode, UpdateSubcode } from './constants.js';
import { BgpWireError } from './errors.js';
import type { AddressFamily } from './types.js';

/** Thrown for a prefix that is too long or runs past its field; the caller may re-classify it. */
function invalidNetworkField(message: string): BgpWireError {
  return new BgpWireError('ERR_BGP_INVALID_NETWORK_FIELD', message, {
    code: ErrorCode.UPDATE_MESSAGE,
    subcode: UpdateSubcode.INVALID_NETWORK_FIELD,
  });
}

/**
 * Scratch space for one address while it is parsed, masked or formatted. The codec is synchronous
 * and never re-enters these helpers, so sharing them saves an allocation per prefix.
 */
const scratch16 = new Uint8Array(16);
const scratch4 = new Uint8Array(4);
const scratchGroups = new Uint16Array(8);

/** The decimal digits of 0..255 as ASCII octets. */
const DECIMAL: readonly Uint8Array[] = Array.from({ length: 256 }, (_, n) => Uint8Array.from(String(n), (ch) => ch.charCodeAt(0)));
const prefixScratch = Buffer.alloc(18); // "255.255.255.255/32"

function putDecimal(n: number, p: number): number {
  const digits = DECIMAL[n] as Uint8Array;
  for (let i = 0; i < digits.length; i++) prefixScratch[p++] = digits[i] as number;
  return p;
}

/**
 * "a.b.c.d/len" as one flat string. Concatenation would make a rope of nine pieces that the RIB's
 * Map flattens on insert anyway: a full table then costs ~30 MB more, for no gain in time.
 */
function ipv4PrefixText(a: number, b: number, c: number, d: number, bits: number): string {
  let p = putDecimal(a, 0);
  prefixScratch[p++] = 0x2e;
  p = putDecimal(b, p);
  prefixScratch[p++] = 0x2e;
  p = putDecimal(c, p);
  prefixScratch[p++] = 0x2e;
  p = putDecimal(d, p);
  prefixScratch[p++] = 0x2f;
  p = putDecimal(bits, p);
  return prefixScratch.toString('latin1', 0, p);
}

/**
 * Reads the length-prefixed prefixes in `buf[offset, offset + length)`. Host bits are masked, so
 * a sender's stray bits never make two spellings of one prefix. Throws BgpWireError (Invalid
 * Network Field) when a prefix is longer than the address or runs past the end of the field.
 */
export function decodePrefixes(buf: Uint8Array, offset: number, length: number, family: AddressFamily): string[] {
  const end = offset + length;
  if (offset < 0 || length < 0 || end > buf.length) {
    throw invalidNetworkField(`prefix field [${offset}, ${end}) lies outside a ${buf.length}-octet buffer`);
  }
  const prefixes: string[] = [];
  let p = offset;
  if (family === 'ipv4') {
    while (p < end) {
      const bits = buf[p] as number;
      if (bits > 32) throw invalidNetworkField(`IPv4 prefix length ${bits} is longer than 32`);
      const octets = (bits + 7) >> 3;
      if (p + 1 + octets > end) {
        throw invalidNetworkField(`IPv4 prefix /${bits} needs ${octets} octets but only ${end - p - 1} remain`);
      }
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      if (octets > 0) a = buf[p + 1] as number;
      if (octets > 1) b = buf[p + 2] as number;
      if (octets > 2) c = buf[p + 3] as number;
      if (octets > 3) d = buf[p + 4] as number;
      const spare = (octets << 3) - bits;
      if (spare !== 0) {
        // Clear the host bits of the last octet present (the others are absent, so already zero).
        const mask = (0xff << spare) & 0xff;
        if (octets === 1) a &= mask;
        else if (octets === 2) b &= mask;
        else if (octets === 3) c &= mask;
        else d &= mask;
      }
      prefixes.push(ipv4PrefixText(a, b, c, d, bits));
      p += 1 + octets;
    }
    return prefixes;
  }
  while (p < end) {
    const bits = buf[p] as number;
    if (bits > 128) throw invalidNetworkField(`IPv6 prefix length ${bits} is longer than 128`);
    const octets = (bits + 7) >> 3;
    if (p + 1 + octets > end) {
      throw invalidNetworkField(`IPv6 prefix /${bits} needs ${octets} octets but only ${end - p - 1} remain`);
    }
    scratch16.fill(0);
    scratch16.set(buf.subarray(p + 1, p + 1 + octets));
    const spare = (octets << 3) - bits;
    if (spare !== 0) scratch16[octets - 1] = (scratch16[octets - 1] as number) & ((0xff << spare) & 0xff);
    prefixes.push(formatIpv6(scratch16, 0) + '/' + bits);
    p += 1 + octets;
  }
  return prefixes;
}

/** Position of the '/' in a CIDR string, or a clear error. */
function slashIndex(prefix: string): number {
  const slash = prefix.lastIndexOf('/');
  if (slash < 0) throw new Error(`"${prefix}" is not a prefix: expected address/length`);
  return slash;
}

/** Parses the decimal prefix length after the slash (no sign, no leading zeros), or -1. */
function parseLength(text: string, start: number, end: number): number {
  if (start >= end || end - start > 3) return -1;
  if (end - start > 1 && text.charCodeAt(start) === 0x30) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Whether a prefix string is IPv6 (it has a colon); does not validate. */
export function prefixFamily(text: string): AddressFamily {
  return text.indexOf(':') >= 0 ? 'ipv6' : 'ipv4';
}

/** Octets the prefix takes on the wire: the length octet plus the octets holding its bits. */
export function encodedPrefixLength(prefix: string): number {
  const slash = slashIndex(prefix);
  const bits = parseLength(prefix, slash + 1, prefix.length);
  if (bits < 0) throw new Error(`"${prefix}" has an invalid prefix length`);
  return 1 + ((bits + 7) >> 3);
}

/**
 * Writes one prefix in the RFC 4271 length-prefixed form at `offset`; returns the octets written.
 * Host bits are cleared on the way. Throws a plain Error for text that is not a prefix.
 */
export function writePrefix(prefix: string, buf: Uint8Array, offset: number): number {
  const slash = slashIndex(prefix);
  const bits = parseLength(prefix, slash + 1, prefix.length);
  const isV6 = prefix.indexOf(':') >= 0;
  if (bits < 0 || bits > (isV6 ? 128 : 32)) throw new Error(`"${prefix}" has an invalid prefix length`);
  const octets = (bits + 7) >> 3;
  if (offset + 1 + octets > buf.length) throw new RangeError(`no room for "${prefix}" at offset ${offset}`);
  if (isV6) {
    parseIpv6Range(prefix, 0, slash, scratch16, 0);
    buf[offset] = bits;
    for (let i = 0; i < octets; i++) buf[offset + 1 + i] = scratch16[i] as number;
  } else {
    // Written in place: only the octets the prefix needs are kept.
    buf[offset] = bits;
    if (octets === 4) {
      parseIpv4Range(prefix, 0, slash, buf, offset + 1);
    } else {
      parseIpv4Range(prefix, 0, slash, scratch16, 0);
      for (let i = 0; i < octets; i++) buf[offset + 1 + i] = scratch16[i] as number;
    }
  }
  const spare = (octets << 3) - bits;
  if (spare !== 0) {
    const last = offset + octets;
    buf[last] = (buf[last] as number) & ((0xff << spare) & 0xff);
  }
  return 1 + octets;
}

/**
 * Parses CIDR text for configuration and control input: validates it, clears the host bits and
 * returns the family, the length and the full-width address octets. A bare address is taken as a
 * host prefix (/32 or /128). Throws a plain Error naming what is wrong (this is not wire decoding).
 */
export function parsePrefix(text: string): { family: AddressFamily; length: number; bytes: Uint8Array } {
  const family = prefixFamily(text);
  const width = family === 'ipv6' ? 128 : 32;
  const slash = text.indexOf('/');
  const addressEnd = slash < 0 ? text.length : slash;
  let length = width;
  if (slash >= 0) {
    length = parseLength(text, slash + 1, text.length);
    if (length < 0 || length > width) {
      throw new Error(`"${text}" has an invalid prefix length (expected 0 to ${width})`);
    }
  }
  const bytes = new Uint8Array(width / 8);
  if (family === 'ipv6') parseIpv6Range(text, 0, addressEnd, bytes, 0);
  else parseIpv4Range(text, 0, addressEnd, bytes, 0);
  for (let bit = length; bit < width; bit++) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] as number) & ~(0x80 >> (bit & 7));
  }
  return { family, length, bytes };
}

/** The canonical spelling of a prefix (host bits cleared, RFC 5952 for IPv6); throws on bad input. */
export function normalizePrefix(text: string): string {
  const { family, length, bytes } = parsePrefix(text);
  return (family === 'ipv6' ? formatIpv6(bytes, 0) : formatIpv4(bytes, 0)) + '/' + length;
}

/** Four octets at `offset` as a dotted quad. */
export function formatIpv4(buf: Uint8Array, offset: number): string {
  return (buf[offset] as number) + '.' + (buf[offset + 1] as number) + '.' + (buf[offset + 2] as number) + '.' + (buf[offset + 3] as number);
}

/**
 * Sixteen octets at `offset` as RFC 5952 text: lower-case hex, no leading zeros, the longest run
 * of two or more zero groups (the first of equal runs) shortened to "::", and IPv4-mapped
 * addresses in the mixed "::ffff:192.0.2.1" form (RFC 5952 section 5).
 */
export function formatIpv6(buf: Uint8Array, offset: number): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) {
    if (buf[offset + i] !== 0) {
      mapped = false;
      break;
    }
  }
  if (mapped && buf[offset + 10] === 0xff && buf[offset + 11] === 0xff) {
    return '::ffff:' + formatIpv4(buf, offset + 12);
  }

  // Find the longest run of zero groups.
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const isZero = buf[offset + 2 * g] === 0 && buf[offset + 2 * g + 1] === 0;
    if (isZero) {
      if (runStart < 0) runStart = g;
      const runLength = g - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;

  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += '::';
      g += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(':')) text += ':';
    text += (((buf[offset + 2 * g] as number) << 8) | (buf[offset + 2 * g + 1] as number)).toString(16);
  }
  return text;
}

/** Parses a dotted quad into 4 octets at `offset`; returns 4. Throws a plain Error on bad text. */
export function parseIpv4(text: string, buf: Uint8Array, offset: number): number {
  parseIpv4Range(text, 0, text.length, buf, offset);
  return 4;
}

/** Parses IPv6 text (any RFC 4291 form, including an embedded dotted quad) into 16 octets; returns 16. */
export function parseIpv6(text: string, buf: Uint8Array, offset: number): number {
  parseIpv6Range(text, 0, text.length, buf, offset);
  return 16;
}

function badAddress(text: string, family: string): Error {
  return new Error(`"${text}" is not a valid ${family} address`);
}

/** Dotted quad in text[start, end): four decimal octets 0-255 without leading zeros (no octal ambiguity). */
function parseIpv4Range(text: string, start: number, end: number, buf: Uint8Array, offset: number): void {
  let part = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i <= end; i++) {
    const code = i < end ? text.charCodeAt(i) : 0x2e; // a virtual '.' closes the last octet
    if (code === 0x2e) {
      if (digits === 0 || part > 3) throw badAddress(text.slice(start, end), 'IPv4');
      buf[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
      leadingZero = false;
      continue;
    }
    const digit = code - 0x30;
    if (digit < 0 || digit > 9 || leadingZero) throw badAddress(text.slice(start, end), 'IPv4');
    if (digits === 0 && digit === 0) leadingZero = true;
    value = value * 10 + digit;
    digits++;
    if (value > 255) throw badAddress(text.slice(start, end), 'IPv4');
  }
  if (part !== 4) throw badAddress(text.slice(start, end), 'IPv4');
}

function badIpv6(text: string, start: number, end: number): Error {
  return badAddress(text.slice(start, end), 'IPv6');
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

/** IPv6 text in text[start, end) into 16 octets: hex groups, at most one "::", optional trailing dotted quad. */
function parseIpv6Range(text: string, start: number, end: number, buf: Uint8Array, offset: number): void {
  if (end - start < 2) throw badIpv6(text, start, end);
  // Groups are written left to right, then the "::" gap is opened by moving the tail right.
  const groups = scratchGroups;
  groups.fill(0);
  let count = 0;
  let gapAt = -1;
  let i = start;
  if (text.charCodeAt(i) === 0x3a) {
    if (text.charCodeAt(i + 1) !== 0x3a) throw badIpv6(text, start, end);
    gapAt = 0;
    i += 2;
  }
  while (i < end) {
    // Dotted quad tail: only where two groups remain to be filled.
    let isQuad = false;
    for (let j = i; j < end && text.charCodeAt(j) !== 0x3a; j++) {
      if (text.charCodeAt(j) === 0x2e) {
        isQuad = true;
        break;
      }
    }
    if (isQuad) {
      if (count > 6) throw badIpv6(text, start, end);
      parseIpv4Range(text, i, end, scratch4, 0);
      groups[count++] = ((scratch4[0] as number) << 8) | (scratch4[1] as number);
      groups[count++] = ((scratch4[2] as number) << 8) | (scratch4[3] as number);
      i = end;
      break;
    }
    let value = 0;
    let digits = 0;
    while (i < end) {
      const v = hexValue(text.charCodeAt(i));
      if (v < 0) break;
      value = (value << 4) | v;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 4 || count >= 8) throw badIpv6(text, start, end);
    groups[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) throw badIpv6(text, start, end);
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (gapAt >= 0) throw badIpv6(text, start, end);
      gapAt = count;
      i++;
    } else if (i === end) {
      throw badIpv6(text, start, end); // a single trailing colon
    }
  }
  if (gapAt >= 0) {
    if (count > 7) throw badIpv6(text, start, end); // "::" must stand for at least one group
    const tail = count - gapAt;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k] as number;
    for (let k = gapAt; k < 8 - tail; k++) groups[k] = 0;
  } else if (count !== 8) {
    throw badIpv6(text, start, end);
  }
  for (let g = 0; g < 8; g++) {
    const value = groups[g] as number;
    buf[offset + 2 * g] = value >> 8;
    buf[offset + 2 * g + 1] = value & 0xff;
  }
}

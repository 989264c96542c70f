/**
 * Big-endian reads and writes and range checks shared by the header, OPEN, capability,
 * NOTIFICATION and ROUTE-REFRESH codecs. Plain index arithmetic: no DataView to allocate per call.
 * Internal to the wire folder (not re-exported by index.ts).
 */

export function readUint16(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function readUint32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeUint16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 8;
  buf[offset + 1] = value;
}

export function writeUint32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = value >>> 16;
  buf[offset + 2] = value >>> 8;
  buf[offset + 3] = value;
}

/**
 * For encoders: `value` if it is an integer in [0, max], else a RangeError naming the field.
 * Encoding a value that cannot be represented is a programming error, not a peer's fault, so it is
 * not a BgpWireError.
 */
export function checkedInteger(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} ${value} is not an integer in [0, ${max}]`);
  return value;
}

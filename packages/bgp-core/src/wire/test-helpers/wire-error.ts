/**
 * Asserts that a call throws a BgpWireError with the expected stable code and NOTIFICATION fields.
 */
import { BgpWireError } from '../errors.js';

interface Assert {
  ok(value: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
  fail(message: string): unknown;
}

export interface ExpectedWireError {
  /** The stable `code` string, e.g. 'ERR_BGP_BAD_MESSAGE_LENGTH'. */
  readonly code: string;
  /** NOTIFICATION error code and subcode. */
  readonly error: number;
  readonly subcode: number;
  /** The NOTIFICATION data, when the test pins it. */
  readonly data?: Uint8Array | readonly number[];
}

export function expectWireError(t: Assert, fn: () => unknown, expected: ExpectedWireError, what = expected.code): BgpWireError | undefined {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof BgpWireError)) {
      t.fail(`${what}: threw ${String(error)} instead of a BgpWireError`);
      return undefined;
    }
    t.equal(error.code, expected.code, `${what}: code`);
    t.equal(error.notification.code, expected.error, `${what}: NOTIFICATION error code`);
    t.equal(error.notification.subcode, expected.subcode, `${what}: NOTIFICATION subcode`);
    if (expected.data !== undefined) {
      t.same(Buffer.from(error.notification.data), Buffer.from(Uint8Array.from(expected.data)), `${what}: NOTIFICATION data`);
    }
    return error;
  }
  t.fail(`${what}: did not throw`);
  return undefined;
}

/** A message: 16 octets of marker, the length (the real one unless overridden), the type, the body. */
export function frame(type: number, body: readonly number[] | Uint8Array = [], lengthField?: number): Uint8Array {
  const length = 19 + body.length;
  const buf = new Uint8Array(length);
  buf.fill(0xff, 0, 16);
  const declared = lengthField ?? length;
  buf[16] = declared >>> 8;
  buf[17] = declared & 0xff;
  buf[18] = type;
  buf.set(Uint8Array.from(body), 19);
  return buf;
}

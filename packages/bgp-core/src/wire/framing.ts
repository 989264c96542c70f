/**
 * Chunks in, whole BGP messages out (RFC 4271 section 4.1: every message starts with the 19-octet
 * header whose Length covers the whole message).
 *
 * A little state machine over a list of received chunks:
 *
 *   AWAITING_HEADER --(19 octets buffered; marker and length good)--> AWAITING_BODY
 *   AWAITING_BODY   --(Length octets buffered; message handed out)--> AWAITING_HEADER
 *   either          --(bad marker or length)-------------------------> FAILED (throws, for good)
 *
 * The header is checked as soon as its 19 octets are there, before any of the body is buffered,
 * so a peer cannot make us hold more than the session's maximum. A message lying inside one chunk
 * is returned as a zero-copy view of that chunk; only a message spanning chunks is copied (once).
 * The returned views stay valid as long as the caller does not overwrite the pushed chunks.
 */
import { HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import { BgpWireError } from './errors.js';
import { checkFramedHeader } from './header.js';

const AWAITING_HEADER = 0;
const AWAITING_BODY = 1;
const FAILED = 2;
type FramerState = typeof AWAITING_HEADER | typeof AWAITING_BODY | typeof FAILED;

const EMPTY = new Uint8Array(0);
/** Consumed slots at the front of the chunk list are compacted away past this count. */
const COMPACT_AFTER = 64;

export class MessageFramer {
  #maxLength: number;
  /** Received chunks; `#chunks[#first]` is the oldest with unread octets, read from `#offset`. */
  #chunks: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #buffered = 0;
  #state: FramerState = AWAITING_HEADER;
  /** Length of the message whose header was accepted, while AWAITING_BODY. */
  #messageLength = 0;
  #error: BgpWireError | undefined;
  /** Where a header split over chunks is gathered to be checked; reused. */
  readonly #headerScratch = new Uint8Array(HEADER_LENGTH);

  /** `maxLength`: 4096 until RFC 8654 extended messages are negotiated, then 65535. */
  constructor(maxLength: number = MAX_MESSAGE_LENGTH) {
    this.#maxLength = validMaxLength(maxLength);
  }

  /** Applies to headers read from now on (call it once the OPEN exchange negotiated extended messages). */
  setMaxLength(n: number): void {
    this.#maxLength = validMaxLength(n);
  }

  get maxLength(): number {
    return this.#maxLength;
  }

  /** Octets received and not yet handed out by `next()`. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Adds received octets. The framer keeps a reference, not a copy. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next whole message (header included), or undefined until more octets arrive. Throws
   * BgpWireError (Message Header Error) on a bad marker or length; after that the framer is
   * failed and every call throws the same error (the session must close, RFC 4271 section 6.1).
   */
  next(): Uint8Array | undefined {
    if (this.#state === AWAITING_HEADER) {
      if (this.#buffered < HEADER_LENGTH) return undefined;
      this.#acceptHeader();
    } else if (this.#state === FAILED) {
      throw this.#error!;
    }
    if (this.#buffered < this.#messageLength) return undefined;
    this.#state = AWAITING_HEADER;
    return this.#take(this.#messageLength);
  }

  #acceptHeader(): void {
    const chunk = this.#chunks[this.#first]!;
    try {
      this.#messageLength =
        chunk.length - this.#offset >= HEADER_LENGTH
          ? checkFramedHeader(chunk, this.#offset, this.#maxLength)
          : checkFramedHeader(this.#gatherHeader(), 0, this.#maxLength);
    } catch (error) {
      this.#state = FAILED;
      this.#error = error as BgpWireError;
      throw error;
    }
    this.#state = AWAITING_BODY;
  }

  /** Copies the 19 header octets that span chunks into the scratch buffer, without consuming them. */
  #gatherHeader(): Uint8Array {
    const scratch = this.#headerScratch;
    let written = 0;
    let index = this.#first;
    let offset = this.#offset;
    while (written < HEADER_LENGTH) {
      const chunk = this.#chunks[index]!;
      const count = Math.min(chunk.length - offset, HEADER_LENGTH - written);
      for (let i = 0; i < count; i++) scratch[written + i] = chunk[offset + i]!;
      written += count;
      index++;
      offset = 0;
    }
    return scratch;
  }

  /** Consumes `length` octets: a view when they lie in one chunk, else one copy. */
  #take(length: number): Uint8Array {
    this.#buffered -= length;
    const chunk = this.#chunks[this.#first]!;
    const start = this.#offset;
    if (chunk.length - start >= length) {
      this.#offset = start + length;
      if (this.#offset === chunk.length) this.#dropFirst();
      return chunk.subarray(start, start + length);
    }
    const message = new Uint8Array(length);
    let written = 0;
    while (written < length) {
      const current = this.#chunks[this.#first]!;
      const from = this.#offset;
      const count = Math.min(current.length - from, length - written);
      message.set(count === current.length ? current : current.subarray(from, from + count), written);
      written += count;
      this.#offset = from + count;
      if (this.#offset === current.length) this.#dropFirst();
    }
    return message;
  }

  #dropFirst(): void {
    const chunks = this.#chunks;
    chunks[this.#first] = EMPTY; // let the consumed chunk be collected
    this.#first++;
    this.#offset = 0;
    if (this.#first === chunks.length) {
      chunks.length = 0;
      this.#first = 0;
    } else if (this.#first >= COMPACT_AFTER && this.#first * 2 >= chunks.length) {
      chunks.splice(0, this.#first);
      this.#first = 0;
    }
  }
}

function validMaxLength(n: number): number {
  if (!Number.isInteger(n) || n < HEADER_LENGTH || n > MAX_EXTENDED_MESSAGE_LENGTH) {
    throw new RangeError(`maximum message length must be an integer in [${HEADER_LENGTH}, ${MAX_EXTENDED_MESSAGE_LENGTH}], got ${n}`);
  }
  return n;
}

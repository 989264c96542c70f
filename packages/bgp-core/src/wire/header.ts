/**
 * The 19-octet message header (RFC 4271 section 4.1) and its error checks (section 6.1).
 *
 *   Marker (16 octets, all ones) | Length (2 octets, whole message) | Type (1 octet)
 *
 * Two levels of checking: `checkFramedHeader` is what the framer can know from the first 19 octets
 * (marker, and a length that fits between the header and the session's maximum); `checkMessage`
 * is the full check on a whole message (the length field matches, the type is known, and the
 * length suits the type under the negotiated options).
 */
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MARKER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  RouteRefreshSubcode,
} from './constants.js';
import type { MessageTypeCode } from './constants.js';
import { BgpWireError } from './errors.js';
import { readUint16, writeUint16 } from './octets.js';
import type { CodecOptions } from './types.js';

/** RFC 4271 section 4.2-4.4 and RFC 2918 section 3: the smallest legal length of each message. */
export const MIN_OPEN_LENGTH = 29;
export const MIN_UPDATE_LENGTH = 23;
export const MIN_NOTIFICATION_LENGTH = 21;
export const KEEPALIVE_LENGTH = HEADER_LENGTH;
export const ROUTE_REFRESH_LENGTH = 23;

/** Offsets inside the header. */
const LENGTH_OFFSET = MARKER_LENGTH;
const TYPE_OFFSET = MARKER_LENGTH + 2;

// ---------------------------------------------------------------------------------------------
// Errors (RFC 4271 section 6.1)

/** The marker is not all ones: Message Header Error/Connection Not Synchronized, no data. */
export function connectionNotSynchronized(): BgpWireError {
  return new BgpWireError('ERR_BGP_CONNECTION_NOT_SYNCHRONIZED', 'BGP message marker is not all ones', {
    code: ErrorCode.MESSAGE_HEADER,
    subcode: HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
  });
}

/** Message Header Error/Bad Message Length; the data is the erroneous 2-octet Length field. */
export function badMessageLength(length: number, why = 'is not allowed'): BgpWireError {
  const data = new Uint8Array(2);
  writeUint16(data, 0, length);
  return new BgpWireError('ERR_BGP_BAD_MESSAGE_LENGTH', `BGP message length ${length} ${why}`, {
    code: ErrorCode.MESSAGE_HEADER,
    subcode: HeaderSubcode.BAD_MESSAGE_LENGTH,
    data,
  });
}

/** Message Header Error/Bad Message Type; the data is the erroneous Type octet. */
export function badMessageType(type: number): BgpWireError {
  return new BgpWireError('ERR_BGP_BAD_MESSAGE_TYPE', `unknown BGP message type ${type}`, {
    code: ErrorCode.MESSAGE_HEADER,
    subcode: HeaderSubcode.BAD_MESSAGE_TYPE,
    data: Uint8Array.of(type),
  });
}

/**
 * RFC 7313 section 5: ROUTE-REFRESH Message Error/Invalid Message Length, with the complete
 * ROUTE-REFRESH message (header included) as data. Copied, so the error does not pin the
 * receive buffer. Note that a NOTIFICATION carrying a long message may itself exceed the maximum
 * message length; the sender of the NOTIFICATION has to cut the data to fit.
 */
export function routeRefreshInvalidLength(message: Uint8Array): BgpWireError {
  return new BgpWireError(
    'ERR_BGP_ROUTE_REFRESH_INVALID_LENGTH',
    `ROUTE-REFRESH message length ${message.length} is not ${ROUTE_REFRESH_LENGTH}`,
    { code: ErrorCode.ROUTE_REFRESH_MESSAGE, subcode: RouteRefreshSubcode.INVALID_MESSAGE_LENGTH, data: message.slice() },
  );
}

/** Thrown by encoders when a message would exceed the maximum length for the session's options. */
export function messageTooLong(length: number, max: number): BgpWireError {
  const error = badMessageLength(Math.min(length, 0xffff), `exceeds the maximum of ${max}`);
  return new BgpWireError('ERR_BGP_MESSAGE_TOO_LONG', `BGP message of ${length} octets exceeds the maximum of ${max}`, error.notification);
}

// ---------------------------------------------------------------------------------------------
// Lengths

/**
 * The largest message of `type` allowed under `options`: 4096, or 65535 with RFC 8654 extended
 * messages except for OPEN and KEEPALIVE, which stay at 4096 (RFC 8654 section 3).
 */
export function maxMessageLength(type: number, options: CodecOptions): number {
  if (!options.extendedMessage || type === MessageType.OPEN || type === MessageType.KEEPALIVE) return MAX_MESSAGE_LENGTH;
  return MAX_EXTENDED_MESSAGE_LENGTH;
}

/** The largest message of any type under `options`: what the framer accepts before the type is checked. */
export function maxFrameLength(options: CodecOptions): number {
  return options.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Writes marker, length and type at `offset`; returns HEADER_LENGTH. */
export function writeHeader(buf: Uint8Array, offset: number, type: MessageTypeCode, length: number): number {
  buf.fill(0xff, offset, offset + MARKER_LENGTH);
  writeUint16(buf, offset + LENGTH_OFFSET, length);
  buf[offset + TYPE_OFFSET] = type;
  return HEADER_LENGTH;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Throws Connection Not Synchronized unless the 16 octets at `offset` are all ones. */
export function checkMarker(buf: Uint8Array, offset: number): void {
  for (let i = offset, end = offset + MARKER_LENGTH; i < end; i++) {
    if (buf[i] !== 0xff) throw connectionNotSynchronized();
  }
}

/** The Length field of the header at `offset` (unchecked). */
export function readMessageLength(buf: Uint8Array, offset: number): number {
  return readUint16(buf, offset + LENGTH_OFFSET);
}

/** The Type field of the header at `offset` (unchecked). */
export function readMessageType(buf: Uint8Array, offset: number): number {
  return buf[offset + TYPE_OFFSET]!;
}

/**
 * What can be checked from the 19 header octets alone, before the body is buffered: the marker,
 * and a length between 19 and `maxLength`. Returns the message length.
 */
export function checkFramedHeader(buf: Uint8Array, offset: number, maxLength: number): number {
  checkMarker(buf, offset);
  const length = readMessageLength(buf, offset);
  if (length < HEADER_LENGTH) throw badMessageLength(length, `is shorter than the ${HEADER_LENGTH}-octet header`);
  if (length > maxLength) throw badMessageLength(length, `exceeds the maximum of ${maxLength}`);
  return length;
}

/**
 * The whole header check (RFC 4271 section 6.1) on a complete message `frame` (header included,
 * exactly one message): marker, Length equal to the frame's length and within the maximum, a known
 * type, and a length legal for that type. Returns the type.
 */
export function checkMessage(frame: Uint8Array, options: CodecOptions): MessageTypeCode {
  if (frame.length < HEADER_LENGTH) {
    throw badMessageLength(frame.length, `is shorter than the ${HEADER_LENGTH}-octet header`);
  }
  checkMarker(frame, 0);
  const length = readMessageLength(frame, 0);
  if (length !== frame.length) throw badMessageLength(length, `does not match the ${frame.length} octets received`);
  const max = maxFrameLength(options);
  if (length > max) throw badMessageLength(length, `exceeds the maximum of ${max}`);
  const type = frame[TYPE_OFFSET]!;
  switch (type) {
    case MessageType.UPDATE:
      if (length < MIN_UPDATE_LENGTH) throw badMessageLength(length, `is too short for an UPDATE`);
      return type;
    case MessageType.KEEPALIVE:
      if (length !== KEEPALIVE_LENGTH) throw badMessageLength(length, `is not ${KEEPALIVE_LENGTH} for a KEEPALIVE`);
      return type;
    case MessageType.OPEN:
      if (length < MIN_OPEN_LENGTH) throw badMessageLength(length, `is too short for an OPEN`);
      if (length > MAX_MESSAGE_LENGTH) throw badMessageLength(length, `exceeds ${MAX_MESSAGE_LENGTH} for an OPEN`);
      return type;
    case MessageType.NOTIFICATION:
      if (length < MIN_NOTIFICATION_LENGTH) throw badMessageLength(length, `is too short for a NOTIFICATION`);
      return type;
    case MessageType.ROUTE_REFRESH:
      if (length !== ROUTE_REFRESH_LENGTH) {
        // RFC 7313 section 5 replaces the header error once enhanced route refresh is negotiated.
        if (options.enhancedRouteRefresh === true) throw routeRefreshInvalidLength(frame);
        throw badMessageLength(length, `is not ${ROUTE_REFRESH_LENGTH} for a ROUTE-REFRESH`);
      }
      return type;
    default:
      throw badMessageType(type);
  }
}

/**
 * Whole messages: header + body, in both directions. The entry points the session uses:
 * `decodeMessage` on each frame the MessageFramer hands out, `encodeMessage` for each message sent.
 */
import { HEADER_LENGTH, MessageType } from './constants.js';
import type { MessageTypeCode } from './constants.js';
import type { Codec } from './codec.js';
import { checkMessage, maxMessageLength, messageTooLong, writeHeader } from './header.js';
import { KEEPALIVE, keepaliveBody } from './keepalive.js';
import { notificationBody } from './notification.js';
import { openBody } from './open.js';
import { routeRefreshBody } from './route-refresh.js';
import type { BgpMessage, CodecOptions } from './types.js';
import { decodeUpdateBody, updateBody } from './update.js';
import type { AttributeCache } from './update.js';

/**
 * The 19 octets of a KEEPALIVE, ready to write to a socket. Shared: never modify it (a typed array
 * cannot be frozen).
 */
export const KEEPALIVE_MESSAGE: Uint8Array = new Uint8Array(HEADER_LENGTH);
writeHeader(KEEPALIVE_MESSAGE, 0, MessageType.KEEPALIVE, HEADER_LENGTH);

/**
 * Decodes one whole message (header included, exactly as MessageFramer.next() returns it). The
 * header is checked again in full (RFC 4271 section 6.1: marker, length against the frame, type,
 * length for the type under `options`). Throws only BgpWireError. UPDATE bodies go to
 * decodeUpdateBody with `updateCache`, which interns attribute sets across messages.
 */
export function decodeMessage(frame: Uint8Array, options: CodecOptions, updateCache?: AttributeCache): BgpMessage {
  const type = checkMessage(frame, options);
  const bodyLength = frame.length - HEADER_LENGTH;
  switch (type) {
    case MessageType.UPDATE:
      return decodeUpdateBody(frame, HEADER_LENGTH, bodyLength, options, updateCache);
    case MessageType.KEEPALIVE:
      return KEEPALIVE; // checkMessage made sure the length is 19
    case MessageType.OPEN:
      return openBody.decode(frame, HEADER_LENGTH, bodyLength, options);
    case MessageType.NOTIFICATION:
      return notificationBody.decode(frame, HEADER_LENGTH, bodyLength, options);
    case MessageType.ROUTE_REFRESH:
      return routeRefreshBody.decode(frame, HEADER_LENGTH, bodyLength, options);
    default:
      return assertNever(type);
  }
}

/**
 * Encodes one whole message into a new buffer. Throws BgpWireError `ERR_BGP_MESSAGE_TOO_LONG` when
 * it would exceed the maximum for its type under `options` (4096; 65535 with RFC 8654 extended
 * messages, except OPEN and KEEPALIVE); RangeError for field values that cannot be represented.
 */
export function encodeMessage(message: BgpMessage, options: CodecOptions): Uint8Array {
  switch (message.type) {
    case 'update':
      return encodeWith(MessageType.UPDATE, updateBody, message, options);
    case 'keepalive':
      return encodeWith(MessageType.KEEPALIVE, keepaliveBody, message, options);
    case 'open':
      return encodeWith(MessageType.OPEN, openBody, message, options);
    case 'notification':
      return encodeWith(MessageType.NOTIFICATION, notificationBody, message, options);
    case 'route-refresh':
      return encodeWith(MessageType.ROUTE_REFRESH, routeRefreshBody, message, options);
    default:
      return assertNever(message);
  }
}

function encodeWith<T>(type: MessageTypeCode, codec: Codec<T>, message: T, options: CodecOptions): Uint8Array {
  const length = HEADER_LENGTH + codec.encodingLength(message, options);
  const max = maxMessageLength(type, options);
  if (length > max) throw messageTooLong(length, max);
  const buf = new Uint8Array(length);
  writeHeader(buf, 0, type, length);
  const written = codec.encode(message, buf, HEADER_LENGTH, options);
  if (HEADER_LENGTH + written !== length) {
    throw new Error(`internal error: encoder for message type ${type} wrote ${written} octets, announced ${length - HEADER_LENGTH}`);
  }
  return buf;
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected BGP message ${JSON.stringify(value)}`);
}

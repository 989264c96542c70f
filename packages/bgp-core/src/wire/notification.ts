/**
 * The NOTIFICATION message body (RFC 4271 section 4.5), header excluded:
 *
 *   Error code (1) | Error subcode (1) | Data (variable)
 *
 * plus the RFC 9003 Shutdown Communication that Cease/Administrative Shutdown and
 * Cease/Administrative Reset may carry in Data (1 octet length, then up to 255 octets of UTF-8),
 * and readable names for codes and subcodes for the logs.
 */
import { CeaseSubcode, ErrorCode, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import type { Codec } from './codec.js';
import { badMessageLength } from './header.js';
import { checkedInteger } from './octets.js';
import type { NotificationMessage } from './types.js';

/** Error code and subcode. */
const FIXED_LENGTH = 2;
/** RFC 9003 section 2: the Shutdown Communication is at most 255 octets. */
export const MAX_SHUTDOWN_MESSAGE_LENGTH = 255;

const utf8Encoder = new TextEncoder();
/** Fatal: a malformed communication is reported as absent, never as replacement characters. */
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function carriesShutdownCommunication(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.CEASE &&
    (subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSubcode.ADMINISTRATIVE_RESET)
  );
}

/**
 * RFC 9003 section 2: the communication in `data`, or undefined when absent or malformed (the
 * length runs past the data, or the octets are not UTF-8); section 4 says to log, not to fail.
 */
export function decodeShutdownCommunication(data: Uint8Array): string | undefined {
  if (data.length < 1) return undefined;
  const length = data[0]!;
  if (length > data.length - 1) return undefined;
  try {
    return strictUtf8Decoder.decode(data.subarray(1, 1 + length));
  } catch {
    return undefined;
  }
}

export const notificationBody: Codec<NotificationMessage> = {
  encodingLength(message: NotificationMessage): number {
    return FIXED_LENGTH + message.data.length;
  },

  /** Writes code, subcode and `data`; `shutdownMessage` is informative only (see shutdownNotification). */
  encode(message: NotificationMessage, buf: Uint8Array, offset: number): number {
    buf[offset] = checkedInteger(message.code, 0xff, 'error code');
    buf[offset + 1] = checkedInteger(message.subcode, 0xff, 'error subcode');
    buf.set(message.data, offset + FIXED_LENGTH);
    return FIXED_LENGTH + message.data.length;
  },

  decode(buf: Uint8Array, offset: number, length: number): NotificationMessage {
    if (length < FIXED_LENGTH) throw badMessageLength(HEADER_LENGTH + length, 'is too short for a NOTIFICATION');
    const code = buf[offset]!;
    const subcode = buf[offset + 1]!;
    const data = buf.subarray(offset + FIXED_LENGTH, offset + length);
    if (carriesShutdownCommunication(code, subcode)) {
      const shutdownMessage = decodeShutdownCommunication(data);
      if (shutdownMessage !== undefined) return { type: 'notification', code, subcode, data, shutdownMessage };
    }
    return { type: 'notification', code, subcode, data };
  },
};


/**
 * A Cease NOTIFICATION with an RFC 9003 Shutdown Communication. Messages longer than 255 octets of
 * UTF-8 are cut at the last whole character that fits; `shutdownMessage` is what was actually sent.
 */
export function shutdownNotification(subcode: 2 | 4, message: string): NotificationMessage {
  let bytes = utf8Encoder.encode(message);
  if (bytes.length > MAX_SHUTDOWN_MESSAGE_LENGTH) {
    let cut = MAX_SHUTDOWN_MESSAGE_LENGTH;
    // Back up over continuation octets (10xxxxxx) so the cut falls before a character's first octet.
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return {
    type: 'notification',
    code: ErrorCode.CEASE,
    subcode,
    data,
    shutdownMessage: strictUtf8Decoder.decode(bytes), // whole characters only, so it cannot fail
  };
}

// ---------------------------------------------------------------------------------------------
// Names for logs (IANA "BGP Error (Notification) Codes" and the subcode registries)

const CODE_NAMES: Readonly<Record<number, string>> = {
  [ErrorCode.MESSAGE_HEADER]: 'Message Header Error',
  [ErrorCode.OPEN_MESSAGE]: 'OPEN Message Error',
  [ErrorCode.UPDATE_MESSAGE]: 'UPDATE Message Error',
  [ErrorCode.HOLD_TIMER_EXPIRED]: 'Hold Timer Expired',
  [ErrorCode.FSM]: 'Finite State Machine Error',
  [ErrorCode.CEASE]: 'Cease',
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: 'ROUTE-REFRESH Message Error',
  [ErrorCode.SEND_HOLD_TIMER_EXPIRED]: 'Send Hold Timer Expired',
};

const SUBCODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [ErrorCode.MESSAGE_HEADER]: {
    1: 'Connection Not Synchronized',
    2: 'Bad Message Length',
    3: 'Bad Message Type',
  },
  [ErrorCode.OPEN_MESSAGE]: {
    0: 'Unspecific',
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure (deprecated)',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  [ErrorCode.UPDATE_MESSAGE]: {
    0: 'Unspecific',
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop (deprecated)',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  [ErrorCode.FSM]: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  [ErrorCode.CEASE]: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: {
    1: 'Invalid Message Length',
  },
};

/**
 * A readable name for logs, e.g. "Cease/Administrative Shutdown", "OPEN Message Error/Bad Peer AS";
 * just the code name when the subcode is 0 and has no name of its own ("Hold Timer Expired"), and
 * the numbers for what the registries do not name ("Cease/subcode 42", "error code 9/subcode 1").
 */
export function describeNotification(code: number, subcode: number): string {
  const codeName = CODE_NAMES[code];
  if (codeName === undefined) return `error code ${code}/subcode ${subcode}`;
  const subcodeName = SUBCODE_NAMES[code]?.[subcode];
  if (subcodeName !== undefined) return `${codeName}/${subcodeName}`;
  return subcode === 0 ? codeName : `${codeName}/subcode ${subcode}`;
}

/**
 * A NOTIFICATION whose Data would push it past the maximum message size (an error about a whole
 * 4096-octet message, RFC 7313 section 5, carries that message as its data) is cut to fit: the
 * peer still learns the code and subcode, and the leading octets of the offending data.
 */
export function fitNotification(message: NotificationMessage, maxLength: number = MAX_MESSAGE_LENGTH): NotificationMessage {
  const room = maxLength - HEADER_LENGTH - 2;
  if (message.data.length <= room) return message;
  return { ...message, data: message.data.subarray(0, room) };
}

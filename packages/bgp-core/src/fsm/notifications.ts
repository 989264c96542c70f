/**
 * The NOTIFICATIONs the FSM itself sends (hold timer, FSM errors, Cease), built here so the FSM
 * does not depend on the codec's helpers.
 */
import { CeaseSubcode, ErrorCode, FsmSubcode } from '../wire/constants.js';
import type { NotificationMessage } from '../wire/types.js';
import type { SessionStateName } from './states.js';

const EMPTY = new Uint8Array(0);

/** RFC 9003 section 2: at most 255 octets of UTF-8. */
const MAX_SHUTDOWN_COMMUNICATION = 255;

export function notification(code: number, subcode: number, data: Uint8Array = EMPTY): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}

/** RFC 4271 section 6.5. */
export function holdTimerExpiredNotification(): NotificationMessage {
  return notification(ErrorCode.HOLD_TIMER_EXPIRED, 0);
}

/** RFC 9687 section 6: Send Hold Timer Expired, subcode 0, no data. */
export function sendHoldTimerExpiredNotification(): NotificationMessage {
  return notification(ErrorCode.SEND_HOLD_TIMER_EXPIRED, 0);
}

/**
 * RFC 6608 section 3: a message not allowed in the state it arrived in gets its own subcode in
 * OpenSent, OpenConfirm and Established; anything else is Unspecified.
 */
export function unexpectedMessageNotification(state: SessionStateName): NotificationMessage {
  switch (state) {
    case 'OpenSent':
      return notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPENSENT);
    case 'OpenConfirm':
      return notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_OPENCONFIRM);
    case 'Established':
      return notification(ErrorCode.FSM, FsmSubcode.UNEXPECTED_IN_ESTABLISHED);
    case 'Idle':
    case 'Connect':
    case 'Active':
      return notification(ErrorCode.FSM, FsmSubcode.UNSPECIFIED);
    default: {
      const unreachable: never = state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

/** An FSM error that is not about a message (RFC 4271 "other events"). */
export function unexpectedEventNotification(): NotificationMessage {
  return notification(ErrorCode.FSM, FsmSubcode.UNSPECIFIED);
}

/** Cut to at most `max` octets without splitting a UTF-8 sequence. */
function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Step back over continuation octets (10xxxxxx) to the start of the cut character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * A Cease (RFC 4486). For Administrative Shutdown and Administrative Reset a `message` becomes the
 * RFC 9003 Shutdown Communication (1-octet length, UTF-8, cut at 255 octets on a character
 * boundary); other subcodes carry no data.
 */
export function ceaseNotification(subcode: number, message?: string): NotificationMessage {
  const carriesCommunication = subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || subcode === CeaseSubcode.ADMINISTRATIVE_RESET;
  if (message === undefined || message === '' || !carriesCommunication) return notification(ErrorCode.CEASE, subcode);
  const text = truncateUtf8(new TextEncoder().encode(message), MAX_SHUTDOWN_COMMUNICATION);
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return { ...notification(ErrorCode.CEASE, subcode, data), shutdownMessage: new TextDecoder().decode(text) };
}

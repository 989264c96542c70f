/**
 * Messages sent or received, by type (RFC 4271 section 4.1; ROUTE-REFRESH is RFC 2918). What
 * FRR's `show bgp neighbors` calls message statistics and MetalLB exports as
 * metallb_bgp_opens_sent, metallb_bgp_keepalives_received and so on.
 *
 * Counting is a switch on the header's type octet and one integer increment: no allocation, so it
 * can sit on the send and receive paths.
 */
import { HEADER_LENGTH, MessageType } from '../wire/constants.js';

export interface MessageCounts {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
  /** Every message, including any of a type not listed above. */
  total: number;
}

/** Offset of the type octet in the header: 16 octets of marker, 2 of length. */
const TYPE_OFFSET = 18;
const LENGTH_OFFSET = 16;

export function emptyMessageCounts(): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, total: 0 };
}

/** Counts one message given the type code from its header. */
export function countMessageType(counts: MessageCounts, type: number): void {
  counts.total++;
  switch (type) {
    case MessageType.OPEN:
      counts.open++;
      return;
    case MessageType.UPDATE:
      counts.update++;
      return;
    case MessageType.NOTIFICATION:
      counts.notification++;
      return;
    case MessageType.KEEPALIVE:
      counts.keepalive++;
      return;
    case MessageType.ROUTE_REFRESH:
      counts.routeRefresh++;
      return;
    default:
      return;
  }
}

/** Counts one whole message as the framer hands it over (header included). */
export function countFramedMessage(counts: MessageCounts, frame: Uint8Array): void {
  countMessageType(counts, frame.length > TYPE_OFFSET ? frame[TYPE_OFFSET]! : 0);
}

/**
 * Counts the encoded messages in `bytes`: usually one, but a caller may hand over several
 * back to back, so this walks the headers' length fields. Anything too short to hold a header
 * counts as one message of unknown type (it was still written to the peer).
 */
export function countEncodedMessages(counts: MessageCounts, bytes: Uint8Array): void {
  let offset = 0;
  do {
    if (bytes.length - offset < HEADER_LENGTH) {
      countMessageType(counts, 0);
      return;
    }
    countMessageType(counts, bytes[offset + TYPE_OFFSET]!);
    const length = (bytes[offset + LENGTH_OFFSET]! << 8) | bytes[offset + LENGTH_OFFSET + 1]!;
    // A length below the header size would loop forever; our encoder never writes one.
    if (length < HEADER_LENGTH) return;
    offset += length;
  } while (offset < bytes.length);
}

/** Adds `from` into `into`, field by field. */
export function addMessageCounts(into: MessageCounts, from: Readonly<MessageCounts>): void {
  into.open += from.open;
  into.update += from.update;
  into.notification += from.notification;
  into.keepalive += from.keepalive;
  into.routeRefresh += from.routeRefresh;
  into.total += from.total;
}

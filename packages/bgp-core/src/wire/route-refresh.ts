/**
 * The ROUTE-REFRESH message body (RFC 2918 section 3), header excluded:
 *
 *   AFI (2) | Reserved, the RFC 7313 Message Subtype (1) | SAFI (1)
 *
 * RFC 7313 section 3.2 gives the reserved octet a meaning: 0 a normal request, 1 Beginning of Route
 * Refresh (BoRR), 2 End of Route Refresh (EoRR). Other subtypes are decoded as they are; RFC 7313
 * section 5 says the receiver ignores them, which is the session's business.
 */
import { HEADER_LENGTH, MessageType } from './constants.js';
import type { Codec } from './codec.js';
import { badMessageLength, routeRefreshInvalidLength, writeHeader } from './header.js';
import { checkedInteger, readUint16, writeUint16 } from './octets.js';
import type { CodecOptions, RouteRefreshMessage } from './types.js';

const BODY_LENGTH = 4;

/**
 * The body length was wrong. With enhanced route refresh negotiated (RFC 7313 section 5) the
 * answer is ROUTE-REFRESH Message Error/Invalid Message Length with the complete message as data;
 * the header is rebuilt here since only the body was handed in. Otherwise it is the header's Bad
 * Message Length (RFC 4271 section 6.1).
 */
function wrongLength(buf: Uint8Array, offset: number, length: number, options: CodecOptions): Error {
  const total = HEADER_LENGTH + length;
  if (options.enhancedRouteRefresh !== true) return badMessageLength(total, 'is not 23 for a ROUTE-REFRESH');
  const message = new Uint8Array(total);
  writeHeader(message, 0, MessageType.ROUTE_REFRESH, total);
  message.set(buf.subarray(offset, offset + length), HEADER_LENGTH);
  return routeRefreshInvalidLength(message);
}

export const routeRefreshBody: Codec<RouteRefreshMessage> = {
  encodingLength(): number {
    return BODY_LENGTH;
  },

  encode(message: RouteRefreshMessage, buf: Uint8Array, offset: number): number {
    writeUint16(buf, offset, checkedInteger(message.afi, 0xffff, 'AFI'));
    buf[offset + 2] = checkedInteger(message.subtype, 0xff, 'subtype');
    buf[offset + 3] = checkedInteger(message.safi, 0xff, 'SAFI');
    return BODY_LENGTH;
  },

  decode(buf: Uint8Array, offset: number, length: number, options: CodecOptions): RouteRefreshMessage {
    if (length !== BODY_LENGTH) throw wrongLength(buf, offset, length, options);
    return { type: 'route-refresh', afi: readUint16(buf, offset), safi: buf[offset + 3]!, subtype: buf[offset + 2]! };
  },
};


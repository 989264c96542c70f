/**
 * The KEEPALIVE message (RFC 4271 section 4.4): the header alone, no body.
 */
import { HEADER_LENGTH } from './constants.js';
import type { Codec } from './codec.js';
import { badMessageLength } from './header.js';
import type { KeepaliveMessage } from './types.js';

/** The one KEEPALIVE value, frozen: decoding a KEEPALIVE allocates nothing. */
export const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: 'keepalive' });

export const keepaliveBody: Codec<KeepaliveMessage> = {
  encodingLength(): number {
    return 0;
  },
  encode(): number {
    return 0;
  },
  decode(_buf: Uint8Array, _offset: number, length: number): KeepaliveMessage {
    // RFC 4271 section 6.1: a KEEPALIVE of any length but 19 is a Bad Message Length.
    if (length !== 0) throw badMessageLength(HEADER_LENGTH + length, `is not ${HEADER_LENGTH} for a KEEPALIVE`);
    return KEEPALIVE;
  },
};

/**
 * RFC 2385 keys: the caller gives a password string; the kernel wants at most
 * TCP_MD5SIG_MAXKEYLEN (80) octets, which we take as the password's UTF-8 encoding
 * (what FRR, BIRD and GoBGP pass to the kernel for an ASCII password too).
 */
import { TcpMd5Error } from './errors.js';

export const TCP_MD5_MAX_KEY_OCTETS = 80;

/** The key as octets for the kernel. The caller should fill(0) the buffer once it is used. */
export function encodeMd5Key(key: string): Buffer {
  if (typeof key !== 'string') throw new TypeError('TCP-MD5 key must be a string');
  const octets = Buffer.from(key, 'utf8');
  if (octets.length > TCP_MD5_MAX_KEY_OCTETS) {
    const length = octets.length;
    octets.fill(0);
    throw new TcpMd5Error(
      'ERR_TCP_MD5_KEY_TOO_LONG',
      `TCP-MD5 key is ${length} octets of UTF-8, at most ${TCP_MD5_MAX_KEY_OCTETS} are allowed`,
    );
  }
  if (octets.length === 0) {
    throw new TcpMd5Error('ERR_TCP_MD5_KEY_EMPTY', 'TCP-MD5 key is empty (use null to remove a key)');
  }
  return octets;
}

/**
 * The one error type of the TCP-MD5 module. Messages name the operation, the peer address and the
 * system error, never the key: RFC 2385 keys are shared secrets and must not reach logs.
 */

export type TcpMd5ErrorCode =
  /** The addon is not built, the platform is not Linux, or the kernel lacks CONFIG_TCP_MD5SIG. */
  | 'ERR_TCP_MD5_UNAVAILABLE'
  /** setsockopt(TCP_MD5SIG) failed; `errno` says why. */
  | 'ERR_TCP_MD5_SETSOCKOPT'
  /** socket() or bind() of an outgoing connection failed; `errno` says why. */
  | 'ERR_TCP_MD5_SOCKET'
  /** The key is longer than TCP_MD5SIG_MAXKEYLEN (80 octets of UTF-8). */
  | 'ERR_TCP_MD5_KEY_TOO_LONG'
  /** An empty key would silently mean "no signature"; pass `null` to remove a key instead. */
  | 'ERR_TCP_MD5_KEY_EMPTY'
  /** Not an IPv4/IPv6 literal, or local and peer addresses of different families. */
  | 'ERR_TCP_MD5_INVALID_ADDRESS'
  /** setListenerMd5Key() on a server that is not listening (yet): call it after 'listening'. */
  | 'ERR_TCP_MD5_NOT_LISTENING'
  /** connectWithMd5() got no answer within `timeoutMs` (a key mismatch looks exactly like this). */
  | 'ERR_TCP_MD5_CONNECT_TIMEOUT';

export class TcpMd5Error extends Error {
  /** Stable and safe to match on. */
  readonly code: TcpMd5ErrorCode;
  /** The system error name (e.g. `ENOENT`, `EADDRNOTAVAIL`) when a system call failed. */
  readonly errno?: string;

  constructor(code: TcpMd5ErrorCode, message: string, errno?: string) {
    super(message);
    this.name = 'TcpMd5Error';
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}

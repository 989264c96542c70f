/**
 * TCP-MD5 signatures (RFC 2385) for BGP sessions over Node.js sockets, through the small native
 * addon in tcp_md5.cc (Linux TCP_MD5SIG). Keys are strings of at most 80 UTF-8 octets and never
 * appear in an error message.
 */
export { TcpMd5Error } from './errors.js';
export type { TcpMd5ErrorCode } from './errors.js';
export { assertTcpMd5Available, tcpMd5Available } from './addon.js';
export { TCP_MD5_MAX_KEY_OCTETS } from './key.js';
export { listenWithMd5Keys, setListenerMd5Key } from './listener.js';
export { connectWithMd5 } from './connect.js';
export type { Md5ConnectOptions } from './connect.js';

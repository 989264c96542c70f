/**
 * Outgoing TCP-MD5 connections. RFC 2385 section 2 signs every segment, the SYN included, so the
 * key must be on the socket before connect(). Node's net.connect() creates its socket inside
 * connect(), too late; instead the addon creates the socket (socket(), setsockopt(TCP_MD5SIG),
 * optional bind()), and libuv adopts it with `new net.Socket({ fd })` before we connect it.
 */
import { Socket, isIP } from 'node:net';
import type { SocketConstructorOpts } from 'node:net';

import { failureToError, loadTcpMd5Addon } from './addon.js';
import type { NativeFailure } from './addon.js';
import { TcpMd5Error } from './errors.js';
import type { TcpMd5ErrorCode } from './errors.js';
import { encodeMd5Key } from './key.js';

export interface Md5ConnectOptions {
  /** The peer: an IPv4 or IPv6 literal (keys are per address, so no name lookup). */
  readonly host: string;
  readonly port: number;
  /** Source address, same family as `host`; the kernel picks the port. */
  readonly localAddress?: string;
  /** The password, at most 80 octets of UTF-8. */
  readonly key: string;
  /** Destroy the socket with ERR_TCP_MD5_CONNECT_TIMEOUT if not connected by then. */
  readonly timeoutMs?: number;
}

const FAILURE_CODES: Readonly<Record<string, TcpMd5ErrorCode>> = {
  'parse address': 'ERR_TCP_MD5_INVALID_ADDRESS',
  'check key': 'ERR_TCP_MD5_KEY_EMPTY',
  socket: 'ERR_TCP_MD5_SOCKET',
  bind: 'ERR_TCP_MD5_SOCKET',
  'setsockopt TCP_MD5SIG': 'ERR_TCP_MD5_SETSOCKOPT',
};

function validate(options: Md5ConnectOptions): void {
  const family = isIP(options.host);
  if (family === 0) {
    throw new TcpMd5Error('ERR_TCP_MD5_INVALID_ADDRESS', `host ${JSON.stringify(options.host)} is not an IP literal`);
  }
  if (options.localAddress !== undefined && isIP(options.localAddress) !== family) {
    throw new TcpMd5Error(
      'ERR_TCP_MD5_INVALID_ADDRESS',
      `localAddress ${JSON.stringify(options.localAddress)} is not an IPv${family} literal like host ${options.host}`,
    );
  }
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
    throw new RangeError(`port must be an integer in 1..65535, got ${String(options.port)}`);
  }
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  }
}

function createKeyedFd(options: Md5ConnectOptions): number {
  const addon = loadTcpMd5Addon();
  const octets = encodeMd5Key(options.key);
  let result: { fd: number } | NativeFailure;
  try {
    result = addon.createSocket(options.host, octets, options.localAddress);
  } finally {
    octets.fill(0);
  }
  if ('fd' in result) return result.fd;
  const code = FAILURE_CODES[result.op] ?? 'ERR_TCP_MD5_SOCKET';
  throw failureToError(code, result, `TCP-MD5 socket to ${options.host} (${result.op})`);
}

function onConnectTimeout(socket: Socket, options: Md5ConnectOptions): void {
  if (!socket.connecting) return;
  socket.destroy(
    new TcpMd5Error(
      'ERR_TCP_MD5_CONNECT_TIMEOUT',
      `no TCP-MD5 connection to ${options.host}:${options.port} within ${options.timeoutMs} ms ` +
        '(a peer with a different or no key drops the SYN silently)',
    ),
  );
}

/**
 * Starts a TCP connection whose SYN is already signed with `key`. Returns the connecting socket:
 * 'connect' fires when it is up, 'error' on failure (ERR_TCP_MD5_CONNECT_TIMEOUT after `timeoutMs`).
 * Problems found before connecting (bad address, key too long, socket/bind/setsockopt failure,
 * TCP-MD5 unavailable) are thrown as TcpMd5Error.
 */
export function connectWithMd5(options: Md5ConnectOptions): Socket {
  validate(options);
  const addon = loadTcpMd5Addon();
  const fd = createKeyedFd(options);

  // manualStart: do not start reading an unconnected socket; net starts it on 'connect'.
  const socketOptions: SocketConstructorOpts & { manualStart: boolean } = { fd, manualStart: true };
  let socket: Socket;
  try {
    socket = new Socket(socketOptions);
  } catch (err) {
    addon.closeFd(fd);
    throw err;
  }

  if (options.timeoutMs !== undefined) {
    const timer = setTimeout(onConnectTimeout, options.timeoutMs, socket, options);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('close', clear);
  }

  try {
    // No localAddress here: the fd is already bound, and net would try to bind it again.
    socket.connect({ host: options.host, port: options.port });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket;
}

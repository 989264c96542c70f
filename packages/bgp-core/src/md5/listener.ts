/**
 * Keys on a listening socket. Linux keeps one key per peer address on the listener; SYNs from
 * that address without a valid signature are dropped, and accepted connections inherit the key
 * (RFC 2385 section 2 signs every segment of the connection, the SYN included).
 */
import { isIP } from 'node:net';
import type { Server } from 'node:net';

import { errnoName, failureToError, loadTcpMd5Addon } from './addon.js';
import type { NativeFailure } from './addon.js';
import { TcpMd5Error } from './errors.js';
import { encodeMd5Key } from './key.js';

/** Node keeps the libuv handle private; on Unix its `fd` getter gives the listening socket. */
interface HandleWithFd {
  readonly fd?: number;
}

function listenerFd(server: Server): number {
  const handle = (server as unknown as { _handle?: HandleWithFd | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new TcpMd5Error(
      'ERR_TCP_MD5_NOT_LISTENING',
      'server is not listening on a TCP socket (set TCP-MD5 keys after the "listening" event)',
    );
  }
  return fd;
}

/**
 * Sets (`key` a string) or removes (`key` null) the TCP-MD5 key the listener uses for connections
 * from `peerAddress` (an IPv4 or IPv6 literal; an IPv4 peer of an IPv6 listener works too).
 * Call it after 'listening'. Removing a key that is not set is not an error.
 * Connections already accepted keep the key they inherited.
 */
export function setListenerMd5Key(server: Server, peerAddress: string, key: string | null): void {
  const addon = loadTcpMd5Addon();
  if (isIP(peerAddress) === 0) {
    throw new TcpMd5Error(
      'ERR_TCP_MD5_INVALID_ADDRESS',
      `peer address ${JSON.stringify(peerAddress)} is not an IP literal`,
    );
  }
  const octets = key === null ? Buffer.alloc(0) : encodeMd5Key(key);
  let failure: NativeFailure | undefined;
  try {
    failure = addon.setKey(listenerFd(server), peerAddress, octets);
  } finally {
    octets.fill(0);
  }
  if (failure === undefined) return;
  if (failure.op === 'parse address') {
    throw failureToError('ERR_TCP_MD5_INVALID_ADDRESS', failure, `peer address ${peerAddress}`);
  }
  // The kernel answers ENOENT when asked to delete a key it does not hold: already removed.
  if (key === null && errnoName(failure.errno) === 'ENOENT') return;
  const verb = key === null ? 'removing' : 'setting';
  throw failureToError(
    'ERR_TCP_MD5_SETSOCKOPT',
    failure,
    `${verb} the TCP-MD5 key for peer ${peerAddress} on the listener`,
  );
}

/**
 * Starts `server` listening on (address, port) with every peer's key ALREADY set on the socket:
 * the socket is created and bound natively, keyed, and only then handed to libuv, which calls
 * listen(). A SYN from a keyed peer can therefore never be accepted unsigned, not even in the
 * moment between listen() and a later setListenerMd5Key().
 */
export async function listenWithMd5Keys(
  server: Server,
  address: string,
  port: number,
  keys: ReadonlyMap<string, string>,
): Promise<void> {
  const addon = loadTcpMd5Addon();
  if (isIP(address) === 0) {
    throw new TcpMd5Error('ERR_TCP_MD5_INVALID_ADDRESS', `listen address ${JSON.stringify(address)} is not an IP literal`);
  }
  const created = addon.createBoundSocket(address, port);
  if (!('fd' in created)) throw failureToError('ERR_TCP_MD5_SOCKET', created, `binding the listener to ${address} port ${port}`);
  const fd = created.fd;
  try {
    for (const [peerAddress, key] of keys) {
      const octets = encodeMd5Key(key);
      let failure: NativeFailure | undefined;
      try {
        failure = addon.setKey(fd, peerAddress, octets);
      } finally {
        octets.fill(0);
      }
      if (failure !== undefined) {
        throw failureToError('ERR_TCP_MD5_SETSOCKOPT', failure, `setting the TCP-MD5 key for peer ${peerAddress} on the listener`);
      }
    }
  } catch (error) {
    addon.closeFd(fd);
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

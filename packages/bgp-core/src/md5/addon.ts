/**
 * Loads the native addon (binding.gyp, src/md5/tcp_md5.cc) lazily, so that importing bgp-core
 * works everywhere and only TCP-MD5 users need the addon, and answers whether TCP-MD5 works here.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';

import { TcpMd5Error } from './errors.js';
import type { TcpMd5ErrorCode } from './errors.js';

/** What the addon returns instead of throwing: the failed operation, errno and strerror() text. */
export interface NativeFailure {
  readonly op: string;
  readonly errno: number;
  readonly message: string;
}

export interface TcpMd5Addon {
  readonly platformSupported: boolean;
  readonly maxKeyLength: number;
  /** A zero-length key removes the key for that peer. */
  setKey(fd: number, peerAddress: string, key: Buffer): NativeFailure | undefined;
  /** An unconnected, keyed TCP socket of the peer's family, bound to `localAddress` if given. */
  createSocket(peerAddress: string, key: Buffer, localAddress?: string): { fd: number } | NativeFailure;
  /** A TCP socket bound to (localAddress, port) with SO_REUSEADDR, not yet listening. */
  createBoundSocket(localAddress: string, port: number): { fd: number } | NativeFailure;
  /** Sets a throwaway key on a throwaway socket. */
  probe(): NativeFailure | undefined;
  closeFd(fd: number): void;
}

// Both src/md5/addon.ts and dist/md5/addon.js sit two levels below the package root.
const ADDON_PATH = '../../build/Release/tcp_md5.node';

type Availability = { readonly addon: TcpMd5Addon } | { readonly reason: string };
let availability: Availability | undefined;

function checkAvailability(): Availability {
  let addon: TcpMd5Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as TcpMd5Addon;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return {
      reason:
        'TCP-MD5 addon not built or not loadable (run `node ../../scripts/build-native-addon.mjs tcp_md5 setKey` in ' +
        `packages/bgp-core): ${detail}`,
    };
  }
  if (!addon.platformSupported) {
    return { reason: `TCP-MD5 is not supported on platform ${process.platform} (Linux only)` };
  }
  const failure = addon.probe();
  if (failure !== undefined) {
    const name = errnoName(failure.errno);
    if (name === 'ENOPROTOOPT') {
      return { reason: 'the kernel has no TCP-MD5 support (CONFIG_TCP_MD5SIG is not set)' };
    }
    if (name === 'EOPNOTSUPP') {
      return { reason: 'the kernel refuses TCP-MD5 (FIPS mode disables it)' };
    }
    return { reason: `the kernel refused a test TCP-MD5 key: ${failure.message}` };
  }
  return { addon };
}

/** True when the addon is built, the platform is Linux and the kernel accepts TCP_MD5SIG. */
export function tcpMd5Available(): boolean {
  availability ??= checkAvailability();
  return 'addon' in availability;
}

/** Throws TcpMd5Error(ERR_TCP_MD5_UNAVAILABLE) naming the reason when TCP-MD5 cannot work here. */
export function assertTcpMd5Available(): void {
  loadTcpMd5Addon();
}

/** The loaded addon; throws like assertTcpMd5Available(). */
export function loadTcpMd5Addon(): TcpMd5Addon {
  availability ??= checkAvailability();
  if ('reason' in availability) throw new TcpMd5Error('ERR_TCP_MD5_UNAVAILABLE', availability.reason);
  return availability.addon;
}

export function errnoName(errno: number): string | undefined {
  if (!Number.isInteger(errno) || errno <= 0) return undefined;
  try {
    return getSystemErrorName(-errno);
  } catch {
    return undefined;
  }
}

/** Turns an addon failure into our error; `context` names the peer, never the key. */
export function failureToError(code: TcpMd5ErrorCode, failure: NativeFailure, context: string): TcpMd5Error {
  return new TcpMd5Error(code, `${context}: ${failure.message}`, errnoName(failure.errno));
}

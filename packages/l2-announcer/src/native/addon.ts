/**
 * Loads the AF_PACKET addon (binding.gyp, src/native/packet_socket.cc) lazily, so importing the
 * package works everywhere and only opening a socket needs the addon, and turns its failures
 * into PacketSocketError with a stable code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

import { macToBytes } from '../ethernet.js';

interface NativeFailure {
  readonly op: string;
  readonly errno: number;
  readonly message: string;
}

interface NativePacketSocket {
  send(frame: Buffer): NativeFailure | undefined;
  addMembership(mac: Buffer): NativeFailure | undefined;
  dropMembership(mac: Buffer): NativeFailure | undefined;
  setFilter(filter: Buffer): NativeFailure | undefined;
  startReceiving(onFrame: (frame: Buffer, packetType: number) => void): void;
  close(): void;
}

interface PacketSocketAddon {
  readonly platformSupported: boolean;
  open(ifindex: number, etherType: number, filter?: Buffer): NativePacketSocket | NativeFailure;
}

export type PacketSocketErrorCode =
  /** The addon is not built or the platform is not Linux. */
  | 'ERR_PACKET_SOCKET_UNAVAILABLE'
  /** EPERM/EACCES: raw sockets need CAP_NET_RAW. */
  | 'ERR_PACKET_SOCKET_PERMISSION'
  /** Any other failed system call; `errno` says which. */
  | 'ERR_PACKET_SOCKET';

export class PacketSocketError extends Error {
  readonly code: PacketSocketErrorCode;
  /** The system error name (EPERM, ENODEV...) when a system call failed. */
  readonly errno?: string;

  constructor(code: PacketSocketErrorCode, message: string, errno?: string) {
    super(message);
    this.name = 'PacketSocketError';
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}

/** Linux sll_pkttype of a frame we sent ourselves (seen by other packet sockets). */
export const PACKET_OUTGOING = 4;

/** One raw socket bound to one interface and one EtherType. */
export interface FrameSocket {
  send(frame: Buffer): void;
  /** Join / leave a link-layer multicast group, e.g. "33:33:ff:00:02:00". */
  addMembership(mac: string): void;
  dropMembership(mac: string): void;
  /** Replaces the kernel filter (a program from socket-filter.ts, encoded). */
  setFilter(filter: Buffer): void;
  /** Calls `onFrame` for each frame received, on the event loop. Once per socket. */
  startReceiving(onFrame: (frame: Buffer, packetType: number) => void): void;
  close(): void;
}

function errnoName(errno: number): string | undefined {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return undefined;
  }
}

function toError(failure: NativeFailure, context: string): PacketSocketError {
  const name = errnoName(failure.errno);
  if (name === 'EPERM' || name === 'EACCES') {
    return new PacketSocketError(
      'ERR_PACKET_SOCKET_PERMISSION',
      `${context}: ${failure.message} (opening raw AF_PACKET sockets needs CAP_NET_RAW)`,
      name,
    );
  }
  return new PacketSocketError('ERR_PACKET_SOCKET', `${context}: ${failure.message}`, name);
}

function isFailure(value: unknown): value is NativeFailure {
  return typeof value === 'object' && value !== null && 'errno' in value && 'op' in value;
}

/** The package root: the nearest folder above this file holding our package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === '@metallb-ts/l2-announcer') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json of @metallb-ts/l2-announcer not found');
    dir = parent;
  }
}

let loaded: PacketSocketAddon | undefined;

function loadAddon(): PacketSocketAddon {
  if (loaded !== undefined) return loaded;
  let addon: PacketSocketAddon;
  try {
    const path = join(packageRoot(), 'build', 'Release', 'packet_socket.node');
    addon = createRequire(import.meta.url)(path) as PacketSocketAddon;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new PacketSocketError(
      'ERR_PACKET_SOCKET_UNAVAILABLE',
      'packet_socket addon not built or not loadable (run `node ../../scripts/build-native-addon.mjs packet_socket PacketSocket` in ' +
        `packages/l2-announcer): ${detail}`,
    );
  }
  if (!addon.platformSupported) {
    throw new PacketSocketError('ERR_PACKET_SOCKET_UNAVAILABLE', `AF_PACKET sockets need Linux, not ${process.platform}`);
  }
  loaded = addon;
  return addon;
}

/**
 * Opens a non-blocking AF_PACKET SOCK_RAW socket bound to `ifindex` for one EtherType; with
 * `filter` (encodeFilter of socket-filter.ts), the kernel delivers only the frames it accepts.
 */
export function openPacketSocket(ifindex: number, etherType: number, label = `ifindex ${ifindex}`, filter?: Buffer): FrameSocket {
  const opened = loadAddon().open(ifindex, etherType, filter);
  const what = `${label} ethertype 0x${etherType.toString(16).padStart(4, '0')}`;
  if (isFailure(opened)) throw toError(opened, `opening a packet socket on ${what}`);
  const native = opened;
  const check = (failure: NativeFailure | undefined, action: string): void => {
    if (failure !== undefined) throw toError(failure, `${action} on ${what}`);
  };
  return {
    send: (frame) => check(native.send(frame), 'sending a frame'),
    addMembership: (mac) => check(native.addMembership(macToBytes(mac)), `joining ${mac}`),
    dropMembership: (mac) => check(native.dropMembership(macToBytes(mac)), `leaving ${mac}`),
    setFilter: (filter) => check(native.setFilter(filter), 'replacing the socket filter'),
    startReceiving: (onFrame) => native.startReceiving(onFrame),
    close: () => native.close(),
  };
}

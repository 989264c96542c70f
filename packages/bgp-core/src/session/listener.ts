/**
 * The passive side: one listening socket, TCP-MD5 keys set on it per peer address (RFC 2385; Linux
 * keys the listener by the remote address), and accepted connections handed to the session that
 * owns the remote address. A connection from an address nobody configured is closed at once.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { listenWithMd5Keys, setListenerMd5Key } from '../md5/index.js';

export interface AcceptTarget {
  /** Takes ownership of an accepted socket from this peer. */
  acceptIncoming(socket: Socket): void;
}

export interface ListenerEvents {
  /** A connection from an unconfigured address was refused. */
  rejected?(remoteAddress: string | undefined): void;
}

export class BgpListener {
  private readonly server: Server;
  private readonly targets = new Map<string, AcceptTarget>();
  private readonly events: ListenerEvents;

  constructor(events: ListenerEvents = {}) {
    this.events = events;
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.dispatch(socket));
  }

  /** Peer address -> the key set on the listening socket. */
  private readonly keys = new Map<string, string>();

  /**
   * Listens on (address, port). Keys known now (every configured peer's) are set on the socket
   * before it listens, so no keyed peer is ever accepted without its signature.
   */
  async listen(address: string, port: number, keys: ReadonlyMap<string, string> = new Map()): Promise<void> {
    if (keys.size > 0) {
      await listenWithMd5Keys(this.server, address, port, keys);
      for (const [peer, key] of keys) this.keys.set(normalise(peer), key);
      return;
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: address, port, exclusive: true }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get address(): { address: string; port: number } | undefined {
    const bound = this.server.address();
    return bound !== null && typeof bound === 'object' ? { address: bound.address, port: bound.port } : undefined;
  }

  /**
   * Registers the session for a peer address, and its MD5 key on the listening socket. Throws
   * TcpMd5Error when a key is given and the platform cannot set it: never a session without it.
   */
  register(peerAddress: string, target: AcceptTarget, md5Key: string | undefined): void {
    const peer = normalise(peerAddress);
    if (md5Key !== undefined && this.keys.get(peer) !== md5Key) {
      setListenerMd5Key(this.server, peerAddress, md5Key);
      this.keys.set(peer, md5Key);
    }
    this.targets.set(peer, target);
  }

  unregister(peerAddress: string): void {
    const peer = normalise(peerAddress);
    this.targets.delete(peer);
    if (this.keys.delete(peer)) setListenerMd5Key(this.server, peerAddress, null);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private dispatch(socket: Socket): void {
    const remote = socket.remoteAddress === undefined ? undefined : normalise(socket.remoteAddress);
    const target = remote === undefined ? undefined : this.targets.get(remote);
    if (target === undefined) {
      this.events.rejected?.(socket.remoteAddress);
      socket.destroy();
      return;
    }
    target.acceptIncoming(socket);
  }
}

/** An IPv4 peer reached through a dual-stack socket shows up as ::ffff:a.b.c.d. */
function normalise(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}

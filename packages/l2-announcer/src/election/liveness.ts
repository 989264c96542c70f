/**
 * Which speakers are alive, as seen from this one: a UDP heartbeat full mesh. Every node sends a
 * heartbeat to every peer each `intervalMs`; a peer not heard from for `deadAfterMs` is dead. The
 * owner election (owner.ts) runs over `alive()`, so when a node dies its addresses move to the
 * next-ranked node within deadAfterMs plus one gratuitous ARP. A node stopping on purpose says so
 * (stop({ leave: true }): a "leaving" heartbeat), and its peers drop it at once.
 *
 * A peer that (re)joins after we settled counts as alive only once heard for deadAfterMs: that is
 * when it settles itself and starts answering. Were it alive at its first heartbeat, the nodes
 * that hold its addresses would give them up ~400 ms before it takes them (a restarted speaker
 * in a rollout), and nobody would answer ARP meanwhile; this way the hand-over overlaps by at
 * most one heartbeat interval instead of leaving a gap.
 *
 * Why a heartbeat of our own and not BFD (RFC 5880/5881), for now:
 * - What the election needs is "which speakers are up", with sub-second detection. A heartbeat
 *   gives exactly that with one message type and no state machine: detection time is deadAfterMs
 *   (4 x 100 ms by default), the same as BFD's Detect Mult x interval, for the same packet rate
 *   (one datagram per peer pair and interval in each direction, as BFD async mode).
 * - BFD needs per-pair sessions with a three-way handshake (Down/Init/Up), discriminators,
 *   negotiated timers and Poll/Final sequences; RFC 5881 single-hop also requires sending with TTL
 *   255 and checking the received TTL is 255 (GTSM), and Node's dgram cannot read a received TTL
 *   without a native addon (IP_RECVTTL). That is days of work, not the afternoon this is.
 * - The heartbeat's weakness: "I hear you" is one-way. On asymmetric loss two nodes can disagree
 *   (A hears B, B does not hear A); BFD's handshake only reports Up when both directions work.
 *
 * Why not a membership library: MetalLB uses hashicorp/memberlist (SWIM), which is Go. The SWIM
 * implementation on npm (`swim`, 0.6.0) has had no release since 2017 and pulls native farmhash
 * and msgpack builds; it is not a dependency a network engineer would want to trust for failover.
 * And SWIM's parts (indirect probes, gossip dissemination of joins) solve discovery among
 * thousands of nodes with partial views; here every speaker already knows every Node from the
 * Kubernetes API, so the full mesh is simpler and reacts faster (no suspicion period).
 *
 * Cost of the full mesh: each node sends and receives (n - 1) datagrams per interval, about 70
 * bytes each: 100 nodes at 100 ms is about 1,000 datagrams/s in and out per node (~70 KB/s).
 * MAX_PEERS bounds it; a cluster of many hundreds of nodes wants a longer interval.
 *
 * How BFD would replace it: the election only uses `alive()`/`onChange()` and `peers()`. A
 * BfdLiveness with the same surface would keep one async-mode session per peer from `peers()`,
 * report a peer alive while its session is Up, and fire onChange on Up/Down transitions. The same
 * BFD code could then also run towards the routers for BGP (a feature MetalLB's native speaker
 * lacks), which is the stronger reason to build it later.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

import { canonicalIp } from '../ethernet.js';
import { systemClock } from '@metallb-ts/clock';
import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat.js';

export interface LivenessEndpoint {
  /** The node name, as the election ranks it. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

export interface DatagramSource {
  readonly address: string;
  readonly port: number;
}

/** The part of a UDP socket the membership uses; tests pass a fake. */
export interface HeartbeatSocket {
  /** Binds and resolves with the bound port (useful when `port` is 0). */
  bind(address: string, port: number): Promise<number>;
  send(data: Buffer, address: string, port: number): void;
  close(): void;
}

export interface HeartbeatSocketHandlers {
  message(data: Buffer, from: DatagramSource): void;
  /** An asynchronous socket error (a failed send, an ICMP unreachable); counted, never fatal. */
  error(error: Error): void;
}

export type HeartbeatSocketFactory = (family: 'udp4' | 'udp6', handlers: HeartbeatSocketHandlers) => HeartbeatSocket;

export interface LivenessOptions {
  readonly self: LivenessEndpoint;
  /** The other speakers; read at every heartbeat, so membership changes need no call. Entries named like self are skipped. */
  readonly peers: () => readonly LivenessEndpoint[];
  /** Default 100 ms. */
  readonly intervalMs?: number;
  /** Default 400 ms; must be larger than intervalMs. */
  readonly deadAfterMs?: number;
  readonly clock?: Clock;
  readonly socketFactory?: HeartbeatSocketFactory;
  /** Shared secret: heartbeats carry an HMAC, and those without the right one are dropped (heartbeat.ts). */
  readonly key?: Buffer;
}

export interface LivenessStats {
  sent: number;
  received: number;
  /** Datagrams that do not decode (too long, not JSON, missing or mistyped fields). */
  malformed: number;
  /** Heartbeats of another version. */
  wrongVersion: number;
  /** Heartbeats without the right HMAC (a forged one, or a peer configured with another key or none). */
  unauthenticated: number;
  /** Datagrams from an address:port not in peers(), or naming another node than the one there. */
  unknownSender: number;
  /** Duplicated or reordered heartbeats (seq or incarnation not newer than the last one). */
  stale: number;
  /** Peers that said they were leaving (a graceful stop). */
  departures: number;
  /** Send failures (synchronous throws and asynchronous socket errors). */
  socketErrors: number;
}

interface PeerState {
  incarnation: number;
  seq: number;
  deadline: TimerHandle;
  /** Heard, but not yet for deadAfterMs since it (re)joined after we settled: not in alive() yet. */
  warming: boolean;
  warmUp?: TimerHandle;
}

/** Bounds the heartbeats sent per interval whatever peers() returns. */
export const MAX_PEERS = 1024;

export class Liveness {
  readonly stats: LivenessStats = {
    sent: 0, received: 0, malformed: 0, wrongVersion: 0, unauthenticated: 0, unknownSender: 0, stale: 0, departures: 0, socketErrors: 0,
  };
  private readonly self: LivenessEndpoint;
  private readonly peersOf: () => readonly LivenessEndpoint[];
  private readonly intervalMs: number;
  private readonly deadAfterMs: number;
  private readonly clock: Clock;
  private readonly socketFactory: HeartbeatSocketFactory;
  private readonly key: Buffer | undefined;
  private readonly listeners = new Set<(alive: readonly string[]) => void>();
  /** Alive peers by name. */
  private readonly states = new Map<string, PeerState>();
  /** Peers that left gracefully -> that incarnation: its late heartbeats must not revive it. */
  private readonly departed = new Map<string, number>();
  /** "address|port" -> the peer configured there, rebuilt from peers() at each heartbeat. */
  private known = new Map<string, LivenessEndpoint>();
  private socket: HeartbeatSocket | undefined;
  private ticker: TimerHandle | undefined;
  private boundPort: number | undefined;
  private startedAt: number | undefined;
  private running = false;
  /** Bumped by start() and stop(): a bind that resolves after stop() closes its socket. */
  private generation = 0;
  private incarnation = 0;
  private seq = 0;

  constructor(options: LivenessOptions) {
    const intervalMs = options.intervalMs ?? 100;
    const deadAfterMs = options.deadAfterMs ?? 400;
    if (!(intervalMs > 0) || !(deadAfterMs > intervalMs)) {
      throw new RangeError(`need 0 < intervalMs < deadAfterMs (got ${intervalMs}, ${deadAfterMs})`);
    }
    // Peers would drop our heartbeats as malformed: fail at construction instead.
    const probe = { node: options.self.name, seq: Number.MAX_SAFE_INTEGER, incarnation: Number.MAX_SAFE_INTEGER };
    if (!decodeHeartbeat(encodeHeartbeat(probe)).ok) throw new RangeError(`unusable node name: ${JSON.stringify(options.self.name)}`);
    if (isIP(options.self.address) === 0) throw new RangeError(`self.address is not an IP: ${options.self.address}`);
    this.self = { ...options.self, address: canonicalIp(options.self.address) };
    this.peersOf = options.peers;
    this.intervalMs = intervalMs;
    this.deadAfterMs = deadAfterMs;
    this.clock = options.clock ?? systemClock;
    this.socketFactory = options.socketFactory ?? udpSocketFactory;
    this.key = options.key === undefined ? undefined : Buffer.from(options.key);
  }

  /** Binds the socket and starts sending. Can be called again after stop(). */
  async start(): Promise<void> {
    if (this.running) throw new Error('Liveness already started');
    this.running = true;
    const generation = ++this.generation;
    // A restarted speaker must be told apart from its previous life, whose seq was higher.
    this.incarnation = Math.max(Date.now(), this.incarnation + 1);
    this.seq = 0;
    const socket = this.socketFactory(isIP(this.self.address) === 6 ? 'udp6' : 'udp4', {
      message: (data, from) => this.receive(data, from),
      error: () => {
        this.stats.socketErrors++;
      },
    });
    let port: number;
    try {
      port = await socket.bind(this.self.address, this.self.port);
    } catch (error) {
      socket.close();
      if (generation === this.generation) this.running = false;
      throw error;
    }
    if (generation !== this.generation) {
      socket.close();
      return;
    }
    this.socket = socket;
    this.boundPort = port;
    this.startedAt = this.clock.now();
    this.ticker = this.clock.setTimer(this.intervalMs, () => this.tick());
    this.sendHeartbeats();
  }

  /**
   * Stops sending and closes the socket; forgets every peer without calling the listeners.
   * With `leave`, first tells every peer we are going (one datagram each, not retried: a lost one
   * costs that peer deadAfterMs, as a crash would).
   */
  stop(options: { leave?: boolean } = {}): void {
    if (options.leave === true && this.socket !== undefined) {
      const datagram = encodeHeartbeat({ node: this.self.name, seq: this.seq++, incarnation: this.incarnation, leaving: true }, this.key);
      for (const peer of this.known.values()) {
        try {
          this.socket.send(datagram, peer.address, peer.port);
          this.stats.sent++;
        } catch {
          this.stats.socketErrors++;
        }
      }
    }
    this.generation++;
    this.running = false;
    this.ticker?.cancel();
    this.ticker = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.boundPort = undefined;
    this.startedAt = undefined;
    for (const state of this.states.values()) {
      state.deadline.cancel();
      state.warmUp?.cancel();
    }
    this.states.clear();
    this.departed.clear();
  }

  /** Node names alive as seen from here, self included, sorted. */
  alive(): string[] {
    const alive = [this.self.name];
    for (const [name, state] of this.states) if (!state.warming) alive.push(name);
    return alive.sort();
  }

  /**
   * True once the membership has run for deadAfterMs: every live peer has had time to be heard.
   * Before that, alive() may miss peers, and a node that claimed addresses on it would announce
   * addresses another node still owns; the election should wait for this.
   */
  get settled(): boolean {
    return this.startedAt !== undefined && this.clock.now() - this.startedAt >= this.deadAfterMs;
  }

  /** The bound address and port (after start() resolved), e.g. to learn a port chosen by the system. */
  address(): DatagramSource | undefined {
    return this.boundPort === undefined ? undefined : { address: this.self.address, port: this.boundPort };
  }

  /** Calls `listener` with alive() each time the set changes; returns the unsubscribe function. */
  onChange(listener: (alive: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private tick(): void {
    if (this.ticker === undefined) return;
    if (this.ticker.refresh) this.ticker.refresh();
    else this.ticker = this.clock.setTimer(this.intervalMs, () => this.tick());
    this.sendHeartbeats();
  }

  private sendHeartbeats(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.refreshPeers();
    const datagram = encodeHeartbeat({ node: this.self.name, seq: this.seq++, incarnation: this.incarnation }, this.key);
    for (const peer of this.known.values()) {
      try {
        socket.send(datagram, peer.address, peer.port);
        this.stats.sent++;
      } catch {
        this.stats.socketErrors++;
      }
    }
  }

  /** Re-reads peers(); a peer no longer listed is no longer alive. */
  private refreshPeers(): void {
    const known = new Map<string, LivenessEndpoint>();
    for (const peer of this.peersOf()) {
      if (known.size >= MAX_PEERS) break;
      if (peer.name === this.self.name || isIP(peer.address) === 0) continue;
      const address = canonicalIp(peer.address);
      known.set(endpointKey(address, peer.port), { name: peer.name, address, port: peer.port });
    }
    this.known = known;
    const listed = new Set<string>();
    for (const peer of known.values()) listed.add(peer.name);
    let changed = false;
    for (const name of this.departed.keys()) if (!listed.has(name)) this.departed.delete(name);
    for (const [name, state] of this.states) {
      if (listed.has(name)) continue;
      state.deadline.cancel();
      state.warmUp?.cancel();
      this.states.delete(name);
      if (!state.warming) changed = true;
    }
    if (changed) this.notify();
  }

  private receive(data: Buffer, from: DatagramSource): void {
    if (!this.running) return;
    this.stats.received++;
    const peer = isIP(from.address) === 0 ? undefined : this.known.get(endpointKey(canonicalIp(from.address), from.port));
    if (peer === undefined) {
      this.stats.unknownSender++;
      return;
    }
    const decoded = decodeHeartbeat(data, this.key);
    if (!decoded.ok) {
      if (decoded.reason === 'version') this.stats.wrongVersion++;
      else if (decoded.reason === 'unauthenticated') this.stats.unauthenticated++;
      else this.stats.malformed++;
      return;
    }
    const { node, seq, incarnation, leaving } = decoded.heartbeat;
    if (node !== peer.name) {
      this.stats.unknownSender++;
      return;
    }
    const departedIncarnation = this.departed.get(node);
    if (departedIncarnation !== undefined) {
      // Only a new life of a node that left comes back; its previous one stays gone.
      if (incarnation <= departedIncarnation) {
        this.stats.stale++;
        return;
      }
      this.departed.delete(node);
    }
    const state = this.states.get(node);
    if (leaving === true) {
      if (state !== undefined && incarnation < state.incarnation) {
        this.stats.stale++;
        return;
      }
      this.stats.departures++;
      this.departed.set(node, incarnation);
      state?.deadline.cancel();
      this.expire(node);
      return;
    }
    if (state === undefined) {
      const deadline = this.clock.setTimer(this.deadAfterMs, () => this.expire(node));
      const joined: PeerState = { incarnation, seq, deadline, warming: this.settled };
      this.states.set(node, joined);
      if (!joined.warming) {
        this.notify();
        return;
      }
      joined.warmUp = this.clock.setTimer(this.deadAfterMs, () => {
        if (this.states.get(node) !== joined) return;
        joined.warming = false;
        joined.warmUp = undefined;
        this.notify();
      });
      return;
    }
    if (incarnation < state.incarnation || (incarnation === state.incarnation && seq <= state.seq)) {
      this.stats.stale++;
      return;
    }
    state.incarnation = incarnation;
    state.seq = seq;
    if (state.deadline.refresh) {
      state.deadline.refresh();
    } else {
      state.deadline.cancel();
      state.deadline = this.clock.setTimer(this.deadAfterMs, () => this.expire(node));
    }
  }

  /** No heartbeat for deadAfterMs. Forgetting seq/incarnation lets a restarted peer with a lower incarnation back in. */
  private expire(node: string): void {
    const state = this.states.get(node);
    if (state === undefined) return;
    this.states.delete(node);
    state.warmUp?.cancel();
    if (!state.warming) this.notify();
  }

  private notify(): void {
    const alive = this.alive();
    for (const listener of [...this.listeners]) listener(alive);
  }
}

function endpointKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** node:dgram behind the HeartbeatSocket interface. */
export const udpSocketFactory: HeartbeatSocketFactory = (family, handlers) => {
  const socket = createSocket({ type: family });
  socket.on('message', (data, rinfo) => handlers.message(data, { address: rinfo.address, port: rinfo.port }));
  socket.on('error', (error) => handlers.error(error));
  let closed = false;
  let closing = false;
  // Sends complete asynchronously (dgram resolves the address first): a close() right after a
  // send, as stop({ leave: true }) does, waits for them, or the leaving datagram would be lost.
  let pendingSends = 0;
  const closeNow = (): void => {
    if (closed) return;
    closed = true;
    socket.close();
  };
  return {
    bind: (address, port) =>
      new Promise<number>((resolve, reject) => {
        const failed = (error: Error): void => reject(error);
        socket.once('error', failed);
        socket.bind({ address, port, exclusive: true }, () => {
          socket.off('error', failed);
          resolve(socket.address().port);
        });
      }),
    send: (data, address, port) => {
      if (closing) return;
      pendingSends++;
      socket.send(data, port, address, (error) => {
        pendingSends--;
        if (error) handlers.error(error);
        if (closing && pendingSends === 0) closeNow();
      });
    },
    close: () => {
      closing = true;
      if (pendingSends === 0) closeNow();
    },
  };
};

/**
 * The speaker: a listener (when configured), one Peer per neighbour, and the routes we originate.
 * This is the public API of the package; the CLI and the control socket are thin layers over it.
 *
 *   const speaker = new Speaker(config);
 *   await speaker.start();
 *   speaker.announce({ prefix: '10.5.0.1/32', communities: ['64512:100'] });
 *   speaker.withdraw('10.5.0.1/32');
 *
 * announce() and withdraw() are idempotent, and everything changed within one tick of the event
 * loop goes to each peer together, in as few UPDATEs as fit.
 */
import { EventEmitter } from 'eventemitter3';
import { BgpListener, assertTcpMd5Available, normalizePrefix } from '@metallb-ts/bgp-core';
import type { Negotiated } from '@metallb-ts/bgp-core';
import type { Logger } from 'pino';
import { diffConfig } from './config/diff.js';
import type { ConfigDiff } from './config/diff.js';
import { ConfigError } from './config/errors.js';
import type { AnnouncementConfig, PeerConfig, SpeakerConfig } from './config/schema.js';
import { validateRoute } from './config/validate.js';
import { Peer } from './peer/peer.js';
import type { NeighborView, PeerListener } from './peer/peer.js';
import type { PeerStats } from './peer/stats.js';
import { LocRib } from './rib/loc-rib.js';
import { routeView } from './rib/route-view.js';
import type { RouteView } from './rib/route-view.js';
import { createLogger } from './log.js';

export type { NeighborView, PeerStats };

/** A route to announce; the library form of a config `announce` entry. */
export interface RouteInput {
  readonly prefix: string;
  /** `self` (the default) or an address of the prefix's family. */
  readonly nextHop?: string;
  /** "64512:100" or well-known names such as "no-export". */
  readonly communities?: readonly string[];
  /** "4200000000:1:2". */
  readonly largeCommunities?: readonly string[];
  /** Sent to iBGP peers only. */
  readonly localPref?: number;
  readonly med?: number;
  /** Only these peers (addresses) get the route; absent: every peer. */
  readonly peers?: readonly string[];
}

export interface SpeakerOptions {
  readonly logger?: Logger;
}

export interface SpeakerEvents {
  peerUp: (address: string, negotiated: Negotiated) => void;
  peerDown: (address: string, reason: string) => void;
  routesReceived: (address: string, prefixes: readonly string[]) => void;
  routesWithdrawn: (address: string, prefixes: readonly string[]) => void;
  error: (error: Error) => void;
}

export class Speaker extends EventEmitter<SpeakerEvents> {
  private currentConfig: SpeakerConfig;
  private readonly log: Logger;
  private readonly locRib = new LocRib();
  private readonly peers = new Map<string, Peer>();
  private listener: BgpListener | undefined;
  private started = false;
  private readonly peerListener: PeerListener;

  constructor(config: SpeakerConfig, options: SpeakerOptions = {}) {
    super();
    this.currentConfig = config;
    this.log = options.logger ?? createLogger();
    for (const route of config.announce) this.locRib.set(route);
    this.peerListener = {
      up: (peer, negotiated) => this.emit('peerUp', peer.address, negotiated),
      down: (peer, reason) => this.emit('peerDown', peer.address, reason),
      routesReceived: (peer, prefixes) => this.emit('routesReceived', peer.address, prefixes),
      routesWithdrawn: (peer, prefixes) => this.emit('routesWithdrawn', peer.address, prefixes),
      wantsRouteEvents: () => this.listenerCount('routesReceived') + this.listenerCount('routesWithdrawn') > 0,
      error: (peer, error) => {
        if (this.listenerCount('error') > 0) this.emit('error', Object.assign(error, { peer: peer.address }));
      },
    };
  }

  get config(): SpeakerConfig {
    return this.currentConfig;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('the speaker is already started');
    this.started = true;
    // Never a session without its password: refuse to start when TCP-MD5 is needed but unavailable.
    if (this.currentConfig.peers.some((peer) => peer.password !== undefined)) assertTcpMd5Available();

    const listen = this.currentConfig.listen;
    if (listen !== undefined) {
      this.listener = new BgpListener({
        rejected: (address) => this.log.warn({ remote: address }, 'connection from an unconfigured address refused'),
      });
      const keys = new Map<string, string>();
      for (const peer of this.currentConfig.peers) if (peer.password !== undefined) keys.set(peer.address, peer.password);
      await this.listener.listen(listen.address, listen.port, keys);
      this.log.info(listen, 'listening');
    }
    for (const peer of this.currentConfig.peers) this.startPeer(peer);
  }

  /**
   * Cease/Administrative Shutdown with `message` (RFC 9003) to every peer. With gracefulRestart,
   * peers that negotiated graceful restart get no NOTIFICATION: the connection is just closed, so
   * they keep our routes while we restart (RFC 4724 section 4.2).
   */
  async stop(message = 'bgp-speaker stopped', options: { gracefulRestart?: boolean } = {}): Promise<void> {
    const peers = [...this.peers.values()];
    this.peers.clear();
    await Promise.all(peers.map((peer) => (options.gracefulRestart === true && peer.gracefulRestartNegotiated ? peer.abort() : peer.stop(message))));
    await this.listener?.close();
    this.listener = undefined;
    this.started = false;
  }

  /** Announces (or changes) a route. Throws a ConfigError naming the bad field. */
  announce(input: RouteInput): void {
    const route = validateRoute(input);
    if (Array.isArray(route)) throw new ConfigError('announce()', route);
    this.setRoute(route as AnnouncementConfig);
  }

  withdraw(prefix: string): void {
    let normalized: string;
    try {
      normalized = normalizePrefix(prefix);
    } catch (error) {
      throw new ConfigError('withdraw()', [{ path: 'prefix', reason: (error as Error).message }]);
    }
    if (this.locRib.delete(normalized)) for (const peer of this.peers.values()) peer.routeChanged(normalized);
  }

  /** Adds and starts a peer. Its password is set on the listening socket before it can connect. */
  addPeer(config: PeerConfig): void {
    if (this.peers.has(config.address)) throw new Error(`peer ${config.address} is already configured`);
    if (config.password !== undefined) assertTcpMd5Available();
    this.currentConfig = { ...this.currentConfig, peers: [...this.currentConfig.peers.filter((p) => p.address !== config.address), config] };
    if (this.started) this.startPeer(config);
  }

  /** Ends the peer's session with Cease/Peer De-configured (RFC 4486) and forgets it. */
  async removePeer(address: string): Promise<void> {
    const peer = this.peer(address);
    this.peers.delete(address);
    this.currentConfig = { ...this.currentConfig, peers: this.currentConfig.peers.filter((p) => p.address !== address) };
    await peer.deconfigure();
  }

  /**
   * Applies a new validated config as a difference: removed peers get Cease/Peer De-configured,
   * peers whose session parameters changed get Cease/Other Configuration Change and a new
   * session, export-only changes are re-sent without touching the session, added peers start,
   * and announcements are withdrawn, changed and added. Sessions not named in the difference are
   * not touched. `diff` may come from the caller (the reload, which diffs against the file).
   * A change of asn, routerId or listen needs a restart and is refused whole.
   */
  async reconfigure(next: SpeakerConfig, diff: ConfigDiff = diffConfig(this.currentConfig, next)): Promise<ConfigDiff> {
    if (diff.restartRequired.length > 0) {
      throw new Error(`these changes need a restart of the speaker: ${diff.restartRequired.join('; ')}`);
    }
    for (const address of diff.peersRemoved) if (this.peers.has(address)) await this.removePeer(address);
    for (const change of diff.peersChanged) {
      const peer = this.peers.get(change.address);
      if (peer === undefined) continue;
      if (change.resetSession) {
        this.peers.delete(change.address);
        await peer.stop({ type: 'notification', code: 6, subcode: 6, data: new Uint8Array(0) });
        if (this.started) this.startPeer(change.next);
      } else {
        peer.updateConfig(change.next);
      }
    }
    for (const peer of diff.peersAdded) if (!this.peers.has(peer.address)) this.addPeer(peer);
    for (const prefix of diff.announcementsRemoved) this.withdraw(prefix);
    for (const route of [...diff.announcementsChanged, ...diff.announcementsAdded]) this.setRoute(route);
    this.currentConfig = { ...next, peers: [...this.peers.values()].map((peer) => peer.config) };
    return diff;
  }

  /**
   * Changes one peer's settings: export attributes and limits apply to the running session; a
   * change of anything in the OPEN or the TCP connection ends it with Cease/Other Configuration
   * Change and starts a new one.
   */
  async updatePeer(next: PeerConfig): Promise<void> {
    this.peer(next.address);
    const peers = this.currentConfig.peers.map((peer) => (peer.address === next.address ? next : peer));
    await this.reconfigure({ ...this.currentConfig, peers, announce: [...this.locRib.values()] });
  }


  resetPeer(address: string): Promise<void> {
    return this.peer(address).reset();
  }

  /** `neighbor ADDRESS shutdown`: Cease/Administrative Shutdown; the peer stays down until enablePeer. */
  shutdownPeer(address: string, message = 'administratively shut down'): Promise<void> {
    return this.peer(address).shutdown(message);
  }

  enablePeer(address: string): void {
    this.peer(address).enable();
  }

  neighbors(): NeighborView[] {
    return [...this.peers.values()].map((peer) => peer.view());
  }

  /** Per-peer figures for monitoring (the Prometheus metrics read these at scrape time). */
  peerStats(): PeerStats[] {
    return [...this.peers.values()].map((peer) => peer.stats());
  }

  /** The routes we originate; with a peer address, what that peer was sent. */
  advertisedRoutes(peerAddress?: string): RouteView[] {
    if (peerAddress !== undefined) return this.peer(peerAddress).advertisedRoutes();
    return [...this.locRib.values()].map((route) => ({
      ...routeView(route.prefix, { origin: 0, communities: route.communities }, route.nextHop),
      med: route.med ?? null,
      localPref: route.localPref ?? null,
      largeCommunities: route.largeCommunities,
    }));
  }

  receivedRoutes(peerAddress: string): RouteView[] {
    return this.peer(peerAddress).receivedRoutes();
  }

  private peer(address: string): Peer {
    const peer = this.peers.get(address);
    if (peer === undefined) throw new Error(`no configured peer ${address}`);
    return peer;
  }

  private startPeer(config: PeerConfig): void {
    const peer = new Peer(config, {
      localAsn: this.currentConfig.asn,
      routerId: this.currentConfig.routerId,
      listener: this.listener,
      logger: this.log,
      source: this.locRib,
      events: this.peerListener,
    });
    this.peers.set(config.address, peer);
    peer.start();
  }

  private setRoute(route: AnnouncementConfig): void {
    if (!this.locRib.set(route)) return;
    for (const peer of this.peers.values()) peer.routeChanged(route.prefix);
  }
}

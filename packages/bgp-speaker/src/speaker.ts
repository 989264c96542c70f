/**
 * The speaker: a listener (when configured), one Peer per neighbour, and the routes we announce.
 * This is the public API of the package; the CLI and the control socket are thin layers over it.
 */
import { EventEmitter } from 'eventemitter3';
import { BgpListener, assertTcpMd5Available } from '@metallb-ts/bgp-core';
import type { Logger } from 'pino';
import type { SpeakerConfig } from './config/schema.js';
import { Peer } from './peer/peer.js';
import type { NeighborView } from './peer/peer.js';
import { routeView } from './rib/route-view.js';
import type { RouteView } from './rib/route-view.js';
import { createLogger } from './log.js';

export type { NeighborView };

export interface SpeakerOptions {
  readonly logger?: Logger;
}

export interface SpeakerEvents {
  started: () => void;
  stopped: () => void;
}

export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly config: SpeakerConfig;
  private readonly log: Logger;
  private readonly peers = new Map<string, Peer>();
  private listener: BgpListener | undefined;

  constructor(config: SpeakerConfig, options: SpeakerOptions = {}) {
    super();
    this.config = config;
    this.log = options.logger ?? createLogger();
  }

  async start(): Promise<void> {
    // Never a session without its password: refuse to start when TCP-MD5 is needed but unavailable.
    if (this.config.peers.some((peer) => peer.password !== undefined)) assertTcpMd5Available();

    if (this.config.listen !== undefined) {
      this.listener = new BgpListener({
        rejected: (address) => this.log.warn({ remote: address }, 'connection from an unconfigured address refused'),
      });
      const keys = new Map<string, string>();
      for (const peer of this.config.peers) if (peer.password !== undefined) keys.set(peer.address, peer.password);
      await this.listener.listen(this.config.listen.address, this.config.listen.port, keys);
      this.log.info(this.config.listen, 'listening');
    }
    for (const peerConfig of this.config.peers) {
      const peer = new Peer(peerConfig, {
        localAsn: this.config.asn,
        routerId: this.config.routerId,
        listener: this.listener,
        logger: this.log,
      });
      this.peers.set(peerConfig.address, peer);
      peer.start(this.config.announce);
    }
    this.emit('started');
  }

  /** Ends every session with Cease/Administrative Shutdown carrying `message` (RFC 9003). */
  async stop(message: string): Promise<void> {
    await Promise.all([...this.peers.values()].map((peer) => peer.stop(message)));
    this.peers.clear();
    await this.listener?.close();
    this.listener = undefined;
    this.emit('stopped');
  }

  neighbors(): NeighborView[] {
    return [...this.peers.values()].map((peer) => peer.view());
  }

  /** The routes we originate, as configured (next hop `self` is resolved per session). */
  advertisedRoutes(): RouteView[] {
    return this.config.announce.map((route) => ({
      ...routeView(route.prefix, { origin: 0, communities: route.communities }, route.nextHop),
      med: route.med ?? null,
      localPref: route.localPref ?? null,
      largeCommunities: route.largeCommunities,
    }));
  }

  receivedRoutes(peerAddress: string): RouteView[] {
    const peer = this.peers.get(peerAddress);
    if (peer === undefined) throw new Error(`no configured peer ${peerAddress}`);
    return peer.receivedRoutes();
  }
}

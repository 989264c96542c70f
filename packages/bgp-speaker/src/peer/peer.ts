/**
 * One configured neighbour: its session, what it sent us (Adj-RIB-In) and what we sent it
 * (Adj-RIB-Out).
 *
 * Outgoing: a change of our routes only marks the prefix dirty here; `flush` turns dirty
 * prefixes into UPDATEs (grouped by attribute set, as full as the message size allows) while the
 * socket takes them, and waits for 'drain' when it does not. End-of-RIB follows the initial table
 * (RFC 4724 section 2), and a ROUTE-REFRESH resends everything (RFC 2918; RFC 7313 markers when
 * negotiated).
 *
 * Incoming: UPDATEs go into the Adj-RIB-In with RFC 7606 treat-as-withdraw honoured, up to
 * `maxPrefixes` (RFC 4486). When a peer that negotiated graceful restart loses its TCP connection
 * without a NOTIFICATION, its routes are kept, marked stale, for its restart time, and those it
 * does not send again are swept at its End-of-RIB (RFC 4724 section 4.2).
 */
import { BgpSession, endOfRib, endOfRibFamily, packAnnouncements, packWithdrawals, prefixFamily, reconstructAsPath, routeAttributes } from '@metallb-ts/bgp-core';
import type { AddressFamily, BgpListener, Negotiated, NotificationMessage, PathAttributes, RouteRefreshMessage, UpdateMessage } from '@metallb-ts/bgp-core';
import type { Logger } from 'pino';
import type { AnnouncementConfig, PeerConfig } from '../config/schema.js';
import { AdjRibIn, routeParts } from '../rib/adj-rib-in.js';
import { AdjRibOut } from '../rib/adj-rib-out.js';
import { routeView } from '../rib/route-view.js';
import type { RouteView } from '../rib/route-view.js';
import { exportRoute, wantedNextHop } from './export.js';
import { resolveSelfNextHop } from './next-hop.js';
import type { PeerStats } from './stats.js';

/** How many dirty prefixes one flush step turns into UPDATEs before it checks the socket again. */
const FLUSH_BATCH = 4096;
/** Next hop self retries: quickly at first (an interface coming up), then every 30 s at most. */
const NEXT_HOP_RETRY_FIRST_MS = 250;
const NEXT_HOP_RETRY_MAX_MS = 30_000;
const FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];
const AFI: Readonly<Record<AddressFamily, number>> = { ipv4: 1, ipv6: 2 };
/** RFC 4486 Cease subcodes used here. */
const CEASE = { MAX_PREFIXES: 1, ADMINISTRATIVE_SHUTDOWN: 2, PEER_DECONFIGURED: 3, ADMINISTRATIVE_RESET: 4 } as const;

/** Where a peer reads the routes we originate. */
export interface RouteSource {
  get(prefix: string): AnnouncementConfig | undefined;
  prefixes(): Iterable<string>;
}

/** What a peer tells its speaker. */
export interface PeerListener {
  up(peer: Peer, negotiated: Negotiated): void;
  down(peer: Peer, reason: string): void;
  /** Called only when `wantsRouteEvents()` is true, so a full table builds no arrays for nobody. */
  routesReceived(peer: Peer, prefixes: readonly string[]): void;
  routesWithdrawn(peer: Peer, prefixes: readonly string[]): void;
  wantsRouteEvents(): boolean;
  /** Something failed that is not the peer's doing; the peer goes on. */
  error(peer: Peer, error: Error): void;
}

export interface PeerOptions {
  readonly localAsn: number;
  readonly routerId: string;
  readonly listener: BgpListener | undefined;
  readonly logger: Logger;
  readonly source: RouteSource;
  readonly events: PeerListener;
}

export interface NeighborView {
  readonly address: string;
  readonly asn: number;
  readonly state: string;
  readonly uptimeSeconds: number | null;
  readonly received: number;
  readonly advertised: number;
  readonly lastError: string | null;
}

export class Peer {
  config: PeerConfig;
  private readonly options: PeerOptions;
  private readonly log: Logger;
  private readonly session: BgpSession;
  private readonly ribIn = new AdjRibIn();
  private readonly ribOut = new AdjRibOut();
  /** Dirty prefixes to resend even when unchanged (a route refresh asked for them). */
  private readonly forced = new Set<string>();
  /** Prefixes whose next hop `self` has no address yet; retried. */
  private readonly waitingNextHop = new Set<string>();
  private negotiated: Negotiated | undefined;
  private establishedAt: number | undefined;
  private lastError: string | undefined;
  private asLoopIgnored = 0;
  private asLoopLogged = false;
  private flushScheduled = false;
  private waitingForDrain = false;
  private endOfRibDue = false;
  private readonly endOfRouteRefreshDue = new Set<AddressFamily>();
  private nextHopRetry: NodeJS.Timeout | undefined;
  private nextHopRetryDelayMs = NEXT_HOP_RETRY_FIRST_MS;
  /** Held down after Cease/Maximum Number of Prefixes Reached until this fires. */
  private holdDown: NodeJS.Timeout | undefined;
  private adminDown = false;
  /** Graceful restart helper: the peer's routes kept since its TCP connection was lost. */
  private stale: Set<string> | undefined;
  private staleTimer: NodeJS.Timeout | undefined;

  constructor(config: PeerConfig, options: PeerOptions) {
    this.config = config;
    this.options = options;
    this.log = options.logger.child({ peer: config.address });
    this.session = new BgpSession(
      {
        localAsn: options.localAsn,
        localRouterId: options.routerId,
        peerAddress: config.address,
        peerPort: config.port,
        peerAsn: config.asn,
        holdTime: config.holdTime,
        keepaliveTime: config.keepaliveTime,
        ...(config.sendHoldTime === undefined ? {} : { sendHoldTime: config.sendHoldTime }),
        connectRetryTime: config.connectRetryTime,
        passive: config.passive,
        families: config.families,
        fourOctetAs: config.fourOctetAs,
        ...(config.password === undefined ? {} : { password: config.password }),
        ...(config.sourceAddress === undefined ? {} : { sourceAddress: config.sourceAddress }),
        ...(config.gracefulRestart?.enabled === true ? { gracefulRestart: { restartTime: config.gracefulRestart.restartTime } } : {}),
      },
      { ...(options.listener === undefined ? {} : { listener: options.listener }) },
    );
    this.session.on('stateChange', (change) => this.log.info(change, `state ${change.from} -> ${change.to}`));
    this.session.on('established', (negotiated) => this.onEstablished(negotiated));
    this.session.on('down', (reason, notified) => this.onDown(reason, notified));
    this.session.on('update', (update) => this.onUpdate(update));
    this.session.on('routeRefresh', (message) => this.onRouteRefresh(message));
    this.session.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
    this.session.on('problem', (message) => {
      this.lastError = message;
      this.log.warn(message);
    });
  }

  get address(): string {
    return this.config.address;
  }

  /** Whether the current session negotiated graceful restart in both directions. */
  get gracefulRestartNegotiated(): boolean {
    return this.config.gracefulRestart?.enabled === true && this.negotiated?.peerGracefulRestart !== undefined;
  }

  start(): void {
    this.adminDown = false;
    this.session.start();
  }

  /** Cease (Administrative Shutdown with `message`, or a prepared one), then forget the peer. */
  async stop(reason: string | NotificationMessage): Promise<void> {
    this.cancelTimers();
    await this.session.stop(reason);
    this.session.close();
  }

  /** Closes without a NOTIFICATION, so a graceful restart helper keeps our routes; then forgets the peer. */
  async abort(): Promise<void> {
    this.cancelTimers();
    await this.session.abort();
    this.session.close();
  }

  /** `neighbor ADDRESS reset`: Cease/Administrative Reset, then connect again at once. */
  async reset(): Promise<void> {
    await this.session.stop(cease(CEASE.ADMINISTRATIVE_RESET));
    if (!this.adminDown) this.session.start();
  }

  /** `neighbor ADDRESS shutdown`: Cease/Administrative Shutdown, and stay down until enable(). */
  async shutdown(message: string): Promise<void> {
    this.adminDown = true;
    if (this.holdDown !== undefined) clearTimeout(this.holdDown);
    this.holdDown = undefined;
    await this.session.stop(message);
  }

  /** `neighbor ADDRESS enable`: start again after shutdown (or cut a max-prefix hold-down short). */
  enable(): void {
    if (this.holdDown !== undefined) clearTimeout(this.holdDown);
    this.holdDown = undefined;
    this.start();
  }

  /** Removal from the config: Cease/Peer De-configured (RFC 4486), then forget the peer. */
  deconfigure(): Promise<void> {
    return this.stop(cease(CEASE.PEER_DECONFIGURED));
  }

  /** Settings that need no new session (export attributes, limits) take effect now. */
  updateConfig(next: PeerConfig): void {
    const exportChanged = JSON.stringify(next.export) !== JSON.stringify(this.config.export);
    this.config = next;
    if (exportChanged) this.resendAll();
  }

  /** Our route for `prefix` changed (announced, changed or withdrawn): reconsider it. */
  routeChanged(prefix: string): void {
    this.ribOut.markDirty(prefix);
    this.scheduleFlush();
  }

  view(): NeighborView {
    return {
      address: this.config.address,
      asn: this.config.asn,
      state: this.session.state,
      uptimeSeconds: this.establishedAt === undefined ? null : Math.floor((Date.now() - this.establishedAt) / 1000),
      received: this.ribIn.size,
      advertised: this.ribOut.size,
      lastError: this.lastError ?? null,
    };
  }

  get state(): string {
    return this.session.state;
  }

  get receivedCount(): number {
    return this.ribIn.size;
  }

  get announcedCount(): number {
    return this.ribOut.size;
  }

  get pendingCount(): number {
    return this.ribOut.pending + this.waitingNextHop.size;
  }

  /** Announcements ignored this session because their AS_PATH holds our AS. */
  get asLoopIgnoredCount(): number {
    return this.asLoopIgnored;
  }

  stats(): PeerStats {
    const { sent, received } = this.session.counters;
    const state = this.session.state;
    return {
      address: this.config.address,
      port: this.config.port,
      asn: this.config.asn,
      state,
      sessionUp: state === 'Established',
      sent: { ...sent },
      received: { ...received },
      announcedPrefixes: this.ribOut.size,
      pendingPrefixes: this.pendingCount,
      receivedPrefixes: this.ribIn.size,
    };
  }

  receivedRoutes(): RouteView[] {
    const needsAs4Merge = this.negotiated !== undefined && !this.negotiated.fourOctetAs;
    // RFC 4271 section 5.1.5: LOCAL_PREF from an external peer is ignored.
    const external = this.config.asn !== this.options.localAsn;
    const views: RouteView[] = [];
    for (const [prefix, route] of this.ribIn.entries()) {
      const { attributes, nextHop } = routeParts(route);
      const shown = routeView(prefix, needsAs4Merge ? mergeAs4Path(attributes) : attributes, nextHop);
      const view = external && shown.localPref !== null ? { ...shown, localPref: null } : shown;
      views.push(this.stale?.has(prefix) === true ? { ...view, stale: true } : view);
    }
    return views;
  }

  /** What this peer was sent, as it was sent (next hop resolved, peer export applied). */
  advertisedRoutes(): RouteView[] {
    const context = this.exportContext();
    const views: RouteView[] = [];
    for (const [prefix, sent] of this.ribOut.entries()) {
      const route = this.options.source.get(prefix);
      if (route !== undefined) views.push(routeView(prefix, exportRoute(route, context, sent.nextHop).attributes, sent.nextHop));
    }
    return views;
  }

  // ---------------------------------------------------------------------------------------------
  // Session events

  private onEstablished(negotiated: Negotiated): void {
    this.negotiated = negotiated;
    this.establishedAt = Date.now();
    this.lastError = undefined;
    this.asLoopIgnored = 0;
    this.asLoopLogged = false;
    this.log.info(
      { holdTime: negotiated.holdTimeSeconds, fourOctetAs: negotiated.fourOctetAs, families: negotiated.families, peerRouterId: negotiated.peerRouterId },
      'session established',
    );
    this.resumeStale(negotiated);
    this.ribOut.clear();
    for (const prefix of this.options.source.prefixes()) this.ribOut.markDirty(prefix);
    this.endOfRibDue = true;
    this.options.events.up(this, negotiated);
    this.flush();
  }

  private onDown(reason: string, notified: boolean): void {
    const negotiated = this.negotiated;
    this.log.warn({ reason, routesHeld: this.ribIn.size }, 'session down');
    this.lastError = reason;
    this.establishedAt = undefined;
    this.negotiated = undefined;
    this.waitingForDrain = false;
    this.endOfRibDue = false;
    this.endOfRouteRefreshDue.clear();
    this.forced.clear();
    this.waitingNextHop.clear();
    if (this.nextHopRetry !== undefined) clearTimeout(this.nextHopRetry);
    this.nextHopRetry = undefined;
    this.ribOut.clear();
    const peerRestart = negotiated?.peerGracefulRestart;
    // Helper role (RFC 4724 4.2): only when we advertised graceful restart too, and the
    // connection was lost rather than closed with a NOTIFICATION.
    if (!notified && peerRestart !== undefined && this.config.gracefulRestart?.enabled === true && this.ribIn.size > 0) {
      this.keepStale(peerRestart.restartTime, peerRestart.families.map((f) => f.afi));
    } else {
      this.dropAllReceived();
    }
    this.options.events.down(this, reason);
  }

  private onRouteRefresh(message: RouteRefreshMessage): void {
    // RFC 7313: subtypes 1 and 2 mark the peer's own re-advertisement; only 0 is a request.
    if (message.subtype !== 0) return;
    const family = FAMILIES.find((f) => AFI[f] === message.afi);
    if (family === undefined || this.negotiated === undefined || !this.negotiated.families.includes(family)) return;
    this.log.info({ family }, 'route refresh requested; resending');
    if (this.negotiated.enhancedRouteRefresh) {
      this.session.send({ type: 'route-refresh', afi: message.afi, safi: message.safi, subtype: 1 });
      this.endOfRouteRefreshDue.add(family);
    }
    for (const [prefix] of this.ribOut.entries()) {
      if (prefixFamily(prefix) !== family) continue;
      this.forced.add(prefix);
      this.ribOut.markDirty(prefix);
    }
    this.flush();
  }

  private onUpdate(update: UpdateMessage): void {
    const treatAsWithdraw = update.problems?.some((problem) => problem.action === 'treat-as-withdraw') ?? false;
    for (const problem of update.problems ?? []) {
      this.log.warn({ code: problem.code, action: problem.action }, `malformed UPDATE handled per RFC 7606: ${problem.message}`);
    }
    const attributes = update.attributes;
    const withdrawn: string[] = [...update.withdrawn, ...(attributes.mpUnreach?.withdrawn ?? [])];
    for (const prefix of withdrawn) this.forgetReceived(prefix);

    const announced = [...update.nlri, ...(attributes.mpReach?.nlri ?? [])];
    // RFC 4271 section 9.1.2: a route whose AS_PATH holds our own AS has looped back (a router
    // reflecting one node's route to another); it must not count as learned. Dropped on input, as
    // FRR and BIRD do by default, so it shows nowhere and counts toward no maximum.
    const looped = announced.length > 0 && !treatAsWithdraw && pathContains(attributes, this.options.localAsn);
    if (looped) this.noteAsLoop(announced, attributes);
    if (treatAsWithdraw || looped) {
      for (const prefix of announced) this.forgetReceived(prefix);
      withdrawn.push(...announced);
    } else if (announced.length > 0) {
      // Store the shared attribute set, never `update.attributes` itself: for IPv6 that object
      // holds MP_REACH_NLRI, i.e. every prefix of the message, which each route would keep alive.
      const shared = routeAttributes(attributes);
      for (const prefix of update.nlri) this.ribIn.set(prefix, shared);
      const mpReach = attributes.mpReach;
      if (mpReach !== undefined && mpReach.nlri.length > 0) {
        const route = this.ribIn.internMp(shared, mpReach.nextHops[0]);
        for (const prefix of mpReach.nlri) this.ribIn.set(prefix, route);
      }
      if (this.stale !== undefined) for (const prefix of announced) this.stale.delete(prefix);
    }

    const eorFamily = endOfRibFamily(update);
    if (eorFamily !== undefined) {
      this.log.info({ family: eorFamily, received: this.ribIn.size }, 'End-of-RIB received');
      this.sweepStale(eorFamily);
    }
    const events = this.options.events;
    if (events.wantsRouteEvents()) {
      if (withdrawn.length > 0) events.routesWithdrawn(this, withdrawn);
      if (!treatAsWithdraw && !looped && announced.length > 0) events.routesReceived(this, announced);
    }
    if (!looped) this.enforceMaxPrefixes(announced);
  }

  /** Logged once per session (a reflecting router sends many), then only counted. */
  private noteAsLoop(prefixes: readonly string[], attributes: PathAttributes): void {
    this.asLoopIgnored += prefixes.length;
    if (this.asLoopLogged) return;
    this.asLoopLogged = true;
    const path = (attributes.as4Path ?? attributes.asPath ?? []).flatMap((segment) => segment.asns).join(' ');
    this.log.warn(
      { prefix: prefixes[0], asPath: path, localAsn: this.options.localAsn },
      'ignoring routes whose AS_PATH holds our own AS (RFC 4271 section 9.1.2); further ones are counted, not logged',
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Outgoing UPDATEs

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything changed in this tick goes out together: announce() in a loop makes full UPDATEs.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private exportContext() {
    return { localAsn: this.options.localAsn, peerAsn: this.config.asn, export: this.config.export };
  }

  /**
   * Turns dirty prefixes into UPDATEs until none is left or the socket asks us to wait. A failure
   * here (a route whose attributes cannot be encoded) is reported, never thrown into the event
   * loop: the process and the other peers go on.
   */
  private flush(): void {
    try {
      this.flushDirty();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.log.error({ err: failure }, 'could not send UPDATEs to this peer');
      this.lastError = `could not send UPDATEs: ${failure.message}`;
      this.options.events.error(this, failure);
    }
  }

  private flushDirty(): void {
    const negotiated = this.negotiated;
    const localAddress = this.session.localAddress;
    if (negotiated === undefined || localAddress === undefined || this.waitingForDrain) return;
    const context = this.exportContext();
    const options = negotiated.codecOptions;
    // `self` resolves to the same address for every route of a family: look it up once per flush,
    // not per prefix (listing the interfaces costs microseconds, a million times over).
    const selfNextHop = new Map<AddressFamily, string | undefined>();
    const resolveSelf = (family: AddressFamily): string | undefined => {
      if (!selfNextHop.has(family)) selfNextHop.set(family, resolveSelfNextHop(family, localAddress));
      return selfNextHop.get(family);
    };

    while (this.ribOut.pending > 0) {
      const groups = new Map<string, { attributes: PathAttributes; family: AddressFamily; nextHop: string; prefixes: string[] }>();
      const withdrawals: Record<AddressFamily, string[]> = { ipv4: [], ipv6: [] };
      for (const prefix of this.ribOut.takeDirty(FLUSH_BATCH)) {
        const forced = this.forced.delete(prefix);
        const route = this.options.source.get(prefix);
        const forThisPeer = route !== undefined && (route.peers === undefined || route.peers.includes(this.config.address));
        if (route === undefined || !forThisPeer || !negotiated.families.includes(route.family)) {
          this.waitingNextHop.delete(prefix);
          if (this.ribOut.sentRoute(prefix) !== undefined) {
            withdrawals[prefixFamily(prefix)].push(prefix);
            this.ribOut.recordWithdrawn(prefix);
          }
          continue;
        }
        const wanted = wantedNextHop(route, this.config.export);
        const nextHop = wanted === 'self' ? resolveSelf(route.family) : wanted;
        if (nextHop === undefined) {
          this.waitingNextHop.add(prefix);
          continue;
        }
        this.waitingNextHop.delete(prefix);
        const exported = exportRoute(route, context, nextHop);
        if (!forced && this.ribOut.sentRoute(prefix)?.key === exported.key) continue;
        const group = groups.get(exported.key);
        if (group === undefined) groups.set(exported.key, { attributes: exported.attributes, family: route.family, nextHop, prefixes: [prefix] });
        else group.prefixes.push(prefix);
        this.ribOut.recordAnnounced(prefix, { key: exported.key, nextHop });
      }

      const writable = this.session.batch(() => {
        let ok = true;
        for (const family of FAMILIES) {
          for (const message of packWithdrawals(withdrawals[family], family, options)) ok = this.session.sendBytes(message) && ok;
        }
        for (const { attributes, family, nextHop, prefixes } of groups.values()) {
          const nextHopsV6 = family === 'ipv6' ? [nextHop] : undefined;
          for (const message of packAnnouncements(attributes, prefixes, family, nextHopsV6, options)) {
            ok = this.session.sendBytes(message) && ok;
          }
        }
        return ok;
      });
      if (!writable) {
        // The socket holds enough: the rest stays dirty (bounded by the table) until 'drain'.
        this.waitingForDrain = true;
        return;
      }
    }
    this.flushed(negotiated);
  }

  /** The dirty set is empty: the markers that were waiting for it, and next hops still unresolved. */
  private flushed(negotiated: Negotiated): void {
    if (this.endOfRibDue) {
      this.endOfRibDue = false;
      for (const family of negotiated.families) this.session.send(endOfRib(family));
      this.log.info({ prefixes: this.ribOut.size, waitingForNextHop: this.waitingNextHop.size }, 'initial table sent, End-of-RIB');
    }
    for (const family of this.endOfRouteRefreshDue) {
      this.session.send({ type: 'route-refresh', afi: AFI[family], safi: 1, subtype: 2 });
    }
    this.endOfRouteRefreshDue.clear();
    if (this.waitingNextHop.size > 0 && this.nextHopRetry === undefined) this.retryNextHops();
    if (this.waitingNextHop.size === 0) this.nextHopRetryDelayMs = NEXT_HOP_RETRY_FIRST_MS;
  }

  /**
   * `nextHop: self` needs an address of the route's family on the session's interface; one that
   * has just come up lists its IPv6 address only once the kernel marks it running (about a second
   * later). Such routes wait and are retried, not dropped.
   */
  private retryNextHops(): void {
    const delayMs = this.nextHopRetryDelayMs;
    if (delayMs === NEXT_HOP_RETRY_FIRST_MS) {
      this.log.warn({ prefixes: [...this.waitingNextHop] }, 'no address of the route\'s family on the interface of this session yet (next hop self); retrying');
    }
    this.nextHopRetry = setTimeout(() => {
      this.nextHopRetry = undefined;
      const nextDelayMs = Math.min(delayMs * 2, NEXT_HOP_RETRY_MAX_MS);
      // Once, when quick retries give way to slow ones (about 16 s in): this is not a passing state.
      if (nextDelayMs === NEXT_HOP_RETRY_MAX_MS && delayMs !== NEXT_HOP_RETRY_MAX_MS) {
        this.log.error(
          { prefixes: [...this.waitingNextHop] },
          'still no address to use as next hop self for these routes; set nextHop explicitly or add an address of that family to the interface',
        );
      }
      this.nextHopRetryDelayMs = nextDelayMs;
      for (const prefix of this.waitingNextHop) this.ribOut.markDirty(prefix);
      this.flush();
    }, delayMs);
    this.nextHopRetry.unref();
  }

  private resendAll(): void {
    for (const prefix of this.options.source.prefixes()) this.ribOut.markDirty(prefix);
    for (const [prefix] of this.ribOut.entries()) this.ribOut.markDirty(prefix);
    this.scheduleFlush();
  }

  // ---------------------------------------------------------------------------------------------
  // Received routes: limits and graceful restart

  private forgetReceived(prefix: string): void {
    this.ribIn.delete(prefix);
    this.stale?.delete(prefix);
  }

  private dropAllReceived(): void {
    const events = this.options.events;
    if (this.ribIn.size > 0 && events.wantsRouteEvents()) events.routesWithdrawn(this, [...this.ribIn.entries()].map(([prefix]) => prefix));
    this.ribIn.clear();
    this.endStale();
  }

  /** RFC 4486: over the limit, Cease/Maximum Number of Prefixes Reached, and down for restartTime. */
  private enforceMaxPrefixes(announced: readonly string[]): void {
    const limit = this.config.maxPrefixes;
    if (limit === undefined || this.ribIn.size <= limit.limit) return;
    const family = announced.length > 0 ? prefixFamily(announced[announced.length - 1] as string) : 'ipv4';
    this.log.error({ limit: limit.limit, received: this.ribIn.size, restartTime: limit.restartTime }, 'maximum number of prefixes exceeded; closing the session');
    // Data: AFI (2 octets), SAFI (1), the upper bound (4), RFC 4486 section 4.
    const data = new Uint8Array(7);
    const view = new DataView(data.buffer);
    view.setUint16(0, AFI[family]);
    data[2] = 1;
    view.setUint32(3, limit.limit);
    void this.session.stop(cease(CEASE.MAX_PREFIXES, data)).then(() => {
      // Set last, over the generic messages of the stop: this is what an operator needs to read.
      this.lastError = `maximum number of prefixes (${limit.limit}) exceeded: sent Cease/Maximum Number of Prefixes Reached; down for ${limit.restartTime} s`;
      if (this.adminDown) return;
      this.holdDown = setTimeout(() => {
        this.holdDown = undefined;
        if (!this.adminDown) this.session.start();
      }, limit.restartTime * 1000);
      this.holdDown.unref();
    });
  }

  /** Helper role: keep the routes, marked stale, for the peer's restart time. */
  private keepStale(restartTimeSeconds: number, afis: readonly number[]): void {
    this.endStale();
    const stale = new Set<string>();
    const dropped: string[] = [];
    for (const [prefix] of this.ribIn.entries()) {
      if (afis.includes(AFI[prefixFamily(prefix)])) stale.add(prefix);
      else dropped.push(prefix);
    }
    for (const prefix of dropped) this.ribIn.delete(prefix);
    this.stale = stale;
    this.log.info({ stale: stale.size, restartTime: restartTimeSeconds }, 'peer lost its connection with graceful restart; keeping its routes as stale');
    this.staleTimer = setTimeout(() => {
      this.log.warn({ stale: this.stale?.size ?? 0 }, 'the peer did not come back within its restart time; dropping its stale routes');
      this.sweepStale(undefined);
    }, restartTimeSeconds * 1000);
    this.staleTimer.unref();
  }

  /** Back Established: stale routes of families the peer did not keep forwarding for go at once (RFC 4724 4.2). */
  private resumeStale(negotiated: Negotiated): void {
    if (this.stale === undefined) return;
    const preserved = new Set((negotiated.peerGracefulRestart?.families ?? []).filter((f) => f.forwardingPreserved).map((f) => f.afi));
    for (const family of FAMILIES) if (!preserved.has(AFI[family])) this.sweepStale(family);
  }

  /** Drops the stale routes of `family` (all, when undefined) that were not sent again. */
  private sweepStale(family: AddressFamily | undefined): void {
    const stale = this.stale;
    if (stale === undefined) return;
    const swept: string[] = [];
    for (const prefix of stale) {
      if (family !== undefined && prefixFamily(prefix) !== family) continue;
      this.ribIn.delete(prefix);
      swept.push(prefix);
    }
    for (const prefix of swept) stale.delete(prefix);
    if (swept.length > 0) {
      this.log.info({ family: family ?? 'all', swept: swept.length }, 'stale routes swept');
      const events = this.options.events;
      if (events.wantsRouteEvents()) events.routesWithdrawn(this, swept);
    }
    if (stale.size === 0) this.endStale();
  }

  private endStale(): void {
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    this.stale = undefined;
  }

  private cancelTimers(): void {
    for (const timer of [this.nextHopRetry, this.holdDown, this.staleTimer]) if (timer !== undefined) clearTimeout(timer);
    this.nextHopRetry = undefined;
    this.holdDown = undefined;
    this.staleTimer = undefined;
  }
}

/** Does the AS_PATH (or, from a 2-octet peer, AS4_PATH: our 4-octet AS is AS_TRANS in AS_PATH) hold `asn`? */
function pathContains(attributes: PathAttributes, asn: number): boolean {
  for (const path of [attributes.asPath, attributes.as4Path]) {
    for (const segment of path ?? []) if (segment.asns.includes(asn)) return true;
  }
  return false;
}

function cease(subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage {
  return { type: 'notification', code: 6, subcode, data };
}

/** RFC 6793 section 4.2.3: a 2-octet peer's real path is AS_PATH merged with AS4_PATH. */
function mergeAs4Path(attributes: PathAttributes): PathAttributes {
  if (attributes.as4Path === undefined || attributes.asPath === undefined) return attributes;
  return { ...attributes, asPath: reconstructAsPath(attributes.asPath, attributes.as4Path) };
}

/**
 * One configured neighbour: its session, what it sent us (Adj-RIB-In) and what we sent it.
 *
 * On Established we send the whole table, grouped so routes with equal attributes share UPDATEs,
 * then End-of-RIB per family (RFC 4724 section 2). Received UPDATEs are applied to the Adj-RIB-In
 * with RFC 7606 treat-as-withdraw honoured.
 */
import { BgpSession, endOfRib, endOfRibFamily, packAnnouncements, reconstructAsPath, routeAttributes } from '@metallb-ts/bgp-core';
import type { AddressFamily, BgpListener, Negotiated, PathAttributes, UpdateMessage } from '@metallb-ts/bgp-core';
import type { Logger } from 'pino';
import type { AnnouncementConfig, PeerConfig } from '../config/schema.js';
import { AdjRibIn, routeParts } from '../rib/adj-rib-in.js';
import { routeView } from '../rib/route-view.js';
import type { RouteView } from '../rib/route-view.js';
import { attributeGroupKey, exportAttributes } from './export.js';
import { resolveSelfNextHop } from './next-hop.js';

/** Next hop self retries: quickly at first (an interface coming up), then every 30 s at most. */
const NEXT_HOP_RETRY_FIRST_MS = 250;
const NEXT_HOP_RETRY_MAX_MS = 30_000;

export interface PeerOptions {
  readonly localAsn: number;
  readonly routerId: string;
  readonly listener: BgpListener | undefined;
  readonly logger: Logger;
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
  readonly config: PeerConfig;
  private readonly options: PeerOptions;
  private readonly log: Logger;
  private readonly session: BgpSession;
  private readonly ribIn = new AdjRibIn();
  /** What we sent in this session: prefix -> the next hop we gave it. */
  private readonly advertised = new Map<string, string>();
  private announcements: readonly AnnouncementConfig[] = [];
  private establishedAt: number | undefined;
  private lastError: string | undefined;
  private negotiated: Negotiated | undefined;
  private nextHopRetry: NodeJS.Timeout | undefined;

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
        connectRetryTime: config.connectRetryTime,
        passive: config.passive,
        families: config.families,
        fourOctetAs: config.fourOctetAs,
        ...(config.password === undefined ? {} : { password: config.password }),
        ...(config.sourceAddress === undefined ? {} : { sourceAddress: config.sourceAddress }),
      },
      { ...(options.listener === undefined ? {} : { listener: options.listener }) },
    );
    this.session.on('stateChange', (change) => this.log.info(change, `state ${change.from} -> ${change.to}`));
    this.session.on('established', (negotiated) => this.onEstablished(negotiated));
    this.session.on('down', (reason) => this.onDown(reason));
    this.session.on('update', (update) => this.onUpdate(update));
    this.session.on('routeRefresh', () => this.sendTable('route refresh'));
    this.session.on('problem', (message) => {
      this.lastError = message;
      this.log.warn(message);
    });
  }

  start(announcements: readonly AnnouncementConfig[]): void {
    this.announcements = announcements;
    this.session.start();
  }

  stop(message: string): Promise<void> {
    this.cancelNextHopRetry();
    return this.session.stop(message);
  }

  view(): NeighborView {
    return {
      address: this.config.address,
      asn: this.config.asn,
      state: this.session.state,
      uptimeSeconds: this.establishedAt === undefined ? null : Math.floor((Date.now() - this.establishedAt) / 1000),
      received: this.ribIn.size,
      advertised: this.advertised.size,
      lastError: this.lastError ?? null,
    };
  }

  receivedRoutes(): RouteView[] {
    const needsAs4Merge = this.negotiated !== undefined && !this.negotiated.fourOctetAs;
    const views: RouteView[] = [];
    for (const [prefix, route] of this.ribIn.entries()) {
      const { attributes, nextHop } = routeParts(route);
      views.push(routeView(prefix, needsAs4Merge ? mergeAs4Path(attributes) : attributes, nextHop));
    }
    return views;
  }

  private onEstablished(negotiated: Negotiated): void {
    this.negotiated = negotiated;
    this.establishedAt = Date.now();
    this.lastError = undefined;
    this.log.info(
      { holdTime: negotiated.holdTimeSeconds, fourOctetAs: negotiated.fourOctetAs, families: negotiated.families, peerRouterId: negotiated.peerRouterId },
      'session established',
    );
    this.sendTable('initial');
  }

  private onDown(reason: string): void {
    if (this.establishedAt !== undefined) this.log.warn({ reason, routesDropped: this.ribIn.size }, 'session down');
    this.lastError = reason;
    this.establishedAt = undefined;
    this.negotiated = undefined;
    this.cancelNextHopRetry();
    // RFC 4271 section 8 (and no graceful restart yet): the peer's routes go with its session.
    this.ribIn.clear();
    this.advertised.clear();
  }

  /** Sends every announcement of the negotiated families, then End-of-RIB for each family. */
  private sendTable(why: string): void {
    const negotiated = this.negotiated;
    if (negotiated === undefined) return;
    this.cancelNextHopRetry();
    const routes = this.announcements.filter((route) => negotiated.families.includes(route.family));
    const { sent, updates, unresolved } = this.advertise(routes);
    for (const family of negotiated.families) this.session.send(endOfRib(family));
    this.log.info({ why, prefixes: sent, updates, waitingForNextHop: unresolved.length }, 'table sent');
    if (unresolved.length > 0) {
      this.log.warn(
        { prefixes: unresolved.map((route) => route.prefix), sessionAddress: this.session.localAddress },
        'no global address of the route\'s family on the interface of this session yet (next hop self); retrying',
      );
      this.scheduleNextHopRetry(unresolved, NEXT_HOP_RETRY_FIRST_MS);
    }
  }

  /**
   * Announces `routes`, grouped so routes with equal attributes share UPDATEs. Routes whose next
   * hop `self` cannot be resolved yet are returned, not dropped: an interface that has just come
   * up lists its IPv6 address only after the kernel marks it running (about a second later).
   */
  private advertise(routes: readonly AnnouncementConfig[]): { sent: number; updates: number; unresolved: AnnouncementConfig[] } {
    const negotiated = this.negotiated;
    const localAddress = this.session.localAddress;
    if (negotiated === undefined || localAddress === undefined) return { sent: 0, updates: 0, unresolved: [] };
    const context = { localAsn: this.options.localAsn, peerAsn: this.config.asn };

    const unresolved: AnnouncementConfig[] = [];
    const groups = new Map<string, { route: AnnouncementConfig; nextHop: string; prefixes: string[] }>();
    for (const route of routes) {
      const nextHop = route.nextHop === 'self' ? resolveSelfNextHop(route.family, localAddress) : route.nextHop;
      if (nextHop === undefined) {
        unresolved.push(route);
        continue;
      }
      const key = attributeGroupKey(route, nextHop);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { route, nextHop, prefixes: [route.prefix] });
      else group.prefixes.push(route.prefix);
    }

    let sent = 0;
    let updates = 0;
    for (const { route, nextHop, prefixes } of groups.values()) {
      const attributes = exportAttributes(route, context, route.family === 'ipv4' ? nextHop : undefined);
      const nextHopsV6 = route.family === 'ipv6' ? [nextHop] : undefined;
      for (const message of packAnnouncements(attributes, prefixes, route.family, nextHopsV6, negotiated.codecOptions)) {
        this.session.sendBytes(message);
        updates++;
      }
      for (const prefix of prefixes) this.advertised.set(prefix, nextHop);
      sent += prefixes.length;
    }
    return { sent, updates, unresolved };
  }

  private scheduleNextHopRetry(routes: readonly AnnouncementConfig[], delayMs: number): void {
    this.nextHopRetry = setTimeout(() => {
      this.nextHopRetry = undefined;
      const { sent, unresolved } = this.advertise(routes);
      if (sent > 0) this.log.info({ prefixes: sent }, 'next hop resolved; announced');
      if (unresolved.length === 0) return;
      const nextDelayMs = Math.min(delayMs * 2, NEXT_HOP_RETRY_MAX_MS);
      // Once, when quick retries give way to slow ones (about 16 s in): this is not a passing state.
      if (nextDelayMs === NEXT_HOP_RETRY_MAX_MS && delayMs !== NEXT_HOP_RETRY_MAX_MS) {
        this.log.error(
          { prefixes: unresolved.map((route) => route.prefix) },
          'still no address to use as next hop self for these routes; set nextHop explicitly or add an address of that family to the interface',
        );
      }
      this.scheduleNextHopRetry(unresolved, nextDelayMs);
    }, delayMs);
    this.nextHopRetry.unref();
  }

  private cancelNextHopRetry(): void {
    if (this.nextHopRetry !== undefined) clearTimeout(this.nextHopRetry);
    this.nextHopRetry = undefined;
  }

  private onUpdate(update: UpdateMessage): void {
    const treatAsWithdraw = update.problems?.some((problem) => problem.action === 'treat-as-withdraw') ?? false;
    for (const problem of update.problems ?? []) {
      this.log.warn({ code: problem.code, action: problem.action }, `malformed UPDATE handled per RFC 7606: ${problem.message}`);
    }
    for (const prefix of update.withdrawn) this.ribIn.delete(prefix);
    const attributes = update.attributes;
    if (attributes.mpUnreach !== undefined) for (const prefix of attributes.mpUnreach.withdrawn) this.ribIn.delete(prefix);

    if (treatAsWithdraw) {
      for (const prefix of update.nlri) this.ribIn.delete(prefix);
      if (attributes.mpReach !== undefined) for (const prefix of attributes.mpReach.nlri) this.ribIn.delete(prefix);
      return;
    }
    // Store the shared attribute set, never `update.attributes` itself: for IPv6 that object holds
    // MP_REACH_NLRI, i.e. every prefix of the message, which each route would then keep alive.
    const shared = routeAttributes(attributes);
    for (const prefix of update.nlri) this.ribIn.set(prefix, shared);
    const mpReach = attributes.mpReach;
    if (mpReach !== undefined && mpReach.nlri.length > 0) {
      const route = this.ribIn.internMp(shared, mpReach.nextHops[0]);
      for (const prefix of mpReach.nlri) this.ribIn.set(prefix, route);
    }
    const eorFamily: AddressFamily | undefined = endOfRibFamily(update);
    if (eorFamily !== undefined) this.log.info({ family: eorFamily, received: this.ribIn.size }, 'End-of-RIB received');
  }
}

/** RFC 6793 section 4.2.3: a 2-octet peer's real path is AS_PATH merged with AS4_PATH. */
function mergeAs4Path(attributes: PathAttributes): PathAttributes {
  if (attributes.as4Path === undefined || attributes.asPath === undefined) return attributes;
  return { ...attributes, asPath: reconstructAsPath(attributes.asPath, attributes.as4Path) };
}

/**
 * The routes this speaker originates (its Loc-RIB, RFC 4271 section 3.2, for our own routes).
 * Announcing a route that is already there with the same attributes changes nothing, and
 * withdrawing a route that is not there is no error: callers (the config, the control socket,
 * a Kubernetes controller) may repeat themselves freely.
 */
import type { AnnouncementConfig } from '../config/schema.js';

export class LocRib {
  private readonly routes = new Map<string, AnnouncementConfig>();

  get size(): number {
    return this.routes.size;
  }

  get(prefix: string): AnnouncementConfig | undefined {
    return this.routes.get(prefix);
  }

  /** Returns true when something changed (a new route, or new attributes for a known one). */
  set(route: AnnouncementConfig): boolean {
    const current = this.routes.get(route.prefix);
    if (current !== undefined && sameRoute(current, route)) return false;
    this.routes.set(route.prefix, route);
    return true;
  }

  /** Returns true when the route was there. */
  delete(prefix: string): boolean {
    return this.routes.delete(prefix);
  }

  prefixes(): IterableIterator<string> {
    return this.routes.keys();
  }

  values(): IterableIterator<AnnouncementConfig> {
    return this.routes.values();
  }
}

export function sameRoute(a: AnnouncementConfig, b: AnnouncementConfig): boolean {
  return (
    a.prefix === b.prefix &&
    a.nextHop === b.nextHop &&
    a.localPref === b.localPref &&
    a.med === b.med &&
    (a.peers === undefined) === (b.peers === undefined) &&
    sameList(a.peers ?? [], b.peers ?? []) &&
    sameList(a.communities, b.communities) &&
    sameList(a.largeCommunities, b.largeCommunities)
  );
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

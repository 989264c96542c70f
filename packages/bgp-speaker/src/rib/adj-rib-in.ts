/**
 * Adj-RIB-In (RFC 4271 section 3.2): the routes one peer sent us, unprocessed by policy.
 *
 * Built for full tables: one Map entry per prefix whose value is shared. An IPv4 route stores the
 * codec's interned attribute set itself (its NEXT_HOP is the route's next hop); a route from
 * MP_REACH_NLRI stores an interned (attribute set, next hop) pair. A million routes cost a Map
 * entry and a key string each, never an object each.
 */
import type { PathAttributes } from '@metallb-ts/bgp-core';

/** A route learned through MP_REACH_NLRI, whose next hop is not part of the attribute set. */
export class MpRoute {
  constructor(
    readonly attributes: PathAttributes,
    readonly nextHop: string | undefined,
  ) {}
}

export type StoredRoute = PathAttributes | MpRoute;

/** The attributes and next hop of a stored route, whichever way it is stored. */
export function routeParts(route: StoredRoute): { attributes: PathAttributes; nextHop: string | undefined } {
  return route instanceof MpRoute ? route : { attributes: route, nextHop: route.nextHop };
}

export class AdjRibIn {
  private readonly routes = new Map<string, StoredRoute>();
  private readonly mpRoutes = new WeakMap<PathAttributes, Map<string | undefined, MpRoute>>();

  get size(): number {
    return this.routes.size;
  }

  /** The shared MpRoute for these attributes and next hop; call once per UPDATE, not per prefix. */
  internMp(attributes: PathAttributes, nextHop: string | undefined): MpRoute {
    let byNextHop = this.mpRoutes.get(attributes);
    if (byNextHop === undefined) {
      byNextHop = new Map();
      this.mpRoutes.set(attributes, byNextHop);
    }
    let route = byNextHop.get(nextHop);
    if (route === undefined) {
      route = new MpRoute(attributes, nextHop);
      byNextHop.set(nextHop, route);
    }
    return route;
  }

  set(prefix: string, route: StoredRoute): void {
    this.routes.set(prefix, route);
  }

  /** Returns true when the prefix was held (a withdrawal of an unknown prefix is harmless, RFC 4271 section 9). */
  delete(prefix: string): boolean {
    return this.routes.delete(prefix);
  }

  get(prefix: string): StoredRoute | undefined {
    return this.routes.get(prefix);
  }

  clear(): void {
    this.routes.clear();
  }

  entries(): IterableIterator<[string, StoredRoute]> {
    return this.routes.entries();
  }
}

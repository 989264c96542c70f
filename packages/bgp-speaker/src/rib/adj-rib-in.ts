/**
 * Adj-RIB-In (RFC 4271 section 3.2): the routes one peer sent us, unprocessed by policy.
 *
 * Built for full tables: one Map entry per prefix whose value is a shared, interned route (the same
 * object for every prefix that arrived with the same attributes and next hop), so a million routes
 * cost a Map entry and a key string each, not an object each.
 */
import type { PathAttributes } from '@metallb-ts/bgp-core';

export interface StoredRoute {
  readonly attributes: PathAttributes;
  readonly nextHop: string | undefined;
}

export class AdjRibIn {
  private readonly routes = new Map<string, StoredRoute>();
  /** Interning of (attributes, next hop) pairs; attributes are already interned by the codec's AttributeCache. */
  private readonly interned = new WeakMap<PathAttributes, Map<string | undefined, StoredRoute>>();

  get size(): number {
    return this.routes.size;
  }

  /** The shared route object for these attributes and next hop; call once per UPDATE, not per prefix. */
  intern(attributes: PathAttributes, nextHop: string | undefined): StoredRoute {
    let byNextHop = this.interned.get(attributes);
    if (byNextHop === undefined) {
      byNextHop = new Map();
      this.interned.set(attributes, byNextHop);
    }
    let route = byNextHop.get(nextHop);
    if (route === undefined) {
      route = { attributes, nextHop };
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

/**
 * Adj-RIB-Out (RFC 4271 section 3.2): what we have advertised to one peer, and which prefixes
 * must be looked at again before the next UPDATEs ("dirty").
 *
 * After BIRD's buckets: changes only mark prefixes dirty, and the peer drains the dirty set when
 * its socket can take more. However many times a prefix changes while a peer is slow, it is one
 * entry here and one UPDATE later: a slow peer costs memory bounded by the table, never by the
 * rate of change, and never holds up the other peers.
 */

export interface SentRoute {
  /** The exported attributes and next hop, as a comparable key. */
  readonly key: string;
  readonly nextHop: string;
}

export class AdjRibOut {
  private readonly sent = new Map<string, SentRoute>();
  private readonly dirty = new Set<string>();

  /** Prefixes advertised to the peer. */
  get size(): number {
    return this.sent.size;
  }

  /** Prefixes waiting to be (re)evaluated and sent. */
  get pending(): number {
    return this.dirty.size;
  }

  markDirty(prefix: string): void {
    this.dirty.add(prefix);
  }

  /** Takes up to `max` dirty prefixes, oldest first. */
  takeDirty(max: number): string[] {
    const batch: string[] = [];
    for (const prefix of this.dirty) {
      if (batch.length >= max) break;
      batch.push(prefix);
    }
    for (const prefix of batch) this.dirty.delete(prefix);
    return batch;
  }

  sentRoute(prefix: string): SentRoute | undefined {
    return this.sent.get(prefix);
  }

  recordAnnounced(prefix: string, route: SentRoute): void {
    this.sent.set(prefix, route);
  }

  recordWithdrawn(prefix: string): void {
    this.sent.delete(prefix);
  }

  /** Route refresh (RFC 2918): everything goes out again, so nothing counts as sent. */
  forgetSent(): void {
    this.sent.clear();
  }

  /** The session is gone: the peer holds nothing from us any more. */
  clear(): void {
    this.sent.clear();
    this.dirty.clear();
  }

  entries(): IterableIterator<[string, SentRoute]> {
    return this.sent.entries();
  }
}

/**
 * What a peer reports about itself: the figures behind `neighbors` and the Prometheus metrics.
 * Message counts are cumulative over the peer's sessions, so they only grow.
 */
import type { MessageCounts } from '@metallb-ts/bgp-core';

/** Messages by type, cumulative since the speaker started (they only grow): bgp-core's counts. */
export type PeerMessageCounts = MessageCounts;

export interface PeerStats {
  address: string;
  port: number;
  asn: number;
  state: 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
  sessionUp: boolean;
  /** Messages sent/received on this peer's sessions since the speaker started, by type. */
  sent: PeerMessageCounts;
  received: PeerMessageCounts;
  /** Prefixes currently advertised to the peer (Adj-RIB-Out). */
  announcedPrefixes: number;
  /** Prefixes waiting to be sent to the peer (dirty, not yet written because of backpressure or next hop). */
  pendingPrefixes: number;
  receivedPrefixes: number;
}

/** What the metrics read from the speaker, per peer (the Speaker's own type). */
import type { PeerStats } from '../peer/stats.js';

export type { PeerMessageCounts, PeerStats } from '../peer/stats.js';

/** Anything that can list its peers' statistics: the Speaker, or a fake in tests. */
export interface PeerStatsSource {
  peerStats(): readonly PeerStats[];
}

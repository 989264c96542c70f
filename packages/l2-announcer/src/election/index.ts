/** Layer 2 owner election: who announces each address (owner.ts), over who is alive (liveness.ts). */
export { ownedBy, ownerOf, rankNodes, rankOf } from './owner.js';
export { Liveness, MAX_PEERS, udpSocketFactory } from './liveness.js';
export type {
  DatagramSource,
  HeartbeatSocket,
  HeartbeatSocketFactory,
  HeartbeatSocketHandlers,
  LivenessEndpoint,
  LivenessOptions,
  LivenessStats,
} from './liveness.js';
export { HEARTBEAT_VERSION, MAX_HEARTBEAT_BYTES, decodeHeartbeat, encodeHeartbeat } from './heartbeat.js';
export type { DecodeResult, Heartbeat } from './heartbeat.js';
export { ManualClock, systemClock } from '@metallb-ts/clock';
export type { Clock, TimerHandle } from '@metallb-ts/clock';

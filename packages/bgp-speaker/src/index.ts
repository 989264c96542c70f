/** bgp-speaker: the library API. */
export { Speaker } from './speaker.js';
export type { SpeakerOptions, SpeakerEvents, NeighborView, PeerStats, RouteInput } from './speaker.js';
export * from './config/index.js';
export type { RouteView } from './rib/route-view.js';
export { createLogger } from './log.js';
export * from './metrics/index.js';
export { diffConfig, summarizeDiff } from './config/diff.js';
export type { ConfigDiff, PeerChange } from './config/diff.js';
export { startControlServer, sendControlRequest, DEFAULT_CONTROL_PATH } from './control/index.js';
export type { ControlRequest, ControlHandler } from './control/index.js';
export { handleControlRequest } from './cli/control-handler.js';

/** bgp-speaker: the library API. */
export { Speaker } from './speaker.js';
export type { SpeakerOptions, SpeakerEvents, NeighborView } from './speaker.js';
export * from './config/index.js';
export type { RouteView } from './rib/route-view.js';
export { createLogger } from './log.js';

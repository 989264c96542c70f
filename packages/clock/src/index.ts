/**
 * Time as an interface: the BGP session FSM (bgp-core) and the Layer 2 liveness membership
 * (l2-announcer) run on real timers in the speaker and on a ManualClock in their tests. A package
 * of its own so that the Layer 2 module shares it without depending on any BGP package.
 */
export { ManualClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';

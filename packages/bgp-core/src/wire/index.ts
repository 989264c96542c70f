/**
 * The public API of the wire codec: bytes in, typed messages out, and back. Pure: no I/O.
 * (octets.ts and test-helpers/ are internal and not re-exported.)
 */
export * from './constants.js';
export * from './errors.js';
export * from './types.js';
export type * from './codec.js';
export * from './header.js';
export * from './framing.js';
export * from './capabilities.js';
export * from './open.js';
export * from './notification.js';
export * from './keepalive.js';
export * from './route-refresh.js';
export * from './message.js';
// The UPDATE side (written alongside): body, attributes, NLRI, AS paths, packing, communities.
export * from './update.js';
export * from './attributes.js';
export * from './nlri.js';
export * from './as-path.js';
export * from './packer.js';
export * from './communities.js';

/**
 * @metallb-ts/bgp-core: BGP-4 wire codecs, the RFC 4271 session FSM, session wiring and TCP-MD5.
 * Data flows one way: bytes -> messages (wire) -> session events (fsm, session) -> the speaker.
 */
export * from './wire/index.js';
export * from './fsm/index.js';
export * from './session/index.js';
export * from './md5/index.js';

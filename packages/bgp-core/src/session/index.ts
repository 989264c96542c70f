/** Where sockets meet the codec and the FSM: connections, the listener, and one peer's session. */
export { BgpConnection } from './connection.js';
export type { ConnectionDirection, ConnectionHandlers } from './connection.js';
export { BgpListener } from './listener.js';
export type { AcceptTarget, ListenerEvents } from './listener.js';
export { BgpSession } from './session.js';
export type { SessionConfig, SessionDependencies, SessionEvents, StateChange } from './session.js';
export { md5FailureCounters } from './md5-diagnostics.js';
export type { MessageCounts } from './message-counts.js';

export * from './protocol.js';
export { startControlServer } from './server.js';
export type { ControlHandler } from './server.js';
export { sendControlRequest, ControlClientError } from './client.js';

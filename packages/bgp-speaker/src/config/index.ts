export * from './schema.js';
export * from './errors.js';
export { validateConfig, validateRoute } from './validate.js';
export type { ReadFile } from './validate.js';
export { parseConfig, loadConfigFile } from './load.js';
export { ConfigChecker, describeValue, joinPath } from './checker.js';
export type { ConfigDict } from './checker.js';

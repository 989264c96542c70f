export * from './schema.js';
export * from './errors.js';
export { validateConfig, validateRoute } from './validate.js';
export type { ReadFile } from './validate.js';
export { parseConfig, loadConfigFile } from './load.js';

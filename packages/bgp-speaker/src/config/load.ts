/**
 * Reads and validates a config file. Parse errors carry the YAML line and column; validation errors
 * the key path. Nothing is started from a file with any error.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './errors.js';
import type { SpeakerConfig } from './schema.js';
import { validateConfig } from './validate.js';
import type { ReadFile } from './validate.js';

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

export function parseConfig(text: string, source: string, readFile: ReadFile = readUtf8): SpeakerConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => {
        const where = lines.linePos(error.pos[0]);
        return { path: `line ${where.line}, column ${where.col}`, reason: error.message.split('\n')[0] ?? error.message };
      }),
    );
  }
  const result = validateConfig(document.toJS(), readFile);
  if (Array.isArray(result)) throw new ConfigError(source, result);
  return result as SpeakerConfig;
}

export function loadConfigFile(path: string, readFile: ReadFile = readUtf8): SpeakerConfig {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ConfigError(path, [{ path: '', reason: `cannot read the file (${reason})` }]);
  }
  return parseConfig(text, path, readFile);
}

/**
 * Collects every problem of one configuration with its key path: each check records what is wrong
 * and returns undefined, so validation keeps going and the operator fixes everything in one pass.
 * Used by validate.ts here and extended by k8s-bridge for MetalLB's objects and kubespray's variables.
 */
import { isIP } from 'node:net';
import type { ConfigProblem } from './errors.js';

export type ConfigDict = Record<string, unknown>;

export class ConfigChecker {
  readonly problems: ConfigProblem[] = [];

  fail(path: string, reason: string): undefined {
    this.problems.push({ path, reason });
    return undefined;
  }

  /** A mapping; keys outside `allowed` are problems (a misspelt `pasword` must never be dropped). */
  object(value: unknown, path: string, allowed?: readonly string[]): ConfigDict | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(path, `must be a mapping, got ${describeValue(value)}`);
    }
    if (allowed !== undefined) {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) this.fail(joinPath(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
      }
    }
    return value as ConfigDict;
  }

  /** `hint` follows the bounds in the message, e.g. " (RFC 4271 section 4.2)". */
  integer(value: unknown, path: string, min: number, max: number, hint = ''): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(path, `must be a whole number, got ${describeValue(value)}`);
    }
    if (value < min || value > max) return this.fail(path, `must be between ${min} and ${max}${hint}, got ${value}`);
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== 'boolean') return this.fail(path, `must be true or false, got ${describeValue(value)}`);
    return value;
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string' || value === '') return this.fail(path, `must be a non-empty string, got ${describeValue(value)}`);
    return value;
  }

  address(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    if (isIP(text) === 0) return this.fail(path, `must be an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
    return text;
  }

  list(value: unknown, path: string): readonly unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be a list, got ${describeValue(value)}`);
    return value;
  }
}

/** `peers[0]` + `holdTime` -> `peers[0].holdTime`; keys that are not identifiers (label keys) are quoted. */
export function joinPath(path: string, key: string): string {
  if (path === '') return key;
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** What a wrong value was, for a message: `"abc"`, `number 7`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

/**
 * Collects every problem of one input with its key path, the way bgp-speaker's config validation
 * does (a ConfigProblem per fault, all reported together): each check records what is wrong and
 * returns undefined, so a parser keeps going and the operator fixes everything in one pass.
 */
import type { ConfigProblem } from 'bgp-speaker';

export type Dict = Record<string, unknown>;

export class Checker {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];

  fail(path: string, reason: string): undefined {
    this.problems.push({ path, reason });
    return undefined;
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Problems recorded since `mark` (a value of `problems.length` taken earlier). */
  failedSince(mark: number): boolean {
    return this.problems.length > mark;
  }

  /** A mapping; keys outside `allowed` are problems (a misspelt key must never be dropped). */
  object(value: unknown, path: string, allowed?: readonly string[]): Dict | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(path, `must be a mapping, got ${describe(value)}`);
    }
    if (allowed !== undefined) {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) this.fail(join(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
      }
    }
    return value as Dict;
  }

  integer(value: unknown, path: string, min: number, max: number, hint = ''): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(path, `must be a whole number, got ${describe(value)}`);
    }
    if (value < min || value > max) return this.fail(path, `must be between ${min} and ${max}${hint}, got ${value}`);
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== 'boolean') return this.fail(path, `must be true or false, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string' || value === '') return this.fail(path, `must be a non-empty string, got ${describe(value)}`);
    return value;
  }

  list(value: unknown, path: string): readonly unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be a list, got ${describe(value)}`);
    return value;
  }

  /** A list of non-empty strings without repeats (MetalLB refuses duplicates in its name lists). */
  stringList(value: unknown, path: string): string[] {
    const list = value === undefined || value === null ? [] : (this.list(value, path) ?? []);
    const out: string[] = [];
    list.forEach((item, index) => {
      const text = this.string(item, `${path}[${index}]`);
      if (text === undefined) return;
      if (out.includes(text)) this.fail(`${path}[${index}]`, `${JSON.stringify(text)} is listed twice`);
      else out.push(text);
    });
    return out;
  }

  /** A mapping of string to string, as Kubernetes labels and matchLabels are. */
  stringMap(value: unknown, path: string): Record<string, string> | undefined {
    const raw = this.object(value, path);
    if (raw === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(raw)) {
      if (typeof item !== 'string') {
        this.fail(join(path, key), `must be a string (quote numbers and booleans in YAML), got ${describe(item)}`);
      } else out[key] = item;
    }
    return out;
  }
}

export function join(path: string, key: string): string {
  if (path === '') return key;
  // Keys that are not plain identifiers (label keys, pool names with dots) keep the path readable.
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

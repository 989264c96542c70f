/**
 * Label and field selectors, as in k8s.io/apimachinery/pkg/labels and pkg/fields.
 *
 * Label selectors: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, comma-separated
 * (all must hold). Field selectors: `path=v`, `path==v`, `path!=v` over dotted paths such as
 * `metadata.name` or `spec.nodeName` (the real server allows only a few paths per type; we allow
 * any, which is a superset).
 */

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

type Requirement =
  | { readonly op: 'exists' | 'not-exists'; readonly key: string }
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: ReadonlySet<string> };

export type Selector = readonly Requirement[];

/** Splits on commas that are not inside parentheses (the value lists of `in`/`notin`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw new SelectorError(`unbalanced ')' in selector "${text}"`);
  }
  if (depth !== 0) throw new SelectorError(`unbalanced '(' in selector "${text}"`);
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const SET_OP = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQ_OP = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/;

function parseRequirement(part: string, allowSets: boolean): Requirement {
  const set = allowSets ? SET_OP.exec(part) : null;
  if (set !== null) {
    const [, key = '', op, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    return { op: op === 'in' ? 'in' : 'notin', key, values };
  }
  const eq = EQ_OP.exec(part);
  if (eq !== null) {
    const [, key = '', op, value = ''] = eq;
    return { op: op === '!=' ? 'neq' : 'eq', key, value: value.trim() };
  }
  if (allowSets && /^![^\s=!(),]+$/.test(part)) return { op: 'not-exists', key: part.slice(1) };
  if (allowSets && /^[^\s=!(),]+$/.test(part)) return { op: 'exists', key: part };
  throw new SelectorError(`unable to parse requirement "${part}"`);
}

export function parseLabelSelector(text: string | null | undefined): Selector {
  if (text === null || text === undefined || text.trim() === '') return [];
  return splitTopLevel(text).map((p) => parseRequirement(p, true));
}

export function parseFieldSelector(text: string | null | undefined): Selector {
  if (text === null || text === undefined || text.trim() === '') return [];
  return splitTopLevel(text).map((p) => parseRequirement(p, false));
}

function matches(selector: Selector, lookup: (key: string) => string | undefined): boolean {
  for (const r of selector) {
    const actual = lookup(r.key);
    switch (r.op) {
      case 'exists':
        if (actual === undefined) return false;
        break;
      case 'not-exists':
        if (actual !== undefined) return false;
        break;
      case 'eq':
        if (actual !== r.value) return false;
        break;
      case 'neq':
        // As in apimachinery: a missing key satisfies `!=`.
        if (actual === r.value) return false;
        break;
      case 'in':
        if (actual === undefined || !r.values.has(actual)) return false;
        break;
      case 'notin':
        if (actual !== undefined && r.values.has(actual)) return false;
        break;
      default: {
        const never: never = r;
        throw new Error(`unknown requirement ${String(never)}`);
      }
    }
  }
  return true;
}

interface WithMetadata {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> } | undefined;
}

export function matchesLabels(selector: Selector, obj: WithMetadata): boolean {
  if (selector.length === 0) return true;
  const labels = obj.metadata?.labels ?? {};
  return matches(selector, (key) => (Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined));
}

/** Field values are the string form of the value at a dotted path; a missing field reads as ''. */
export function matchesFields(selector: Selector, obj: unknown): boolean {
  if (selector.length === 0) return true;
  return matches(selector, (path) => {
    let cur: unknown = obj;
    for (const segment of path.split('.')) {
      if (cur === null || typeof cur !== 'object') return '';
      cur = (cur as Record<string, unknown>)[segment];
    }
    if (cur === undefined || cur === null) return '';
    return typeof cur === 'string' ? cur : JSON.stringify(cur);
  });
}

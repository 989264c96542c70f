/**
 * The patch formats the API server accepts on PATCH:
 * - application/merge-patch+json: RFC 7386 JSON Merge Patch;
 * - application/strategic-merge-patch+json: treated as a merge patch. That is exact for the fields
 *   we use (maps such as metadata.annotations, and atomic lists such as
 *   status.loadBalancer.ingress); lists with a patch merge key (ports, conditions) would be merged
 *   element-wise by the real server and are replaced here;
 * - application/json-patch+json: RFC 6902 JSON Patch (pointers per RFC 6901).
 */

export class PatchError extends Error {
  override readonly name = 'PatchError';
  /** 422 for a failed `test` op or a bad path, 400 for a malformed document. */
  constructor(message: string, readonly httpCode: 400 | 422) {
    super(message);
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386 section 2: objects merge recursively, null removes a member, anything else replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}

/** RFC 6901: "/a/b~1c" -> ["a", "b/c"]. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`, 400);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}"`, 422);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new PatchError(`array index ${i} out of range`, 422);
  return i;
}

/** Walks to the parent of the pointer's last token; the document is mutated in place (callers clone). */
function parentOf(doc: Json, tokens: string[]): { parent: Json[] | { [key: string]: Json }; last: string } {
  let cur: Json = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] as string;
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)] as Json;
    else if (isObject(cur) && t in cur) cur = cur[t] as Json;
    else throw new PatchError(`path segment "${t}" not found`, 422);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError('path does not lead into an object or array', 422);
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw new PatchError('the root cannot be the parent of a path', 422);
  return { parent: cur, last };
}

function getAt(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)] as Json;
  if (!(last in parent)) throw new PatchError(`path "${last}" not found`, 422);
  return parent[last] as Json;
}

function removeAt(doc: Json, tokens: string[]): Json {
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false), 1)[0] as Json;
  if (!(last in parent)) throw new PatchError(`path "${last}" not found`, 422);
  const old = parent[last] as Json;
  delete parent[last];
  return old;
}

function addAt(doc: Json, tokens: string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else parent[last] = value;
  return doc;
}

const clone = (v: Json): Json => structuredClone(v);

export function applyJsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations', 400);
  let doc = clone(target);
  for (const op of operations as unknown[]) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') {
      throw new PatchError('each JSON patch operation needs "op" and "path"', 400);
    }
    const path = parsePointer(op['path']);
    const from = typeof op['from'] === 'string' ? parsePointer(op['from']) : undefined;
    switch (op['op']) {
      case 'add':
        doc = addAt(doc, path, clone(op['value'] ?? null));
        break;
      case 'remove':
        if (path.length === 0) throw new PatchError('cannot remove the root', 422);
        removeAt(doc, path);
        break;
      case 'replace':
        if (path.length === 0) doc = clone(op['value'] ?? null);
        else {
          removeAt(doc, path);
          doc = addAt(doc, path, clone(op['value'] ?? null));
        }
        break;
      case 'move': {
        if (from === undefined) throw new PatchError('"move" needs "from"', 400);
        const value = removeAt(doc, from);
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy': {
        if (from === undefined) throw new PatchError('"copy" needs "from"', 400);
        doc = addAt(doc, path, clone(getAt(doc, from)));
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op['value'] ?? null)) {
          throw new PatchError(`test operation failed at "${op['path']}"`, 422);
        }
        break;
      default:
        throw new PatchError(`unknown JSON patch op "${String(op['op'])}"`, 400);
    }
  }
  return doc;
}

export type PatchType = 'merge' | 'strategic' | 'json';

/** The patch type for a Content-Type header, or undefined for an unsupported one (415). */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  switch (base) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/json-patch+json':
      return 'json';
    default:
      return undefined;
  }
}

export function applyPatch(type: PatchType, target: Json, patch: Json): Json {
  switch (type) {
    case 'merge':
    case 'strategic':
      if (!isObject(patch)) throw new PatchError('a merge patch must be a JSON object', 400);
      return applyMergePatch(target, patch);
    case 'json':
      return applyJsonPatch(target, patch);
    default: {
      const never: never = type;
      throw new Error(`unknown patch type ${String(never)}`);
    }
  }
}

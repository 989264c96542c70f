/**
 * Reading the outcome of a failed API call. The generated client throws ApiException with the
 * HTTP status in `code` and the Status object in `body`; the watch throws an Error with
 * `statusCode`. These helpers read both, so callers never depend on which one they got.
 */

/** The HTTP status of a failed client call, if it carries one. */
export function apiStatusCode(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** 409: a stale resourceVersion (Conflict) or a name already taken (AlreadyExists). */
export function isConflict(err: unknown): boolean {
  return apiStatusCode(err) === 409;
}

export function isNotFound(err: unknown): boolean {
  return apiStatusCode(err) === 404;
}

/** The reason field of the Status body (e.g. "Conflict", "AlreadyExists", "Expired"), if any. */
export function apiStatusReason(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const reason = (parsed as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** A short description of an error for logs: status and message only, never a request body. */
export function describeError(err: unknown): string {
  const code = apiStatusCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined ? message : `HTTP ${code}: ${message}`;
}

/**
 * A bare HTTP client for testing the test API server itself, below any Kubernetes client library:
 * one-shot requests, and a watch reader that collects newline-delimited JSON events.
 */
import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

const REQUEST_TIMEOUT_MS = 5_000;

export function rawRequest(baseUrl: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, baseUrl), {
      method,
      headers: text === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) },
      timeout: REQUEST_TIMEOUT_MS,
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = raw;
        try {
          parsed = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          // leave as text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.end(text);
  });
}

export interface WatchEvent {
  readonly type: string;
  readonly object: any;
}

export interface RawWatch {
  readonly status: number;
  readonly events: WatchEvent[];
  /** Settles when the stream ends: 'end' after a clean end, 'aborted' when the connection was cut. */
  readonly finished: Promise<'end' | 'aborted'>;
  close(): void;
}

/** Opens a watch and resolves once the response headers arrive. */
export function rawWatch(baseUrl: string, path: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { method: 'GET' });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: WatchEvent[] = [];
      let buffered = '';
      let settle: (how: 'end' | 'aborted') => void = () => undefined;
      const finished = new Promise<'end' | 'aborted'>((r) => {
        settle = r;
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim() !== '') events.push(JSON.parse(line) as WatchEvent);
          nl = buffered.indexOf('\n');
        }
      });
      res.on('end', () => settle('end'));
      res.on('aborted', () => settle('aborted'));
      res.on('error', () => settle('aborted'));
      res.on('close', () => settle(res.complete ? 'end' : 'aborted'));
      resolve({ status: res.statusCode ?? 0, events, finished, close: () => req.destroy() });
    });
    req.end();
  });
}

/** Polls `check` until it holds, at most `timeoutMs`; throws with `what` otherwise. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

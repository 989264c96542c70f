/**
 * The /metrics endpoint: GET (or HEAD) /metrics answers the Prometheus text exposition format,
 * anything else 404 (or 405 for another method on /metrics). MetalLB serves the same path
 * (port 7472 by default); the address and port come from the config's `metrics` section.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { SpeakerMetrics } from './speaker-metrics.js';

export interface MetricsServerOptions {
  readonly address: string;
  readonly port: number;
}

/** The metrics server could not start; `code` is the system error's (EADDRINUSE, EADDRNOTAVAIL, EACCES...). */
export class MetricsServerError extends Error {
  readonly code: string;

  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.name = 'MetricsServerError';
    this.code = code;
  }
}

const METRICS_PATH = '/metrics';

/** Resolves once listening; rejects with a MetricsServerError that names the address and the reason. */
export function startMetricsServer(metrics: SpeakerMetrics, options: MetricsServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    handle(metrics, request, response).catch((error: unknown) => {
      // Headers may be gone already; then the socket is all there is left to end.
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`collecting metrics failed: ${(error as Error).message}\n`);
      } else {
        response.destroy();
      }
    });
  });
  const where = formatEndpoint(options.address, options.port);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new MetricsServerError(`metrics server cannot listen on ${where}: ${describeListenError(error)}`, error.code ?? 'UNKNOWN', error));
    };
    server.once('error', onError);
    server.listen(options.port, options.address, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

async function handle(metrics: SpeakerMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`not found; metrics are at ${METRICS_PATH}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('method not allowed\n');
    return;
  }
  const body = await metrics.metrics();
  response.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function describeListenError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'the port is already in use (EADDRINUSE); another process, or another speaker, listens there';
    case 'EADDRNOTAVAIL':
      return 'no interface of this host has that address (EADDRNOTAVAIL)';
    case 'EACCES':
      return 'permission denied (EACCES); ports below 1024 need privileges';
    default:
      return error.code === undefined ? error.message : `${error.message} (${error.code})`;
  }
}

/** The control socket client used by the CLI: one request, one reply. */
import { createConnection } from 'node:net';
import type { ControlReply, ControlRequest } from './protocol.js';

export class ControlClientError extends Error {
  readonly code = 'ERR_CONTROL';
}

export function sendControlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ControlClientError(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      const reply = JSON.parse(buffered.slice(0, newline)) as ControlReply;
      if (reply.ok) resolve(reply.result);
      else reject(new ControlClientError(reply.error));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is `bgp-speaker run` running with this --control path?)' : '';
      reject(new ControlClientError(`cannot reach the control socket ${path}: ${error.code ?? error.message}${hint}`));
    });
  });
}

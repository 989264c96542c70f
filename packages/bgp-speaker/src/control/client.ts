/** The control socket client used by the CLI: one request, one reply. */
import { createConnection } from 'node:net';
import type { ControlReply, ControlRequest } from './protocol.js';

/** Anything that kept us from getting the speaker's answer, or the speaker's refusal (its message). */
export class ControlClientError extends Error {
  readonly code = 'ERR_CONTROL';
}

export function sendControlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new ControlClientError(`no answer on ${path} within ${timeoutMs} ms`)));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      let reply: ControlReply;
      try {
        reply = JSON.parse(buffered.slice(0, newline)) as ControlReply;
      } catch {
        settle(() => reject(new ControlClientError(`the answer on ${path} is not JSON (is it a bgp-speaker control socket?)`)));
        return;
      }
      if (reply.ok) settle(() => resolve(reply.result));
      else settle(() => reject(new ControlClientError(reply.error)));
    });
    socket.once('close', () => {
      settle(() => reject(new ControlClientError(`the speaker closed ${path} without answering`)));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is `bgp-speaker run` running with this --control path?)' : '';
      settle(() => reject(new ControlClientError(`cannot reach the control socket ${path}: ${error.code ?? error.message}${hint}`)));
    });
  });
}

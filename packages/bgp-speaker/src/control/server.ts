/**
 * The control socket server: a Unix socket created with mode 0600 (only the speaker's user may
 * steer it), answering one JSON reply per JSON request line.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { parseControlRequest } from './protocol.js';
import type { ControlReply, ControlRequest } from './protocol.js';

/**
 * Answers one validated request. A returned Promise is awaited before the reply is written; a throw
 * or a rejection becomes `{ ok: false, error }` with the error's message.
 */
export type ControlHandler = (request: ControlRequest) => unknown;

/** Refuses to take over a socket another live speaker still answers on; removes a stale one. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`control path ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another process is answering on the control socket ${path}`);
  unlinkSync(path);
}

export async function startControlServer(path: string, handle: ControlHandler): Promise<Server> {
  await clearStaleSocket(path);
  // Half-open so `echo REQUEST | socat - UNIX-CONNECT:PATH` still gets the reply of a slow (async)
  // handler after it has finished writing; the connection is ended once every reply is out.
  const server = createServer({ allowHalfOpen: true }, (socket) => serveConnection(socket, handle));
  // The umask makes the socket 0600 from its creation, so there is no window where others can connect.
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(previousUmask);
  }
  chmodSync(path, 0o600);
  return server;
}

const MAX_REQUEST_LINE = 64 * 1024;

/**
 * One connection: requests are answered strictly in the order they arrived, each after the previous
 * reply is written, so a client may pipeline lines and match replies by position.
 */
function serveConnection(socket: Socket, handle: ControlHandler): void {
  socket.setEncoding('utf8');
  let pending = '';
  let replies: Promise<void> = Promise.resolve();
  const enqueue = (line: string) => {
    replies = replies.then(() => answer(socket, line, handle));
  };
  let overflowed = false;
  socket.on('data', (chunk: string) => {
    if (overflowed) return;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') enqueue(line);
    }
    // Only the unterminated remainder counts: many short lines in one chunk are fine.
    if (pending.length > MAX_REQUEST_LINE) {
      overflowed = true;
      pending = '';
      socket.pause();
      replies = replies.then(() => {
        reply(socket, { ok: false, error: `request line longer than ${MAX_REQUEST_LINE} characters` });
        socket.destroySoon();
      });
    }
  });
  socket.on('end', () => {
    if (overflowed) return;
    const last = pending.trim();
    pending = '';
    if (last !== '') enqueue(last);
    void replies.then(() => socket.end());
  });
  socket.on('error', () => socket.destroy());
}

async function answer(socket: Socket, line: string, handle: ControlHandler): Promise<void> {
  let message: ControlReply;
  try {
    message = { ok: true, result: await handle(parseControlRequest(line)) };
  } catch (error) {
    message = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  reply(socket, message);
}

function reply(socket: Socket, message: ControlReply): void {
  if (socket.destroyed || !socket.writable) return;
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch (error) {
    // A result JSON cannot express (a cycle, a BigInt) is the speaker's bug, not the client's: say so.
    text = JSON.stringify({ ok: false, error: `the reply could not be encoded: ${(error as Error).message}` } satisfies ControlReply);
  }
  socket.write(`${text}\n`);
}

/**
 * The control socket server: a Unix socket created with mode 0600 (only the speaker's user may
 * steer it), answering one JSON reply per JSON request line.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { parseControlRequest } from './protocol.js';
import type { ControlReply, ControlRequest } from './protocol.js';

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
  const server = createServer((socket) => serveConnection(socket, handle));
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

function serveConnection(socket: Socket, handle: ControlHandler): void {
  socket.setEncoding('utf8');
  let pending = '';
  socket.on('data', (chunk: string) => {
    pending += chunk;
    if (pending.length > MAX_REQUEST_LINE) {
      reply(socket, { ok: false, error: 'request line too long' });
      socket.end();
      return;
    }
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') answer(socket, line, handle);
    }
  });
  socket.on('error', () => socket.destroy());
}

function answer(socket: Socket, line: string, handle: ControlHandler): void {
  try {
    reply(socket, { ok: true, result: handle(parseControlRequest(line)) });
  } catch (error) {
    reply(socket, { ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

function reply(socket: Socket, message: ControlReply): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** The control server on a real Unix socket in a temporary directory, with fake handlers. */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Server } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Test } from 'tap';
import { startControlServer } from './server.js';
import type { ControlHandler } from './server.js';
import type { ControlReply, ControlRequest } from './protocol.js';

function tempSocket(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-control-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'control.sock');
}

async function serve(t: Test, handle: ControlHandler): Promise<{ path: string; server: Server }> {
  const path = tempSocket(t);
  const server = await startControlServer(path, handle);
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  return { path, server };
}

/**
 * Writes `text` on a fresh connection (optionally half-closing it afterwards) and collects
 * `count` reply lines; fails after 5 s rather than hanging the test.
 */
function exchange(path: string, text: string, count: number, options: { halfClose?: boolean } = {}): Promise<ControlReply[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path, allowHalfOpen: true });
    let buffered = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`only got ${JSON.stringify(buffered)}`)); }, 5000);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (options.halfClose === true) socket.end(text);
      else socket.write(text);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n').filter((line) => line !== '');
      if (buffered.endsWith('\n') && lines.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines.map((line) => JSON.parse(line) as ControlReply));
      }
    });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

const line = (request: unknown) => `${JSON.stringify(request)}\n`;

t.test('the socket file is mode 0600', async (t) => {
  const { path } = await serve(t, () => null);
  const stat = statSync(path);
  t.ok(stat.isSocket());
  t.equal(stat.mode & 0o777, 0o600, `mode is ${(stat.mode & 0o777).toString(8)}`);
});

t.test('the process umask is restored after listening', async (t) => {
  const original = process.umask(0o022);
  t.teardown(() => { process.umask(original); });
  await serve(t, () => null);
  t.equal(process.umask(0o022), 0o022);
});

t.test('a synchronous reply, the validated request reaching the handler', async (t) => {
  const seen: ControlRequest[] = [];
  const { path } = await serve(t, (request) => { seen.push(request); return { echoed: request.command }; });
  const [reply] = await exchange(path, line({ command: 'withdraw', prefix: '10.5.0.9/24' }), 1);
  t.same(reply, { ok: true, result: { echoed: 'withdraw' } });
  t.same(seen, [{ command: 'withdraw', prefix: '10.5.0.0/24' }], 'the handler sees the canonical request');
});

t.test('an async reply is awaited before it is written', async (t) => {
  const { path } = await serve(t, async (request) => {
    await sleep(50);
    return { done: request.command, at: 'later' };
  });
  const [reply] = await exchange(path, line({ command: 'neighbor', address: '192.0.2.1', action: 'reset' }), 1);
  t.same(reply, { ok: true, result: { done: 'neighbor', at: 'later' } });
});

t.test('a rejected promise and a thrown error become error replies', async (t) => {
  const { path } = await serve(t, async (request) => {
    if (request.command === 'neighbors') throw new Error('no configured peer 192.0.2.9');
    await sleep(10);
    throw new Error(`async refusal of ${request.command}`);
  });
  const sync = await serve(t, () => { throw new Error('sync refusal'); });
  t.same(await exchange(path, line({ command: 'neighbors' }), 1), [{ ok: false, error: 'no configured peer 192.0.2.9' }]);
  t.same(await exchange(path, line({ command: 'withdraw', prefix: '10.5.0.1' }), 1), [{ ok: false, error: 'async refusal of withdraw' }]);
  t.same(await exchange(sync.path, line({ command: 'neighbors' }), 1), [{ ok: false, error: 'sync refusal' }]);
});

t.test('a rejection with a non-Error value still gets a message', async (t) => {
  const { path } = await serve(t, () => Promise.reject('plain string'));
  t.same(await exchange(path, line({ command: 'neighbors' }), 1), [{ ok: false, error: 'plain string' }]);
});

t.test('an invalid request is answered with its problem and never reaches the handler', async (t) => {
  let calls = 0;
  const { path } = await serve(t, () => { calls++; return 'handled'; });
  const replies = await exchange(path, 'not json\n' + line({ command: 'announce', route: { prefix: '10.5.0.1/33' } }) + line({ command: 'neighbors' }), 3);
  t.same(replies[0], { ok: false, error: 'request is not valid JSON' });
  t.match(replies[1], { ok: false, error: /"route\.prefix": .*invalid prefix length/ });
  t.same(replies[2], { ok: true, result: 'handled' }, 'the connection is still served after bad lines');
  t.equal(calls, 1);
});

t.test('pipelined requests are answered in order even when earlier ones are slower', async (t) => {
  const { path } = await serve(t, async (request) => {
    if (request.command === 'withdraw') await sleep(request.prefix === '10.0.0.1/32' ? 60 : 5);
    return request.command === 'withdraw' ? request.prefix : request.command;
  });
  const replies = await exchange(
    path,
    line({ command: 'withdraw', prefix: '10.0.0.1' }) + line({ command: 'withdraw', prefix: '10.0.0.2' }) + line({ command: 'neighbors' }),
    3,
  );
  t.same(replies.map((reply) => (reply.ok ? reply.result : reply.error)), ['10.0.0.1/32', '10.0.0.2/32', 'neighbors']);
});

t.test('a client that half-closes (echo | socat) still gets a slow reply, even without a final newline', async (t) => {
  const { path } = await serve(t, async () => { await sleep(40); return 'slow'; });
  t.same(await exchange(path, line({ command: 'neighbors' }), 1, { halfClose: true }), [{ ok: true, result: 'slow' }]);
  t.same(await exchange(path, JSON.stringify({ command: 'neighbors' }), 1, { halfClose: true }), [{ ok: true, result: 'slow' }]);
});

t.test('a request line that is too long is refused and the connection closed', async (t) => {
  let calls = 0;
  const { path } = await serve(t, () => { calls++; return null; });
  const [reply] = await exchange(path, 'x'.repeat(70 * 1024), 1);
  t.match(reply, { ok: false, error: /request line longer than 65536 characters/ });
  t.equal(calls, 0);
  const closedByServer = await new Promise<string>((resolve) => {
    const socket = createConnection(path, () => socket.write('y'.repeat(70 * 1024)));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { received += chunk; });
    socket.on('close', () => resolve(received));
    socket.on('error', () => {});
    setTimeout(() => { socket.destroy(); resolve('still open after 5 s'); }, 5000).unref();
  });
  t.match(closedByServer, /^\{"ok":false,"error":"request line longer/, 'the server closed the connection after its error reply');
  // Many short lines in one write are not "too long".
  const many = Array.from({ length: 3000 }, () => line({ command: 'neighbors' })).join('');
  t.ok(many.length > 64 * 1024);
  const replies = await exchange(path, many, 3000);
  t.equal(replies.length, 3000);
  t.ok(replies.every((reply) => reply.ok));
  t.equal(calls, 3000);
});

t.test('a reply JSON cannot express is reported, not thrown', async (t) => {
  const { path } = await serve(t, () => ({ big: 1n }));
  const [reply] = await exchange(path, line({ command: 'neighbors' }), 1);
  t.match(reply, { ok: false, error: /the reply could not be encoded/ });
});

t.test('a client that goes away before its async reply does not take the server down', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const { path } = await serve(t, async (request) => {
    if (request.command === 'neighbor') await gate;
    return 'fine';
  });
  const early = createConnection(path);
  await new Promise<void>((resolve) => early.once('connect', () => resolve()));
  early.write(line({ command: 'neighbor', address: '192.0.2.1', action: 'reset' }));
  await sleep(20);
  early.destroy();
  await sleep(20);
  release();
  await sleep(20);
  t.same(await exchange(path, line({ command: 'neighbors' }), 1), [{ ok: true, result: 'fine' }]);
});

t.test('a live socket or a regular file is refused; a stale socket is replaced', async (t) => {
  const { path } = await serve(t, () => 'first');
  await t.rejects(startControlServer(path, () => 'second'), /another process is answering on the control socket/);
  t.same(await exchange(path, line({ command: 'neighbors' }), 1), [{ ok: true, result: 'first' }], 'the first server is untouched');

  // A speaker killed with SIGKILL leaves its socket file behind with nobody listening.
  const stale = tempSocket(t);
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  t.ok(statSync(stale).isSocket(), 'the dead process left its socket file');
  const server = await startControlServer(stale, () => 'replacement');
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  t.same(await exchange(stale, line({ command: 'neighbors' }), 1), [{ ok: true, result: 'replacement' }]);
  t.equal(statSync(stale).mode & 0o777, 0o600);

  const regular = tempSocket(t);
  writeFileSync(regular, 'not a socket');
  await t.rejects(startControlServer(regular, () => null), /exists and is not a socket/);
});

/** The control client against the real server and against sockets that misbehave. */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { ControlClientError, sendControlRequest } from './client.js';
import { startControlServer } from './server.js';

function tempSocket(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgp-control-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'control.sock');
}

/** A raw server that does `behave` with each connection instead of speaking the protocol. */
async function rawServer(t: Test, behave: (socket: Socket) => void): Promise<string> {
  const path = tempSocket(t);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => { sockets.add(socket); behave(socket); });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.teardown(() => new Promise<void>((done) => { for (const socket of sockets) socket.destroy(); server.close(() => done()); }));
  return path;
}

t.test('the result of an ok reply; the message of an error reply', async (t) => {
  const path = tempSocket(t);
  const server = await startControlServer(path, async (request) => {
    if (request.command === 'withdraw') throw new Error(`nothing announced for ${request.prefix}`);
    return [{ address: '192.0.2.1' }];
  });
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  t.same(await sendControlRequest(path, { command: 'neighbors' }), [{ address: '192.0.2.1' }]);
  const refusal = await sendControlRequest(path, { command: 'withdraw', prefix: '10.5.0.1/32' }).catch((error: unknown) => error);
  t.ok(refusal instanceof ControlClientError);
  t.equal((refusal as ControlClientError).message, 'nothing announced for 10.5.0.1/32');
  t.equal((refusal as ControlClientError).code, 'ERR_CONTROL');
});

t.test('no socket: the error says which path and what to check', async (t) => {
  const path = join(tempSocket(t), '..', 'absent.sock');
  await t.rejects(sendControlRequest(path, { command: 'neighbors' }), {
    code: 'ERR_CONTROL',
    message: /cannot reach the control socket .*absent\.sock: ENOENT \(is `bgp-speaker run` running/,
  });
});

t.test('a peer that closes without answering, answers garbage, or never answers', async (t) => {
  const closes = await rawServer(t, (socket) => socket.once('data', () => socket.end()));
  await t.rejects(sendControlRequest(closes, { command: 'neighbors' }), { code: 'ERR_CONTROL', message: /closed .* without answering/ });

  const garbage = await rawServer(t, (socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
  await t.rejects(sendControlRequest(garbage, { command: 'neighbors' }), { code: 'ERR_CONTROL', message: /is not JSON/ });

  const silent = await rawServer(t, () => {});
  const started = Date.now();
  await t.rejects(sendControlRequest(silent, { command: 'neighbors' }, 100), { code: 'ERR_CONTROL', message: /no answer on .* within 100 ms/ });
  t.ok(Date.now() - started < 2000, 'gave up at the timeout');
});

/**
 * TCP-MD5 end to end on loopback, through the real kernel: 127.0.0.0/8 gives every peer its own
 * address (Linux keys MD5 by peer address). These tests need the addon: when it is not built they
 * fail (assertTcpMd5Available throws), they never skip.
 */
import { once } from 'node:events';
import { Server, Socket, connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import t from 'tap';
import type { Test } from 'tap';

import {
  TCP_MD5_MAX_KEY_OCTETS,
  TcpMd5Error,
  assertTcpMd5Available,
  connectWithMd5,
  listenWithMd5Keys,
  setListenerMd5Key,
  tcpMd5Available,
} from './index.js';

/** How long a SYN that the kernel drops must stay unanswered. */
const NO_CONNECT_MS = 2000;

interface Listener {
  readonly server: Server;
  readonly port: number;
  /** Every connection the server accepted. */
  readonly accepted: Socket[];
}

/** Each accepted connection answers every chunk with `pong:` + the chunk. */
function echoPong(socket: Socket): void {
  socket.on('data', (chunk: Buffer) => socket.write(`pong:${chunk.toString()}`));
  socket.on('error', () => socket.destroy());
}

async function listen(t: Test, host: string): Promise<Listener> {
  const server = createServer();
  const accepted: Socket[] = [];
  server.on('connection', (socket) => {
    accepted.push(socket);
    echoPong(socket);
  });
  server.listen(0, host);
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
  });
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

type Outcome = { kind: 'connected' } | { kind: 'error'; error: Error } | { kind: 'pending' };

/** What a connecting socket did within `ms`: connected, failed, or nothing at all. */
function outcomeWithin(socket: Socket, ms: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ kind: 'pending' }), ms);
    function finish(outcome: Outcome): void {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      resolve(outcome);
    }
    function onConnect(): void {
      finish({ kind: 'connected' });
    }
    function onError(error: Error): void {
      finish({ kind: 'error', error });
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/** Sends `ping-<tag>` and expects the listener's `pong:ping-<tag>` back. */
async function exchange(t: Test, socket: Socket, tag: string): Promise<void> {
  const reply = once(socket, 'data');
  socket.write(`ping-${tag}`);
  const [chunk] = (await reply) as [Buffer];
  t.equal(chunk.toString(), `pong:ping-${tag}`, 'bytes flow both ways over the signed connection');
}

function track(t: Test, socket: Socket): Socket {
  t.teardown(() => socket.destroy());
  return socket;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TcpMd5Error ? err.code : `not a TcpMd5Error: ${String(err)}`;
  }
  return undefined;
}

t.test('the addon is built and the kernel accepts TCP_MD5SIG', async (t) => {
  t.doesNotThrow(
    assertTcpMd5Available,
    'TCP-MD5 must be available: build it with `pnpm -r run build` (scripts/build-native-addon.mjs)',
  );
  t.equal(tcpMd5Available(), true);
});

t.test('IPv4: same key on both ends connects from 127.0.0.2 and exchanges bytes', async (t) => {
  const key = 'bgp-secret-v4';
  const { server, port, accepted } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.2', key);

  const client = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.2', key, timeoutMs: 5000 }));
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  t.equal(client.localAddress, '127.0.0.2', 'bound to the requested source address');
  await exchange(t, client, 'v4');
  t.equal(accepted.length, 1);
  t.equal(accepted[0]?.remoteAddress, '127.0.0.2');
});

t.test('listenWithMd5Keys: the key is on the socket before listen(); keyed peers connect, unsigned SYNs do not', async (t) => {
  const key = 'bgp-secret-prekeyed';
  const server = createServer();
  const accepted: Socket[] = [];
  server.on('connection', (socket) => {
    accepted.push(socket);
    echoPong(socket);
  });
  t.teardown(() => {
    for (const socket of accepted) socket.destroy();
    server.close();
  });
  await listenWithMd5Keys(server, '127.0.0.1', 0, new Map([['127.0.0.2', key]]));
  const port = (server.address() as AddressInfo).port;
  t.ok(port > 0, 'listening on a kernel-chosen port');

  const unsigned = track(t, connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }));
  t.same(await outcomeWithin(unsigned, NO_CONNECT_MS), { kind: 'pending' }, 'the unsigned SYN is dropped');
  const signed = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.2', key, timeoutMs: 5000 }));
  t.same(await outcomeWithin(signed, 5000), { kind: 'connected' });
  await exchange(t, signed, 'prekeyed');
  t.equal(accepted.length, 1, 'only the signed connection was accepted');
  await t.rejects(
    listenWithMd5Keys(createServer(), '127.0.0.1', port, new Map()),
    { code: 'ERR_TCP_MD5_SOCKET' },
    'a port already in use is a clear error',
  );
});

t.test('IPv4: a wrong key does not connect within 2 s and the server sees nothing', async (t) => {
  const { server, port, accepted } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.2', 'the-right-key');

  const started = Date.now();
  const client = track(
    t,
    connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.2', key: 'a-wrong-key', timeoutMs: NO_CONNECT_MS }),
  );
  const outcome = await outcomeWithin(client, NO_CONNECT_MS + 3000);
  const elapsed = Date.now() - started;
  t.equal(outcome.kind, 'error', 'the connect attempt ends in the timeout error');
  if (outcome.kind === 'error') {
    t.type(outcome.error, TcpMd5Error);
    t.equal((outcome.error as TcpMd5Error).code, 'ERR_TCP_MD5_CONNECT_TIMEOUT');
    t.notMatch(outcome.error.message, 'a-wrong-key');
    t.notMatch(outcome.error.message, 'the-right-key');
  }
  t.ok(elapsed >= NO_CONNECT_MS - 50, `no connection for the whole ${NO_CONNECT_MS} ms (took ${elapsed} ms)`);
  t.equal(accepted.length, 0, 'no connection event at the server');
  t.equal(client.destroyed, true, 'the timed-out socket is destroyed');
});

t.test('IPv4: a client without a key does not connect within 2 s', async (t) => {
  const { server, port, accepted } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.2', 'bgp-secret-v4');

  const client = track(t, connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }));
  t.same(await outcomeWithin(client, NO_CONNECT_MS), { kind: 'pending' }, 'the unsigned SYN is dropped');
  t.equal(client.connecting, true);
  t.equal(accepted.length, 0, 'no connection event at the server');
});

t.test('IPv4: other peers without a key are not affected by a key for 127.0.0.2', async (t) => {
  const { server, port, accepted } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.2', 'bgp-secret-v4');

  const client = track(t, connect({ host: '127.0.0.1', port, localAddress: '127.0.0.4' }));
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  await exchange(t, client, 'unkeyed-peer');
  t.equal(accepted.length, 1);
});

t.test('IPv6: same key on ::1 connects and exchanges bytes; no key does not connect', async (t) => {
  const key = 'bgp-secret-v6';
  const { server, port, accepted } = await listen(t, '::1');
  setListenerMd5Key(server, '::1', key);

  // The unkeyed client runs alongside: its SYN must stay unanswered for 2 s.
  const plain = track(t, connect({ host: '::1', port, localAddress: '::1' }));
  const plainOutcome = outcomeWithin(plain, NO_CONNECT_MS);

  const client = track(t, connectWithMd5({ host: '::1', port, localAddress: '::1', key, timeoutMs: 5000 }));
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  t.equal(client.remoteFamily, 'IPv6');
  await exchange(t, client, 'v6');

  t.same(await plainOutcome, { kind: 'pending' }, 'the unsigned IPv6 SYN is dropped');
  t.equal(accepted.length, 1, 'only the signed connection was accepted');
});

t.test('IPv4 peer on an IPv6 socket (::ffff:127.0.0.1): the key is set as a v4-mapped address', async (t) => {
  const key = 'bgp-secret-mapped';
  const { server, port, accepted } = await listen(t, '::ffff:127.0.0.1');
  setListenerMd5Key(server, '127.0.0.2', key);

  const client = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.2', key, timeoutMs: 5000 }));
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  await exchange(t, client, 'mapped');
  t.equal(accepted[0]?.remoteAddress, '::ffff:127.0.0.2');
});

t.test('key removal: an unkeyed client then connects, a keyed one no longer does', async (t) => {
  const key = 'bgp-secret-removed';
  const { server, port, accepted } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.3', key);
  setListenerMd5Key(server, '127.0.0.3', null);
  t.doesNotThrow(() => setListenerMd5Key(server, '127.0.0.3', null), 'removing an absent key is not an error');

  // The listener now drops SYNs that carry an MD5 option it has no key for.
  const keyed = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.3', key }));
  const keyedOutcome = outcomeWithin(keyed, NO_CONNECT_MS);

  const plain = track(t, connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' }));
  t.same(await outcomeWithin(plain, 5000), { kind: 'connected' });
  await exchange(t, plain, 'after-removal');

  t.same(await keyedOutcome, { kind: 'pending' }, 'a signed SYN to a listener without the key is dropped');
  t.equal(accepted.length, 1);
});

t.test('key replacement: the newest key for a peer wins', async (t) => {
  const { server, port } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.5', 'first-key');
  setListenerMd5Key(server, '127.0.0.5', 'second-key');

  const client = track(
    t,
    connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.5', key: 'second-key', timeoutMs: 5000 }),
  );
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  await exchange(t, client, 'replaced');
});

t.test('an 80-octet UTF-8 key (the maximum) works end to end', async (t) => {
  const key = '€'.repeat(20) + 'k'.repeat(20); // 20 x 3 + 20 = 80 octets, 40 characters
  t.equal(Buffer.byteLength(key, 'utf8'), TCP_MD5_MAX_KEY_OCTETS);
  const { server, port } = await listen(t, '127.0.0.1');
  setListenerMd5Key(server, '127.0.0.6', key);

  const client = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.6', key, timeoutMs: 5000 }));
  t.same(await outcomeWithin(client, 5000), { kind: 'connected' });
  await exchange(t, client, 'max-key');
});

t.test('keys longer than 80 octets are refused with ERR_TCP_MD5_KEY_TOO_LONG', async (t) => {
  const { server, port } = await listen(t, '127.0.0.1');
  const asciiTooLong = 'x'.repeat(81);
  const utf8TooLong = '€'.repeat(27); // 27 characters, 81 octets

  for (const key of [asciiTooLong, utf8TooLong]) {
    t.equal(errorCode(() => setListenerMd5Key(server, '127.0.0.2', key)), 'ERR_TCP_MD5_KEY_TOO_LONG');
    t.equal(
      errorCode(() => connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.2', key })),
      'ERR_TCP_MD5_KEY_TOO_LONG',
    );
  }
});

t.test('bad arguments give stable error codes', async (t) => {
  const v4 = await listen(t, '127.0.0.1');
  const key = 'bgp-secret-args';
  t.equal(errorCode(() => setListenerMd5Key(v4.server, '127.0.0.2', '')), 'ERR_TCP_MD5_KEY_EMPTY');
  t.equal(errorCode(() => setListenerMd5Key(v4.server, 'localhost', key)), 'ERR_TCP_MD5_INVALID_ADDRESS');
  t.equal(errorCode(() => setListenerMd5Key(v4.server, 'fe80::1%lo', key)), 'ERR_TCP_MD5_INVALID_ADDRESS');
  t.equal(errorCode(() => setListenerMd5Key(new Server(), '127.0.0.2', key)), 'ERR_TCP_MD5_NOT_LISTENING');
  t.equal(errorCode(() => connectWithMd5({ host: 'localhost', port: v4.port, key })), 'ERR_TCP_MD5_INVALID_ADDRESS');
  t.equal(
    errorCode(() => connectWithMd5({ host: '127.0.0.1', port: v4.port, localAddress: '::1', key })),
    'ERR_TCP_MD5_INVALID_ADDRESS',
  );
  t.equal(errorCode(() => connectWithMd5({ host: '127.0.0.1', port: v4.port, key: '' })), 'ERR_TCP_MD5_KEY_EMPTY');
  t.throws(() => connectWithMd5({ host: '127.0.0.1', port: 0, key }), RangeError);

  let setsockoptError: unknown;
  try {
    setListenerMd5Key(v4.server, '::2', key);
  } catch (err) {
    setsockoptError = err;
  }
  t.type(setsockoptError, TcpMd5Error, 'an IPv6 peer on an IPv4 listener is refused');
  t.equal((setsockoptError as TcpMd5Error).code, 'ERR_TCP_MD5_SETSOCKOPT');
  t.equal((setsockoptError as TcpMd5Error).errno, 'EAFNOSUPPORT');
});

t.test('no error message, stack or inspection contains the key', async (t) => {
  const secret = 'Sup3r-S3cret-BGP-Passw0rd';
  const { server, port } = await listen(t, '127.0.0.1');
  const errors: unknown[] = [];
  const collect = (fn: () => unknown): void => {
    try {
      fn();
      errors.push(new Error('expected a throw'));
    } catch (err) {
      errors.push(err);
    }
  };

  collect(() => setListenerMd5Key(server, '127.0.0.2', secret.repeat(4))); // too long
  collect(() => connectWithMd5({ host: '127.0.0.1', port, key: secret.repeat(4) })); // too long
  collect(() => setListenerMd5Key(server, '::2', secret)); // setsockopt EAFNOSUPPORT
  collect(() => setListenerMd5Key(server, 'not-an-ip', secret));
  collect(() => setListenerMd5Key(new Server(), '127.0.0.2', secret));
  collect(() => connectWithMd5({ host: 'not-an-ip', port, key: secret }));
  collect(() => connectWithMd5({ host: '127.0.0.1', port, localAddress: '::1', key: secret }));

  // And the asynchronous timeout error of a mis-keyed connection.
  setListenerMd5Key(server, '127.0.0.7', 'the-listeners-key');
  const client = track(t, connectWithMd5({ host: '127.0.0.1', port, localAddress: '127.0.0.7', key: secret, timeoutMs: 300 }));
  const outcome = await outcomeWithin(client, 3000);
  errors.push(outcome.kind === 'error' ? outcome.error : new Error(`expected a timeout error, got ${outcome.kind}`));

  t.equal(errors.length, 8);
  for (const err of errors) {
    t.type(err, TcpMd5Error, `a TcpMd5Error: ${String(err)}`);
    const e = err as TcpMd5Error;
    const renderings = [e.message, String(e.stack), String(e), inspect(e), JSON.stringify(e)];
    for (const text of renderings) {
      t.notOk(text.includes(secret) || text.includes('Sup3r-S3cret'), `${e.code} does not reveal the key`);
    }
  }
});

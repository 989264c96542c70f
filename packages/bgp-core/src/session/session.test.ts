/**
 * Two of our own sessions over real loopback sockets: both dial and both listen, so their
 * connections collide (RFC 4271 section 6.8) and exactly one must survive on both sides.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { BgpListener } from './listener.js';
import { BgpSession } from './session.js';
import type { SessionConfig } from './session.js';
import type { Negotiated } from '../fsm/negotiate.js';
import type { SessionEvents } from './session.js';

/** The next emission of a session event (node:events.once does not take eventemitter3 emitters). */
function next<E extends keyof SessionEvents>(session: BgpSession, event: E): Promise<Parameters<SessionEvents[E]>> {
  return new Promise((resolve) => {
    session.once(event, ((...args: Parameters<SessionEvents[E]>) => resolve(args)) as never);
  });
}

interface Side {
  readonly address: string;
  readonly routerId: string;
  readonly asn: number;
}

const A: Side = { address: '127.0.0.11', routerId: '10.0.0.1', asn: 4200000000 };
const B: Side = { address: '127.0.0.12', routerId: '10.0.0.2', asn: 64512 };

function sessionConfig(local: Side, remote: Side, port: number, extra: Partial<SessionConfig> = {}): SessionConfig {
  return {
    localAsn: local.asn,
    localRouterId: local.routerId,
    peerAddress: remote.address,
    peerPort: port,
    peerAsn: remote.asn,
    sourceAddress: local.address,
    holdTime: 9,
    connectRetryTime: 1,
    passive: false,
    families: ['ipv4', 'ipv6'],
    ...extra,
  };
}

async function startPair(t: Test, extra: Partial<SessionConfig> = {}) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const listeners = [new BgpListener(), new BgpListener()] as const;
  const keys = (peer: Side) => (extra.password === undefined ? new Map<string, string>() : new Map([[peer.address, extra.password]]));
  await listeners[0].listen(A.address, port, keys(B));
  await listeners[1].listen(B.address, port, keys(A));
  const a = new BgpSession(sessionConfig(A, B, port, extra), { listener: listeners[0] });
  const b = new BgpSession(sessionConfig(B, A, port, extra), { listener: listeners[1] });
  t.teardown(async () => {
    await Promise.all([a.stop('test over'), b.stop('test over')]);
    await Promise.all(listeners.map((l) => l.close()));
  });
  const established = Promise.all([next(a, 'established'), next(b, 'established')]) ;
  a.start();
  b.start();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not Established within 10 s')), 10_000).unref());
  const [[negotiatedA], [negotiatedB]] = await Promise.race([established, timeout]);
  return { a, b, negotiatedA, negotiatedB };
}

/** A plain server that holds incoming sockets until the test hands them to a session. */
async function holdingServer(t: Test, address: string, port: number): Promise<{ server: Server; held: Socket[] }> {
  const held: Socket[] = [];
  const server = createServer((socket) => held.push(socket));
  server.listen(port, address);
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    server.close();
  });
  return { server, held };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('a real collision (RFC 4271 6.8): the connection initiated by the higher BGP Identifier survives on both sides', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  // Incoming connections are held back until both sides sit in OpenSent on their own outgoing
  // connection, so the two connections are certain to collide.
  const atA = await holdingServer(t, A.address, port);
  const atB = await holdingServer(t, B.address, port);
  const a = new BgpSession(sessionConfig(A, B, port));
  const b = new BgpSession(sessionConfig(B, A, port));
  t.teardown(async () => {
    await Promise.all([a.stop('test over'), b.stop('test over')]);
  });
  const sent: string[] = [];
  a.on('problem', (message) => sent.push(`A ${message}`));
  b.on('problem', (message) => sent.push(`B ${message}`));
  a.start();
  b.start();
  await until('both in OpenSent with one held connection each', () =>
    a.state === 'OpenSent' && b.state === 'OpenSent' && atA.held.length === 1 && atB.held.length === 1,
  );
  const established = Promise.all([next(a, 'established'), next(b, 'established')]);
  a.acceptIncoming(atA.held[0]!);
  b.acceptIncoming(atB.held[0]!);
  await established;
  await until('the losing connection to close', () => a['candidate'] === undefined && b['candidate'] === undefined);

  t.equal(a.state, 'Established');
  t.equal(b.state, 'Established');
  const aSocket = a['main'].connection?.socket;
  const bSocket = b['main'].connection?.socket;
  t.equal(aSocket?.localPort, bSocket?.remotePort, 'both ends hold the same TCP connection');
  t.equal(aSocket?.remotePort, bSocket?.localPort);
  // B has the higher identifier (10.0.0.2 > 10.0.0.1): the connection B initiated survives.
  t.equal(a['main'].initiatedBy, 'remote', 'A kept the connection B initiated');
  t.equal(b['main'].initiatedBy, 'local', 'B kept its own connection');
  t.ok(
    sent.some((line) => /Connection Collision Resolution \(6\/7\)/.test(line)),
    'the losing connection was closed with Cease/Connection Collision Resolution',
  );
});

t.test('both dial and listen at once: whatever the timing, one shared connection, Established on both', async (t) => {
  const { a, b, negotiatedA, negotiatedB } = await startPair(t);
  t.equal(a.state, 'Established');
  t.equal(b.state, 'Established');
  t.equal(negotiatedA.peerAsn, B.asn);
  t.equal(negotiatedB.peerAsn, A.asn, 'the 4-octet ASN arrives through the capability (RFC 6793)');
  t.ok(negotiatedA.fourOctetAs && negotiatedB.fourOctetAs);
  t.same(negotiatedA.families, ['ipv4', 'ipv6']);
  await until('any second connection to close', () => a['candidate'] === undefined && b['candidate'] === undefined);
  t.equal(a['main'].connection?.socket.localPort, b['main'].connection?.socket.remotePort, 'both ends hold the same TCP connection');
});

t.test('the same with TCP-MD5 on both ends', async (t) => {
  const { a, b } = await startPair(t, { password: 'collide-md5' });
  t.equal(a.state, 'Established');
  t.equal(b.state, 'Established');
});

t.test('stop sends Cease/Administrative Shutdown with the RFC 9003 message to the peer', async (t) => {
  const { a, b } = await startPair(t);
  const problems: string[] = [];
  b.on('problem', (message) => problems.push(message));
  const down = next(b, 'down');
  await a.stop('maintenance window 42');
  const [reason] = await down;
  t.match(reason, /received Cease\/Administrative Shutdown \(6\/2\): "maintenance window 42"/);
  t.ok(problems.some((p) => p.includes('maintenance window 42')), 'the peer reports the shutdown message');
});

// The native part's error mapping and lifecycle (needs root for the socket it opens; it opens
// one on the loopback interface and sends nothing).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PacketSocketError, openPacketSocket } from './addon.js';

const HERE = dirname(fileURLToPath(import.meta.url));

t.test('opens, joins a group, leaves it and closes on loopback', async (t) => {
  if (process.getuid?.() !== 0) throw new Error('run as root (AF_PACKET needs CAP_NET_RAW)');
  const socket = openPacketSocket(1, 0x0806, 'lo');
  t.doesNotThrow(() => socket.addMembership('33:33:ff:00:02:00'));
  t.doesNotThrow(() => socket.dropMembership('33:33:ff:00:02:00'));
  socket.startReceiving(() => {});
  socket.close();
  socket.close();
  t.throws(() => socket.send(Buffer.alloc(60)), { code: 'ERR_PACKET_SOCKET', errno: 'EBADF' }, 'closed: send fails cleanly');
});

t.test('a missing interface is a clear error', async (t) => {
  let caught: unknown;
  try {
    openPacketSocket(0x7ffffff0, 0x0806, 'nosuch0');
  } catch (err) {
    caught = err;
  }
  t.type(caught, PacketSocketError);
  const e = caught as PacketSocketError;
  t.equal(e.code, 'ERR_PACKET_SOCKET');
  t.equal(e.errno, 'ENODEV');
  t.match(e.message, /nosuch0 ethertype 0x0806: bind AF_PACKET/);
});

t.test('without CAP_NET_RAW the error says so', async (t) => {
  // A child without CAP_NET_RAW in its bounding set (so root's exec drops it), same TS loader.
  const loader = process.execArgv.find((a) => a.includes('@tapjs/typescript'));
  if (loader === undefined) throw new Error('run under tap (needs its TypeScript loader)');
  const script =
    `import { openPacketSocket } from ${JSON.stringify(join(HERE, 'addon.js'))};` +
    "try { openPacketSocket(1, 0x0806, 'lo'); console.log('opened'); } catch (e) { console.log(JSON.stringify({ code: e.code, errno: e.errno, message: e.message })); }";
  const child = spawnSync('setpriv', ['--bounding-set', '-net_raw', process.execPath, loader, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { code?: string; errno?: string; message?: string };
  t.equal(result.code, 'ERR_PACKET_SOCKET_PERMISSION');
  t.equal(result.errno, 'EPERM');
  t.match(result.message, /needs CAP_NET_RAW/);
});

import t from 'tap';

import { MAX_HEARTBEAT_BYTES, MAX_NODE_NAME_LENGTH, decodeHeartbeat, encodeHeartbeat } from './heartbeat.js';

t.test('round trip, and the longest node name still fits', async (t) => {
  for (const heartbeat of [
    { node: 'worker-1', seq: 0, incarnation: 0 },
    { node: 'worker-1', seq: 3, incarnation: 9, leaving: true },
    { node: 'n'.repeat(MAX_NODE_NAME_LENGTH), seq: Number.MAX_SAFE_INTEGER, incarnation: Number.MAX_SAFE_INTEGER },
  ]) {
    const data = encodeHeartbeat(heartbeat);
    t.ok(data.length <= MAX_HEARTBEAT_BYTES, `${data.length} bytes`);
    t.strictSame(decodeHeartbeat(data), { ok: true, heartbeat });
  }
});

t.test('anything else is rejected with a reason', async (t) => {
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
  const malformed: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from('not json'),
    Buffer.from([0xff, 0xfe, 0x00]),
    json(null),
    json([1, 'a', 2, 3]),
    json({ node: 'a', seq: 1, incarnation: 1 }),
    json({ v: '1', node: 'a', seq: 1, incarnation: 1 }),
    json({ v: 1, node: '', seq: 1, incarnation: 1 }),
    json({ v: 1, node: 'n'.repeat(MAX_NODE_NAME_LENGTH + 1), seq: 1, incarnation: 1 }),
    json({ v: 1, node: 7, seq: 1, incarnation: 1 }),
    json({ v: 1, node: 'a', seq: -1, incarnation: 1 }),
    json({ v: 1, node: 'a', seq: 1.5, incarnation: 1 }),
    json({ v: 1, node: 'a', seq: 1 }),
    json({ v: 1, node: 'a', seq: 1, incarnation: 2 ** 60 }),
    json({ v: 1, node: 'a', seq: 1, incarnation: 1, leaving: false }),
    json({ v: 1, node: 'a', seq: 1, incarnation: 1, leaving: 'yes' }),
    Buffer.concat([json({ v: 1, node: 'a', seq: 1, incarnation: 1 }), Buffer.alloc(MAX_HEARTBEAT_BYTES, 0x20)]),
  ];
  for (const data of malformed) {
    t.strictSame(decodeHeartbeat(data), { ok: false, reason: 'malformed' }, data.subarray(0, 24).toString('hex'));
  }
  t.strictSame(decodeHeartbeat(json({ v: 2, node: 'a', seq: 1, incarnation: 1 })), { ok: false, reason: 'version' });
});

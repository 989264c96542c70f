import t from 'tap';

import { HEARTBEAT_MAC_BYTES, MAX_HEARTBEAT_BYTES, MAX_NODE_NAME_LENGTH, decodeHeartbeat, encodeHeartbeat } from './heartbeat.js';

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

t.test('with a shared key: the HMAC is checked before anything is parsed', async (t) => {
  const key = Buffer.from('memberlist secret from the Secret');
  const heartbeat = { node: 'worker-1', seq: 7, incarnation: 3 };
  const signed = encodeHeartbeat(heartbeat, key);
  t.equal(signed.length, encodeHeartbeat(heartbeat).length + HEARTBEAT_MAC_BYTES, 'the JSON, then 32 octets of HMAC-SHA256');
  t.ok(signed.subarray(0, signed.length - HEARTBEAT_MAC_BYTES).toString().startsWith('{"v":1,"node":"worker-1"'), 'still readable with tcpdump -A');
  t.strictSame(decodeHeartbeat(signed, key), { ok: true, heartbeat });
  t.strictSame(decodeHeartbeat(signed, Buffer.from('another key')), { ok: false, reason: 'unauthenticated' }, 'another key');
  t.strictSame(decodeHeartbeat(encodeHeartbeat(heartbeat), key), { ok: false, reason: 'unauthenticated' }, 'a peer without a key');
  t.strictSame(decodeHeartbeat(signed), { ok: false, reason: 'malformed' }, 'a peer with a key, seen by one without');
  // Forged: the same MAC on a changed body (seq bumped to outlive replay protection).
  const forged = Buffer.from(signed);
  forged.write('8', signed.indexOf('"seq":7') + 6);
  t.strictSame(decodeHeartbeat(forged, key), { ok: false, reason: 'unauthenticated' }, 'a changed body');
  t.strictSame(decodeHeartbeat(Buffer.alloc(HEARTBEAT_MAC_BYTES), key), { ok: false, reason: 'unauthenticated' }, 'nothing but a MAC');
});

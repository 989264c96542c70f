// The pure half of the capture tools, and the integrity of the captured
// fixtures they produced (every file one whole message that index.json describes).

import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseTsharkFields, reassemble, splitBgpMessages } from './capture.js';
import { describeMessage, messageType } from './describe-message.js';
import type { TcpSegment } from './capture.js';

const KEEPALIVE = Buffer.from(`${'ff'.repeat(16)}001304`, 'hex');
/** NOTIFICATION 6/2 with the RFC 9003 message "bye". */
const CEASE = Buffer.from(`${'ff'.repeat(16)}0019030602036279 65`.replace(/ /g, ''), 'hex');

t.test('splitBgpMessages cuts by the length field and keeps a partial tail', async (t) => {
  const stream = Buffer.concat([KEEPALIVE, CEASE, KEEPALIVE.subarray(0, 7)]);
  const { messages, rest } = splitBgpMessages(stream);
  t.equal(messages.length, 2);
  t.same(messages[0], KEEPALIVE);
  t.same(messages[1], CEASE);
  t.equal(rest.length, 7, 'incomplete message left over');
  t.throws(() => splitBgpMessages(Buffer.concat([Buffer.alloc(16), Buffer.from('001304', 'hex')])), /marker/);
  const tooShort = Buffer.from(KEEPALIVE);
  tooShort.writeUInt16BE(18, 16);
  t.throws(() => splitBgpMessages(tooShort), /bad BGP length 18/);
});

t.test('reassemble orders segments and drops retransmitted bytes', async (t) => {
  const whole = Buffer.concat([KEEPALIVE, CEASE]);
  const seg = (seq: number, from: number, to: number, time: number): TcpSegment => ({
    stream: 0, src: '192.0.2.1', srcPort: 179, dst: '192.0.2.2', dstPort: 40000, seq, time,
    payload: whole.subarray(from, to),
  });
  // Out of order, one full retransmission and one overlapping segment.
  const flows = reassemble([seg(11, 10, 30, 2), seg(1, 0, 10, 1), seg(1, 0, 10, 3), seg(21, 20, whole.length, 4)]);
  t.equal(flows.length, 1);
  t.same(flows[0]?.bytes, whole);
  t.equal(flows[0]?.gaps, 0);
  const gappy = reassemble([seg(1, 0, 10, 1), seg(21, 20, 30, 2)]);
  t.equal(gappy[0]?.gaps, 1, 'a missing range is counted');
});

t.test('parseTsharkFields reads IPv4 and IPv6 lines, hex with or without colons', async (t) => {
  const text = [
    '3\t192.0.2.1\t\t179\t192.0.2.2\t\t40000\t1\t1700000000.5\tffff:0013',
    '4\t\t2001:db8::1\t179\t\t2001:db8::2\t40001\t20\t1700000001.0\tffff0013',
    '5\t192.0.2.1\t\t179\t192.0.2.2\t\t40000\t1\t1700000002.0\t',
  ].join('\n');
  const segments = parseTsharkFields(text);
  t.equal(segments.length, 2, 'a line without payload is skipped');
  t.equal(segments[0]?.src, '192.0.2.1');
  t.equal(segments[1]?.src, '2001:db8::1');
  t.equal(segments[1]?.seq, 20);
  t.same(segments[0]?.payload, Buffer.from('ffff0013', 'hex'));
});

t.test('describeMessage names what a decoder cares about', async (t) => {
  t.equal(describeMessage(KEEPALIVE, true).slug, 'keepalive');
  const cease = describeMessage(CEASE, true);
  t.equal(cease.type, 'NOTIFICATION');
  t.match(cease.description, /6\/2 \(Cease\), shutdown communication \(3 bytes\): "bye"/);
  // UPDATE: withdrawn 0, attrs: ORIGIN IGP, AS_PATH [64512 23456] (2-octet), AS4_PATH [64512 4200000000], NEXT_HOP; NLRI 198.51.100.0/24.
  const attrs = Buffer.from(
    [
      '40010100',
      '4002060202fc005ba0', // AS_PATH: AS_SEQUENCE of 2 (2-octet): 64512, 23456
      'c0110a02020000fc00fa56ea00', // AS4_PATH: AS_SEQUENCE of 2: 64512, 4200000000
      '400304c0000201',
    ].join(''),
    'hex',
  );
  const body = Buffer.concat([Buffer.from('0000', 'hex'), Buffer.from([0, attrs.length]), attrs, Buffer.from('18c63364', 'hex')]);
  const header = Buffer.alloc(19, 0xff);
  header.writeUInt16BE(19 + body.length, 16);
  header[18] = 2;
  const update = describeMessage(Buffer.concat([header, body]), false);
  t.equal(update.slug, 'update-ipv4-announce-as4path');
  t.match(update.description, /announces 198\.51\.100\.0\/24/);
  t.match(update.description, /AS_PATH \[64512 23456\] \(2-octet\)/);
  t.match(update.description, /AS4_PATH \[64512 4200000000\] \(4-octet\)/);
  t.match(update.description, /NEXT_HOP 192\.0\.2\.1/);
});

t.test('captured fixtures: one whole message per file, as index.json says', async (t) => {
  const dir = fileURLToPath(new URL('../../fixtures/captured/', import.meta.url));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    messages: { file: string; type: string; length: number; fourOctetAs: boolean; description: string }[];
  };
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.hex')).sort();
  t.same(index.messages.map((m) => m.file).sort(), files, 'index lists exactly the .hex files');
  t.ok(index.messages.length > 0 && index.messages.length <= 42, `a small set (${index.messages.length})`);
  for (const entry of index.messages) {
    const text = readFileSync(join(dir, entry.file), 'utf8').trim();
    t.match(text, /^[0-9a-f]+$/, `${entry.file}: lowercase hex`);
    const bytes = Buffer.from(text, 'hex');
    const { messages, rest } = splitBgpMessages(bytes);
    t.ok(messages.length === 1 && rest.length === 0 && bytes.length === entry.length, `${entry.file}: one whole message`);
    t.equal(messageType(bytes), entry.type, `${entry.file}: type`);
    t.equal(describeMessage(bytes, entry.fourOctetAs).description, entry.description, `${entry.file}: description`);
  }
});

/**
 * Real bytes: every message captured between FRR 8.4.4, GoBGP 3.10.0 and BIRD 2.0.12
 * (fixtures/captured, made by scripts/capture-fixtures.ts) decodes cleanly, agrees field by field
 * with the description the capture wrote with its own, separate reader (test/lab/describe-message.ts),
 * and survives encode -> decode unchanged.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { asPathToArray } from './as-path.js';
import { decodeMessage, encodeMessage } from './message.js';
import type { BgpMessage, CodecOptions, UpdateMessage } from './types.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/captured');

interface IndexEntry {
  readonly file: string;
  readonly sender: string;
  readonly type: string;
  readonly length: number;
  readonly fourOctetAs: boolean;
  readonly description: string;
}

const index = JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8')) as { messages: IndexEntry[] };

const TYPE_NAMES: Record<BgpMessage['type'], string> = {
  open: 'OPEN',
  update: 'UPDATE',
  notification: 'NOTIFICATION',
  keepalive: 'KEEPALIVE',
  'route-refresh': 'ROUTE-REFRESH',
};

/** "a:b" as the 32-bit community value. */
function communityValue(text: string): number {
  const [high, low] = text.split(':').map(Number);
  return (high ?? 0) * 65536 + (low ?? 0);
}

function field(description: string, name: string): string | undefined {
  return new RegExp(`(?:^|; )${name} (.+?)(?=; | \\[attributes|$)`).exec(description)?.[1];
}

function numbers(text: string | undefined): number[] {
  return text === undefined ? [] : (/\[([^\]]*)\]/.exec(text)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
}

function allPrefixes(update: UpdateMessage): { announced: string[]; withdrawn: string[] } {
  return {
    announced: [...update.nlri, ...(update.attributes.mpReach?.nlri ?? [])],
    withdrawn: [...update.withdrawn, ...(update.attributes.mpUnreach?.withdrawn ?? [])],
  };
}

function checkUpdate(t: Test, update: UpdateMessage, d: string): void {
  const { announced, withdrawn } = allPrefixes(update);
  const a = update.attributes;
  if (d.includes('End-of-RIB')) {
    t.same([announced, withdrawn], [[], []], 'End-of-RIB carries no prefixes');
    return;
  }
  const announces = /^UPDATE announces ([^;\[]+)/.exec(d)?.[1]?.trim().split(' ') ?? [];
  const withdraws = /^UPDATE withdraws ([^;\[]+)/.exec(d)?.[1]?.trim().split(' ') ?? [];
  t.same(announced, announces, 'announced prefixes');
  t.same(withdrawn, withdraws, 'withdrawn prefixes');
  const asPath = field(d, 'AS_PATH');
  if (announces.length > 0) t.ok(asPath !== undefined, 'the description names the AS_PATH');
  if (asPath !== undefined) t.same(asPathToArray(a.asPath ?? []), numbers(asPath), 'AS_PATH');
  const as4Path = field(d, 'AS4_PATH');
  if (as4Path !== undefined) t.same(asPathToArray(a.as4Path ?? []), numbers(as4Path), 'AS4_PATH');
  else t.equal(a.as4Path, undefined, 'no AS4_PATH');
  const nextHop = field(d, 'NEXT_HOP');
  if (nextHop !== undefined) t.equal(a.nextHop, nextHop.trim(), 'NEXT_HOP');
  const mpNextHop = /next hop (\S+)/.exec(field(d, 'MP_REACH') ?? '')?.[1];
  if (mpNextHop !== undefined) t.equal(a.mpReach?.nextHops[0], mpNextHop, 'MP_REACH next hop');
  const med = field(d, 'MED');
  t.equal(a.med, med === undefined ? undefined : Number(med), 'MED');
  const communities = field(d, 'COMMUNITIES');
  t.same(a.communities ?? [], communities === undefined ? [] : communities.trim().split(' ').map(communityValue), 'COMMUNITIES');
  const large = field(d, 'LARGE_COMMUNITY');
  t.same(
    (a.largeCommunities ?? []).map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`),
    large === undefined ? [] : large.trim().split(' '),
    'LARGE_COMMUNITY',
  );
}

function checkDescription(t: Test, message: BgpMessage, d: string): void {
  switch (message.type) {
    case 'open': {
      const m = /^OPEN my-AS (\d+), hold (\d+), id ([\d.]+)/.exec(d);
      t.same([message.myAsn, message.holdTime, message.routerId], [Number(m?.[1]), Number(m?.[2]), m?.[3]], 'my AS, hold time, identifier');
      const fourOctet = /four-octet-as\((\d+)\)/.exec(d)?.[1];
      const capability = message.capabilities.find((c) => c.kind === 'four-octet-as');
      t.equal(capability?.kind === 'four-octet-as' ? capability.asn : undefined, fourOctet === undefined ? undefined : Number(fourOctet), '4-octet AS capability');
      const mp = [...d.matchAll(/mp\((\d)\/(\d)\)/g)].map((x) => `${x[1]}/${x[2]}`);
      t.same(message.capabilities.flatMap((c) => (c.kind === 'multiprotocol' ? [`${c.afi}/${c.safi}`] : [])), mp, 'multiprotocol families');
      return;
    }
    case 'notification': {
      const m = /^NOTIFICATION (\d+)\/(\d+).*?(?:: "(.*)")?$/.exec(d);
      t.same([message.code, message.subcode], [Number(m?.[1]), Number(m?.[2])], 'code/subcode');
      t.equal(message.shutdownMessage, m?.[3], 'RFC 9003 shutdown message');
      return;
    }
    case 'route-refresh': {
      const m = /AFI (\d+) SAFI (\d+) subtype (\d+)/.exec(d);
      t.same([message.afi, message.safi, message.subtype], [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])], 'AFI, SAFI, subtype');
      return;
    }
    case 'keepalive':
      return;
    case 'update':
      checkUpdate(t, message, d);
      return;
  }
}

t.ok(index.messages.length >= 30, `${index.messages.length} captured messages`);
for (const sender of ['frr', 'gobgp', 'bird']) {
  t.ok(index.messages.some((m) => m.sender === sender && m.type === 'UPDATE'), `UPDATEs captured from ${sender}`);
}

for (const entry of index.messages) {
  t.test(`${entry.file}: ${entry.description.slice(0, 80)}`, async (t) => {
    const bytes = Buffer.from(readFileSync(join(FIXTURES, entry.file), 'utf8').trim(), 'hex');
    t.equal(bytes.length, entry.length, 'the file holds the whole message');
    const options: CodecOptions = { fourOctetAs: entry.fourOctetAs, extendedMessage: false };
    const message = decodeMessage(bytes, options);
    t.equal(TYPE_NAMES[message.type], entry.type, 'message type');
    if (message.type === 'update') t.equal(message.problems, undefined, 'no RFC 7606 problems in a real router\'s UPDATE');
    checkDescription(t, message, entry.description);
    t.same(decodeMessage(encodeMessage(message, options), options), message, 'encode -> decode gives the same message');
  });
}

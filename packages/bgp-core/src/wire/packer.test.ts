import t from 'tap';
import type { Test } from 'tap';
import { AS_TRANS, AsPathSegmentType, HEADER_LENGTH, MessageType, Origin } from './constants.js';
import { normalizePrefix } from './nlri.js';
import { packAnnouncements, packWithdrawals } from './packer.js';
import type { AsPathSegment, CodecOptions, PathAttributes, UpdateMessage } from './types.js';
import { AttributeCache, decodeUpdateBody, routeAttributes, updateBody } from './update.js';

const OPTIONS: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const EXTENDED: CodecOptions = { fourOctetAs: true, extendedMessage: true };
const TWO_OCTET: CodecOptions = { fourOctetAs: false, extendedMessage: false };

const seq = (...asns: number[]): AsPathSegment => ({ type: AsPathSegmentType.AS_SEQUENCE, asns });

const ATTRIBUTES: PathAttributes = {
  origin: Origin.IGP,
  asPath: [seq(4200000001, 65001)],
  nextHop: '192.0.2.1',
  communities: [0xfde90064, 0xffffff01],
  largeCommunities: [{ globalAdmin: 4200000001, localData1: 7, localData2: 9 }],
};

/** `count` distinct canonical IPv4 prefixes from /24 to /32. */
function ipv4Prefixes(count: number): string[] {
  const prefixes = new Set<string>();
  for (let i = 0; prefixes.size < count; i++) {
    const length = 32 - (i % 9);
    prefixes.add(normalizePrefix(`${1 + (i % 223)}.${(i * 7) & 255}.${(i * 13) & 255}.${i & 255}/${length}`));
  }
  return [...prefixes];
}

/** Distinct IPv6 prefixes from /48 to /64, and every tenth a /128. */
function ipv6Prefixes(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    normalizePrefix(i % 10 === 0 ? `2001:db8:${i.toString(16)}::1/128` : `2001:db8:${i.toString(16)}::/${48 + (i % 17)}`),
  );
}

interface Decoded {
  readonly messages: UpdateMessage[];
  readonly prefixes: string[];
}

/** Checks every message's header and size, decodes them all and re-encodes each body to the same bytes. */
function decodeAll(t: Test, messages: readonly Uint8Array[], options: CodecOptions, max: number): Decoded {
  const decoded: UpdateMessage[] = [];
  const prefixes: string[] = [];
  const cache = new AttributeCache();
  for (const message of messages) {
    t.ok(message.length <= max, `message of ${message.length} octets is within ${max}`);
    t.ok(message.subarray(0, 16).every((octet) => octet === 0xff), 'marker');
    t.equal((message[16]! << 8) | message[17]!, message.length, 'length field');
    t.equal(message[18], MessageType.UPDATE, 'type UPDATE');
    const update = decodeUpdateBody(message, HEADER_LENGTH, message.length - HEADER_LENGTH, options, cache);
    t.equal(update.problems, undefined, 'decodes cleanly');
    const again = new Uint8Array(updateBody.encodingLength(update, options));
    updateBody.encode(update, again, 0, options);
    t.same(Buffer.from(again), Buffer.from(message.subarray(HEADER_LENGTH)), 'the same bytes as the UPDATE encoder');
    decoded.push(update);
    prefixes.push(...update.nlri, ...update.withdrawn, ...(update.attributes.mpReach?.nlri ?? []), ...(update.attributes.mpUnreach?.withdrawn ?? []));
  }
  return { messages: decoded, prefixes };
}

t.test('1000 IPv4 prefixes: several messages of at most 4096 octets, every prefix exactly once', async (t) => {
  const prefixes = ipv4Prefixes(1000);
  const messages = packAnnouncements(ATTRIBUTES, prefixes, 'ipv4', undefined, OPTIONS);
  t.ok(messages.length > 1, `split into ${messages.length} messages`);
  const { messages: updates, prefixes: back } = decodeAll(t, messages, OPTIONS, 4096);
  t.same(back, prefixes, 'every prefix once, in order');
  for (const update of updates) t.same(update.attributes, ATTRIBUTES, 'each carries the attribute set');
  t.equal(new Set(updates.map((update) => update.attributes)).size, 1, 'one interned attribute set for all messages');
  for (const message of messages.slice(0, -1)) t.ok(message.length > 4096 - 17, 'all but the last are full');
});

t.test('1000 IPv6 prefixes go in MP_REACH_NLRI with both next hops', async (t) => {
  const prefixes = ipv6Prefixes(1000);
  const messages = packAnnouncements(ATTRIBUTES, prefixes, 'ipv6', ['2001:db8::1', 'fe80::1'], OPTIONS);
  t.ok(messages.length > 1, `split into ${messages.length} messages`);
  const { messages: updates, prefixes: back } = decodeAll(t, messages, OPTIONS, 4096);
  t.same(back, prefixes, 'every prefix once, in order');
  const { nextHop: _ignored, ...withoutNextHop } = ATTRIBUTES;
  for (const update of updates) {
    t.same(update.attributes.mpReach?.nextHops, ['2001:db8::1', 'fe80::1']);
    t.same(update.nlri, [], 'nothing in the IPv4 NLRI field');
    t.same(routeAttributes(update.attributes), withoutNextHop, 'no NEXT_HOP attribute (RFC 4760 section 3)');
  }
  for (const message of messages.slice(0, -1)) t.ok(message.length > 4096 - 17, 'all but the last are full');
});

t.test('extended messages (RFC 8654) pack up to 65535 octets', async (t) => {
  const prefixes = Array.from({ length: 20000 }, (_, i) => `10.${i >> 8}.${i & 0xff}.0/24`);
  const messages = packAnnouncements(ATTRIBUTES, prefixes, 'ipv4', undefined, EXTENDED);
  const normal = packAnnouncements(ATTRIBUTES, prefixes, 'ipv4', undefined, OPTIONS);
  t.ok(messages.some((message) => message.length > 4096), 'messages beyond 4096 octets');
  t.ok(messages.length * 8 < normal.length, `${messages.length} extended messages instead of ${normal.length}`);
  const { prefixes: back } = decodeAll(t, messages, EXTENDED, 65535);
  t.same(back, prefixes);
});

t.test('a 2-octet peer gets AS_TRANS and AS4_PATH (RFC 6793 section 4.2.2)', async (t) => {
  const [message] = packAnnouncements(ATTRIBUTES, ['10.0.0.0/24'], 'ipv4', undefined, TWO_OCTET);
  const update = decodeUpdateBody(message!, HEADER_LENGTH, message!.length - HEADER_LENGTH, TWO_OCTET);
  t.same(update.attributes.asPath, [seq(AS_TRANS, 65001)]);
  t.same(update.attributes.as4Path, [seq(4200000001, 65001)]);
  t.equal(update.problems, undefined);
});

t.test('withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI', async (t) => {
  const v4 = ipv4Prefixes(1000);
  const v4Messages = packWithdrawals(v4, 'ipv4', OPTIONS);
  t.ok(v4Messages.length > 1);
  const v4Back = decodeAll(t, v4Messages, OPTIONS, 4096);
  t.same(v4Back.prefixes, v4);
  t.ok(v4Back.messages.every((update) => update.nlri.length === 0 && Object.keys(update.attributes).length === 0), 'nothing but withdrawals');
  const v6 = ipv6Prefixes(1000);
  const v6Messages = packWithdrawals(v6, 'ipv6', OPTIONS);
  const v6Back = decodeAll(t, v6Messages, OPTIONS, 4096);
  t.same(v6Back.prefixes, v6);
  t.ok(v6Back.messages.every((update) => update.attributes.mpUnreach?.afi === 2), 'MP_UNREACH_NLRI for IPv6');
  const small = packWithdrawals(['2001:db8::/32'], 'ipv6', OPTIONS);
  t.equal(small[0]?.[HEADER_LENGTH + 4], 0x80, 'a short MP_UNREACH_NLRI uses a 1-octet length');
});

t.test('host bits are cleared on the way out', async (t) => {
  const [message] = packAnnouncements(ATTRIBUTES, ['10.1.2.3/24'], 'ipv4', undefined, OPTIONS);
  t.same(decodeUpdateBody(message!, HEADER_LENGTH, message!.length - HEADER_LENGTH, OPTIONS).nlri, ['10.1.2.0/24']);
});

t.test('the packer refuses what it cannot send', async (t) => {
  t.same(packAnnouncements(ATTRIBUTES, [], 'ipv4', undefined, OPTIONS), [], 'no prefixes, no messages');
  t.same(packWithdrawals([], 'ipv6', OPTIONS), []);
  const { nextHop: _ignored, ...noNextHop } = ATTRIBUTES;
  t.throws(() => packAnnouncements(noNextHop, ['10.0.0.0/8'], 'ipv4', undefined, OPTIONS), /nextHop/);
  t.throws(() => packAnnouncements(ATTRIBUTES, ['2001:db8::/32'], 'ipv6', undefined, OPTIONS), /nextHopsV6/);
  t.throws(() => packAnnouncements(ATTRIBUTES, ['2001:db8::/32'], 'ipv4', undefined, OPTIONS), /not an ipv4 prefix/);
  t.throws(() => packWithdrawals(['10.0.0.0/8'], 'ipv6', OPTIONS), /not an ipv6 prefix/);
  const huge = { ...ATTRIBUTES, communities: Array.from({ length: 1020 }, (_, i) => i) };
  t.throws(() => packAnnouncements(huge, ['10.0.0.0/8'], 'ipv4', undefined, OPTIONS), /no room/);
});

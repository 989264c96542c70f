import t from 'tap';
import { formatCommunity, formatLargeCommunity, parseCommunity, parseLargeCommunity } from './communities.js';
import { WellKnownCommunity } from './constants.js';

t.test('parseCommunity reads ASN:value', async (t) => {
  t.equal(parseCommunity('64512:100'), 64512 * 65536 + 100);
  t.equal(parseCommunity('0:0'), 0);
  t.equal(parseCommunity('65535:65535'), 0xffffffff);
});

t.test('every well-known name maps to its IANA value and back', async (t) => {
  const names: [string, number][] = [
    ['no-export', WellKnownCommunity.NO_EXPORT],
    ['no-advertise', WellKnownCommunity.NO_ADVERTISE],
    ['no-export-subconfed', WellKnownCommunity.NO_EXPORT_SUBCONFED],
    ['no-peer', WellKnownCommunity.NO_PEER],
    ['blackhole', WellKnownCommunity.BLACKHOLE],
    ['graceful-shutdown', WellKnownCommunity.GRACEFUL_SHUTDOWN],
    ['accept-own', WellKnownCommunity.ACCEPT_OWN],
    ['llgr-stale', WellKnownCommunity.LLGR_STALE],
    ['no-llgr', WellKnownCommunity.NO_LLGR],
  ];
  for (const [name, value] of names) {
    t.equal(parseCommunity(name), value, name);
    t.equal(formatCommunity(value), name, `${name} formats back`);
  }
  t.equal(parseCommunity('NO_EXPORT'), WellKnownCommunity.NO_EXPORT, 'case and underscores are forgiven');
  t.equal(parseCommunity('65535:65281'), WellKnownCommunity.NO_EXPORT, 'numeric spelling of a well-known value');
});

t.test('formatCommunity writes high:low for ordinary values', async (t) => {
  t.equal(formatCommunity(parseCommunity('64512:100')), '64512:100');
  t.equal(formatCommunity(0), '0:0');
  t.equal(formatCommunity(-1 >>> 0), '65535:65535');
});

t.test('parseCommunity rejects malformed text with a clear message', async (t) => {
  for (const bad of ['65536:1', '1:65536', '1', '1:2:3', '-1:5', '01:5', 'a:b', '', ' 1:2', 'no-such-name']) {
    t.throws(() => parseCommunity(bad), /is not a community/, `rejects "${bad}"`);
  }
});

t.test('large communities (RFC 8092)', async (t) => {
  const community = parseLargeCommunity('4200000000:1:2');
  t.same(community, { globalAdmin: 4200000000, localData1: 1, localData2: 2 });
  t.equal(formatLargeCommunity(community), '4200000000:1:2');
  t.same(parseLargeCommunity('4294967295:4294967295:0'), { globalAdmin: 4294967295, localData1: 4294967295, localData2: 0 });
  for (const bad of ['4294967296:1:2', '1:2', '1:2:3:4', 'x:1:2', '1::2']) {
    t.throws(() => parseLargeCommunity(bad), /is not a large community/, `rejects "${bad}"`);
  }
});

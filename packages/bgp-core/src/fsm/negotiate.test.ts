import t from 'tap';

import { AS_TRANS, CapabilityCode } from '../wire/constants.js';
import type { Capability, OpenMessage } from '../wire/types.js';
import type { OpenConfig } from './config.js';
import { buildOpen, validateOpen } from './negotiate.js';

const config: OpenConfig = {
  localAsn: 64512,
  peerAsn: 64513,
  routerId: '10.0.0.1',
  holdTimeSeconds: 90,
  families: ['ipv4', 'ipv6'],
};

const IPV4: Capability = { kind: 'multiprotocol', afi: 1, safi: 1 };
const IPV6: Capability = { kind: 'multiprotocol', afi: 2, safi: 1 };

function peerOpen(overrides: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAsn: 64513,
    holdTime: 180,
    routerId: '10.0.0.2',
    capabilities: [IPV4, IPV6, { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 64513 }, { kind: 'extended-message' }],
    unknownParameters: [],
    ...overrides,
  };
}

function negotiated(open: OpenMessage, cfg: OpenConfig = config) {
  const check = validateOpen(open, cfg);
  if (!check.ok) throw new Error(`expected a valid OPEN, got ${check.error.message}`);
  return check.negotiated;
}

t.test('buildOpen: a 2-octet AS with every capability we always send', (t) => {
  const open = buildOpen(config);
  t.equal(open.type, 'open');
  t.equal(open.version, 4);
  t.equal(open.myAsn, 64512);
  t.equal(open.holdTime, 90);
  t.equal(open.routerId, '10.0.0.1');
  t.same(open.unknownParameters, []);
  t.same(open.capabilities, [
    IPV4,
    IPV6,
    { kind: 'route-refresh' },
    { kind: 'enhanced-route-refresh' },
    { kind: 'four-octet-as', asn: 64512 },
    { kind: 'extended-message' },
  ]);
  t.end();
});

t.test('buildOpen: a 4-octet AS goes as AS_TRANS with the real AS in the capability (RFC 6793)', (t) => {
  const open = buildOpen({ ...config, localAsn: 4200000001, families: ['ipv6'] });
  t.equal(open.myAsn, AS_TRANS);
  t.same(open.capabilities.find((cap) => cap.kind === 'four-octet-as'), { kind: 'four-octet-as', asn: 4200000001 });
  t.same(open.capabilities.filter((cap) => cap.kind === 'multiprotocol'), [IPV6], 'one multiprotocol capability per family');
  t.equal(buildOpen({ ...config, localAsn: 65535 }).myAsn, 65535, '65535 still fits in 2 octets');
  t.end();
});

t.test('buildOpen: extended message can be turned off; graceful restart when configured', (t) => {
  t.notOk(buildOpen({ ...config, extendedMessage: false }).capabilities.some((cap) => cap.kind === 'extended-message'));
  t.notOk(buildOpen(config).capabilities.some((cap) => cap.kind === 'graceful-restart'), 'no GR unless configured');
  const open = buildOpen({ ...config, gracefulRestart: { restartTimeSeconds: 120, notification: true, forwardingPreserved: true } });
  t.same(open.capabilities.find((cap) => cap.kind === 'graceful-restart'), {
    kind: 'graceful-restart',
    restarting: false,
    notification: true,
    restartTime: 120,
    families: [
      { afi: 1, safi: 1, forwardingPreserved: true },
      { afi: 2, safi: 1, forwardingPreserved: true },
    ],
  });
  t.end();
});

t.test('validateOpen: what a typical peer negotiates', (t) => {
  const result = negotiated(peerOpen());
  t.equal(result.holdTimeSeconds, 90, 'the smaller hold time');
  t.equal(result.keepaliveSeconds, 30, 'a third of it');
  t.equal(result.fourOctetAs, true);
  t.equal(result.extendedMessage, true);
  t.equal(result.routeRefresh, true);
  t.equal(result.enhancedRouteRefresh, false, 'the peer did not offer it');
  t.same(result.families, ['ipv4', 'ipv6']);
  t.equal(result.peerGracefulRestart, undefined);
  t.equal(result.peerRouterId, '10.0.0.2');
  t.equal(result.peerAsn, 64513);
  t.same(result.codecOptions, { fourOctetAs: true, extendedMessage: true, enhancedRouteRefresh: false });
  t.end();
});

t.test('validateOpen: hold time and keepalive', (t) => {
  const cases: { name: string; ours: number; theirs: number; keepalive?: number; hold: number; ka: number }[] = [
    { name: 'theirs smaller', ours: 90, theirs: 30, hold: 30, ka: 10 },
    { name: 'theirs 0: no hold timer, no keepalives', ours: 90, theirs: 0, hold: 0, ka: 0 },
    { name: 'ours 0', ours: 0, theirs: 90, hold: 0, ka: 0 },
    { name: 'the minimum, 3', ours: 90, theirs: 3, hold: 3, ka: 1 },
    { name: 'a third rounds down', ours: 10, theirs: 90, hold: 10, ka: 3 },
    { name: 'a shorter configured keepalive is used', ours: 90, theirs: 90, keepalive: 10, hold: 90, ka: 10 },
    { name: 'a configured keepalive longer than a third is capped', ours: 90, theirs: 9, keepalive: 30, hold: 9, ka: 3 },
    { name: 'a configured keepalive means nothing without a hold time', ours: 90, theirs: 0, keepalive: 30, hold: 0, ka: 0 },
  ];
  for (const c of cases) {
    const cfg: OpenConfig = c.keepalive === undefined ? { ...config, holdTimeSeconds: c.ours } : { ...config, holdTimeSeconds: c.ours, keepaliveSeconds: c.keepalive };
    const result = negotiated(peerOpen({ holdTime: c.theirs }), cfg);
    t.equal(result.holdTimeSeconds, c.hold, `${c.name}: hold`);
    t.equal(result.keepaliveSeconds, c.ka, `${c.name}: keepalive`);
  }
  t.end();
});

t.test('validateOpen: families, capabilities both sides must have', (t) => {
  t.same(negotiated(peerOpen({ capabilities: [{ kind: 'four-octet-as', asn: 64513 }] })).families, ['ipv4'], 'no multiprotocol capability at all means IPv4 unicast (RFC 4760)');
  t.same(negotiated(peerOpen({ capabilities: [IPV6, { kind: 'four-octet-as', asn: 64513 }] })).families, ['ipv6'], 'only what the peer offered');
  t.same(
    negotiated(peerOpen({ capabilities: [IPV4, { kind: 'multiprotocol', afi: 1, safi: 2 }, { kind: 'four-octet-as', asn: 64513 }] }), { ...config, families: ['ipv4'] }).families,
    ['ipv4'],
    'other SAFIs are ignored',
  );
  const cisco = negotiated(peerOpen({ capabilities: [IPV4, { kind: 'route-refresh-cisco' }, { kind: 'enhanced-route-refresh' }, { kind: 'unknown', code: 73, value: new Uint8Array([1]) }] }));
  t.equal(cisco.routeRefresh, true, "Cisco's code 128 counts as route refresh");
  t.equal(cisco.enhancedRouteRefresh, true);
  t.equal(cisco.fourOctetAs, false);
  t.equal(cisco.extendedMessage, false);
  t.same(cisco.codecOptions, { fourOctetAs: false, extendedMessage: false, enhancedRouteRefresh: true });
  t.equal(negotiated(peerOpen(), { ...config, extendedMessage: false }).extendedMessage, false, 'not when we did not offer it');

  const gr: Capability = { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 90, families: [{ afi: 1, safi: 1, forwardingPreserved: false }] };
  t.same(negotiated(peerOpen({ capabilities: [...peerOpen().capabilities, gr] })).peerGracefulRestart, gr, "the peer's GR capability is passed on");
  t.end();
});

t.test('validateOpen: the peer AS (RFC 4271 6.2, RFC 6793)', (t) => {
  t.equal(negotiated(peerOpen({ myAsn: AS_TRANS, capabilities: [{ kind: 'four-octet-as', asn: 4200000001 }] }), { ...config, peerAsn: 4200000001 }).peerAsn, 4200000001, 'AS_TRANS plus the capability');
  t.equal(negotiated(peerOpen({ capabilities: [] })).peerAsn, 64513, 'a 2-octet-only speaker');
  t.equal(negotiated(peerOpen({ myAsn: 64512, capabilities: [{ kind: 'four-octet-as', asn: 64512 }] }), { ...config, peerAsn: 'internal' }).peerAsn, 64512, "'internal' accepts our own AS");
  t.equal(negotiated(peerOpen({ myAsn: 65001, capabilities: [{ kind: 'four-octet-as', asn: 65001 }] }), { ...config, peerAsn: 'external' }).peerAsn, 65001, "'external' accepts another AS");
  t.end();
});

t.test('validateOpen: each failure gets its NOTIFICATION', (t) => {
  const cases: { name: string; open: OpenMessage; cfg?: OpenConfig; code: string; subcode: number; data?: number[] }[] = [
    { name: 'version 3', open: peerOpen({ version: 3 }), code: 'ERR_BGP_UNSUPPORTED_VERSION', subcode: 1, data: [0, 4] },
    { name: 'version 5', open: peerOpen({ version: 5 }), code: 'ERR_BGP_UNSUPPORTED_VERSION', subcode: 1, data: [0, 4] },
    { name: 'a different 2-octet AS', open: peerOpen({ myAsn: 64999, capabilities: [] }), code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'a different 4-octet AS', open: peerOpen({ myAsn: AS_TRANS, capabilities: [{ kind: 'four-octet-as', asn: 4200000002 }] }), cfg: { ...config, peerAsn: 4200000001 }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'AS_TRANS without the capability', open: peerOpen({ myAsn: AS_TRANS, capabilities: [] }), cfg: { ...config, peerAsn: AS_TRANS }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'AS_TRANS in the capability', open: peerOpen({ myAsn: AS_TRANS, capabilities: [{ kind: 'four-octet-as', asn: AS_TRANS }] }), cfg: { ...config, peerAsn: AS_TRANS }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'field and capability disagree on a 2-octet AS', open: peerOpen({ myAsn: 64999, capabilities: [{ kind: 'four-octet-as', asn: 64513 }] }), code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'AS 0 (RFC 7607)', open: peerOpen({ myAsn: 0, capabilities: [] }), cfg: { ...config, peerAsn: 'external' }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: "'internal' but another AS", open: peerOpen(), cfg: { ...config, peerAsn: 'internal' }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: "'external' but our AS", open: peerOpen({ myAsn: 64512, capabilities: [{ kind: 'four-octet-as', asn: 64512 }] }), cfg: { ...config, peerAsn: 'external' }, code: 'ERR_BGP_BAD_PEER_AS', subcode: 2 },
    { name: 'hold time 1', open: peerOpen({ holdTime: 1 }), code: 'ERR_BGP_UNACCEPTABLE_HOLD_TIME', subcode: 6 },
    { name: 'hold time 2', open: peerOpen({ holdTime: 2 }), code: 'ERR_BGP_UNACCEPTABLE_HOLD_TIME', subcode: 6 },
    { name: 'identifier 0.0.0.0', open: peerOpen({ routerId: '0.0.0.0' }), code: 'ERR_BGP_BAD_BGP_IDENTIFIER', subcode: 3 },
    { name: 'identifier not a dotted quad', open: peerOpen({ routerId: '10.0.0' }), code: 'ERR_BGP_BAD_BGP_IDENTIFIER', subcode: 3 },
    { name: 'iBGP peer with our identifier', open: peerOpen({ myAsn: 64512, routerId: '10.0.0.1', capabilities: [{ kind: 'four-octet-as', asn: 64512 }] }), cfg: { ...config, peerAsn: 64512 }, code: 'ERR_BGP_BAD_BGP_IDENTIFIER', subcode: 3 },
    { name: 'an unknown optional parameter', open: peerOpen({ unknownParameters: [{ type: 1, value: new Uint8Array([0]) }] }), code: 'ERR_BGP_UNSUPPORTED_OPTIONAL_PARAMETER', subcode: 4 },
    { name: 'no family in common', open: peerOpen({ capabilities: [IPV6] }), cfg: { ...config, families: ['ipv4'] }, code: 'ERR_BGP_UNSUPPORTED_CAPABILITY', subcode: 7, data: [CapabilityCode.MULTIPROTOCOL, 4, 0, 1, 0, 1] },
  ];
  for (const c of cases) {
    const check = validateOpen(c.open, c.cfg ?? config);
    if (check.ok) {
      t.fail(`${c.name}: accepted`);
      continue;
    }
    t.equal(check.error.code, c.code, `${c.name}: error code`);
    t.equal(check.error.notification.code, 2, `${c.name}: OPEN Message Error`);
    t.equal(check.error.notification.subcode, c.subcode, `${c.name}: subcode`);
    t.same([...check.error.notification.data], c.data ?? [], `${c.name}: data`);
  }
  t.end();
});

t.test('validateOpen: checks run in the order of RFC 4271 section 6.2', (t) => {
  const check = validateOpen(peerOpen({ version: 3, myAsn: 1, holdTime: 1, routerId: '0.0.0.0' }), config);
  t.equal(check.ok ? undefined : check.error.code, 'ERR_BGP_UNSUPPORTED_VERSION');
  const asFirst = validateOpen(peerOpen({ myAsn: 1, capabilities: [], holdTime: 1, routerId: '0.0.0.0' }), config);
  t.equal(asFirst.ok ? undefined : asFirst.error.code, 'ERR_BGP_BAD_PEER_AS');
  const holdBeforeId = validateOpen(peerOpen({ holdTime: 2, routerId: '0.0.0.0' }), config);
  t.equal(holdBeforeId.ok ? undefined : holdBeforeId.error.code, 'ERR_BGP_UNACCEPTABLE_HOLD_TIME');
  t.end();
});

t.test('validateOpen: eBGP peers may share our identifier (RFC 6286 section 2.2)', (t) => {
  t.equal(negotiated(peerOpen({ routerId: '10.0.0.1' })).peerRouterId, '10.0.0.1');
  t.end();
});

t.test('advertiseFourOctetAs false: no capability, AS_TRANS as My AS, and a 2-octet session even if the peer is NEW', (t) => {
  const towardsOldPeer: OpenConfig = { ...config, localAsn: 4200000000, advertiseFourOctetAs: false };
  const open = buildOpen(towardsOldPeer);
  t.equal(open.myAsn, AS_TRANS, 'My AS is AS_TRANS for a 4-octet ASN');
  t.notOk(open.capabilities.some((cap) => cap.kind === 'four-octet-as'), 'the 4-octet AS capability is left out');
  const result = negotiated(peerOpen(), towardsOldPeer);
  t.equal(result.fourOctetAs, false, 'only both capabilities make a 4-octet session (RFC 6793 section 3)');
  t.equal(result.codecOptions.fourOctetAs, false);
  t.equal(negotiated(peerOpen(), config).fourOctetAs, true, 'by default the capability is sent and negotiated');
  t.end();
});

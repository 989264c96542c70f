import t from 'tap';

import { decideCollision, hasGracefulRestart, resolveCollision } from './collision.js';
import type { CollisionDecision, OtherConnection } from './collision.js';
import type { SessionStateName } from './states.js';
import { peerOpen } from './test-helpers/fixtures.js';

t.test('the connection initiated by the higher BGP identifier survives (RFC 4271 6.8)', (t) => {
  t.equal(resolveCollision('10.0.0.2', '10.0.0.1'), 'keep-local-initiated');
  t.equal(resolveCollision('10.0.0.1', '10.0.0.2'), 'keep-remote-initiated');
  t.equal(resolveCollision('9.255.255.255', '10.0.0.0'), 'keep-remote-initiated', 'compared as numbers, not strings');
  t.equal(resolveCollision('200.0.0.1', '100.0.0.1'), 'keep-local-initiated', 'unsigned: above 127.255.255.255 is not negative');
  t.equal(resolveCollision('255.255.255.255', '0.0.0.1'), 'keep-local-initiated');
  t.end();
});

t.test('both sides agree', (t) => {
  const ids = ['1.1.1.1', '10.0.0.1', '192.168.0.1', '255.0.0.0'];
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      const ours = resolveCollision(a, b);
      const theirs = resolveCollision(b, a);
      t.not(ours, theirs, `${a} vs ${b}: the same connection (ours local-initiated = theirs remote-initiated)`);
    }
  }
  t.end();
});

t.test('equal identifiers: the larger AS wins (RFC 6286 section 2.3)', (t) => {
  t.equal(resolveCollision('10.0.0.1', '10.0.0.1', 65002, 65001), 'keep-local-initiated');
  t.equal(resolveCollision('10.0.0.1', '10.0.0.1', 65001, 65002), 'keep-remote-initiated');
  t.equal(resolveCollision('10.0.0.1', '10.0.0.1', 4200000000, 65001), 'keep-local-initiated', '4-octet AS numbers compare too');
  t.equal(resolveCollision('10.0.0.1', '10.0.0.1'), 'keep-local-initiated', 'without AS numbers the answer is still deterministic');
  t.throws(() => resolveCollision('10.0.0', '10.0.0.1'), RangeError);
  t.end();
});

t.test('decideCollision: what to do with two connections', (t) => {
  const local = { localRouterId: '10.0.0.1', localAsn: 64512 };
  const higherPeer = peerOpen({ routerId: '10.0.0.2' });
  const lowerPeer = peerOpen({ routerId: '10.0.0.0' });
  const other = (state: SessionStateName, initiatedBy: 'local' | 'remote', peerGracefulRestart = false): OtherConnection => ({ state, initiatedBy, peerGracefulRestart });
  const cases: { name: string; initiatedBy: 'local' | 'remote'; open: typeof higherPeer; other: OtherConnection; expected: CollisionDecision }[] = [
    { name: 'other Idle', initiatedBy: 'remote', open: higherPeer, other: other('Idle', 'local'), expected: 'no-collision' },
    { name: 'other still connecting', initiatedBy: 'remote', open: higherPeer, other: other('Connect', 'local'), expected: 'abandon-other' },
    { name: 'other waiting in Active', initiatedBy: 'remote', open: higherPeer, other: other('Active', 'local'), expected: 'abandon-other' },
    { name: 'other in OpenSent: settled when its OPEN arrives', initiatedBy: 'remote', open: higherPeer, other: other('OpenSent', 'local'), expected: 'no-collision' },
    { name: 'peer higher, OPEN on its connection', initiatedBy: 'remote', open: higherPeer, other: other('OpenConfirm', 'local'), expected: 'dump-other' },
    { name: 'peer higher, OPEN on our connection', initiatedBy: 'local', open: higherPeer, other: other('OpenConfirm', 'remote'), expected: 'dump-this' },
    { name: 'we are higher, OPEN on its connection', initiatedBy: 'remote', open: lowerPeer, other: other('OpenConfirm', 'local'), expected: 'dump-this' },
    { name: 'we are higher, OPEN on our connection', initiatedBy: 'local', open: lowerPeer, other: other('OpenConfirm', 'remote'), expected: 'dump-other' },
    { name: 'two connections from the same side', initiatedBy: 'remote', open: higherPeer, other: other('OpenConfirm', 'remote'), expected: 'dump-this' },
    { name: 'Established wins', initiatedBy: 'remote', open: higherPeer, other: other('Established', 'local'), expected: 'dump-this' },
    { name: 'Established with GR: the peer restarted', initiatedBy: 'remote', open: lowerPeer, other: other('Established', 'remote', true), expected: 'dump-other' },
  ];
  for (const c of cases) {
    t.equal(decideCollision({ ...local, initiatedBy: c.initiatedBy, open: c.open, other: c.other }), c.expected, c.name);
  }
  t.end();
});

t.test('decideCollision: equal identifiers use the AS from the 4-octet capability', (t) => {
  const sameId = { localRouterId: '10.0.0.1', initiatedBy: 'remote' as const, other: { state: 'OpenConfirm' as const, initiatedBy: 'local' as const } };
  const bigPeer = peerOpen({ routerId: '10.0.0.1', myAsn: 23456, capabilities: [{ kind: 'four-octet-as', asn: 4200000000 }] });
  t.equal(decideCollision({ ...sameId, localAsn: 64512, open: bigPeer }), 'dump-other', 'the peer has the larger AS: its connection stays');
  t.equal(decideCollision({ ...sameId, localAsn: 4200000001, open: bigPeer }), 'dump-this');
  t.end();
});

t.test('hasGracefulRestart', (t) => {
  t.equal(hasGracefulRestart(undefined), false);
  t.equal(hasGracefulRestart({ peerGracefulRestart: undefined }), false);
  t.equal(hasGracefulRestart({ peerGracefulRestart: { kind: 'graceful-restart' } }), true);
  t.end();
});

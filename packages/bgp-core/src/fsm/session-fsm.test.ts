import t from 'tap';

import type { OwnerAction } from './actions.js';
import { ManualClock } from '@metallb-ts/clock';
import type { FsmConfig } from './config.js';
import type { RandomSource } from './fsm.js';
import { SessionFsm } from './session-fsm.js';
import { config, half, peerOpen } from './test-helpers/fixtures.js';

interface Harness {
  readonly fsm: SessionFsm;
  readonly clock: ManualClock;
  readonly actions: OwnerAction[];
  /** Action types with the clock time, e.g. "connect@0". */
  readonly log: string[];
}

function harness(options: { cfg?: FsmConfig; random?: RandomSource; react?: (action: OwnerAction, fsm: SessionFsm) => void } = {}): Harness {
  const clock = new ManualClock();
  const actions: OwnerAction[] = [];
  const log: string[] = [];
  const fsm = new SessionFsm({
    config: options.cfg ?? config,
    clock,
    random: options.random ?? (() => 0.5),
    onAction: (action, self) => {
      actions.push(action);
      log.push(`${describe(action)}@${clock.now()}`);
      options.react?.(action, self);
    },
  });
  return { fsm, clock, actions, log };
}

function describe(action: OwnerAction): string {
  switch (action.type) {
    case 'send':
      return action.message.type === 'notification' ? `notification ${action.message.code}/${action.message.subcode}` : action.message.type;
    case 'state-changed':
      return action.to;
    default:
      return action.type;
  }
}

/** Drives a harness to Established over an outgoing connection. */
function establish(h: Harness, holdTime = 90): void {
  h.fsm.handle({ type: 'ManualStart' });
  h.fsm.handle({ type: 'Tcp_CR_Acked' });
  h.fsm.handle({ type: 'BGPOpen', open: peerOpen({ holdTime }) });
  h.fsm.handle({ type: 'KeepAliveMsg' });
}

t.test('a session comes up and keeps itself alive', (t) => {
  // random 1: the keepalive jitter factor is 1.0 (the jitter itself is the next test's).
  const h = harness({ random: () => 1 });
  establish(h);
  t.same(h.log, ['connect@0', 'Connect@0', 'open@0', 'OpenSent@0', 'keepalive@0', 'OpenConfirm@0', 'Established@0', 'session-established@0']);
  t.equal(h.fsm.stateName, 'Established');
  h.log.length = 0;
  // The peer sends a KEEPALIVE every 30 s; we send ours every 30 s (a third of 90).
  for (let i = 0; i < 4; i++) {
    h.clock.advance(30_000);
    h.fsm.handle({ type: 'KeepAliveMsg' });
  }
  t.same(h.log, ['keepalive@30000', 'keepalive@60000', 'keepalive@90000', 'keepalive@120000']);
  t.equal(h.fsm.stateName, 'Established', 'the peer kept the hold timer from expiring');
  t.end();
});

t.test('KEEPALIVEs are jittered (RFC 4271 section 10): 0.75 to 1.0 of the interval, never later', (t) => {
  for (const [random, interval] of [[0, 22_500], [0.5, 26_250], [1, 30_000]] as const) {
    const h = harness({ random: () => random });
    establish(h);
    h.log.length = 0;
    h.clock.advance(2 * interval); // the peer is silent: stay below its 90 s hold time
    t.same(h.log, [`keepalive@${interval}`, `keepalive@${2 * interval}`], `random ${random}: every ${interval} ms`);
  }
  t.end();
});

t.test('the hold timer expires in Established: NOTIFICATION 4/0, Idle, restart after the idle hold time', (t) => {
  const h = harness();
  establish(h);
  h.log.length = 0;
  h.clock.advance(89_999);
  t.notOk(h.log.some((entry) => entry.startsWith('notification')), 'not before 90 s');
  h.clock.advance(1);
  t.same(h.log.slice(-4), ['notification 4/0@90000', 'drop-connection@90000', 'session-down@90000', 'Idle@90000']);
  h.log.length = 0;
  h.clock.advance(999);
  t.same(h.log, [], 'waits the idle hold time');
  h.clock.advance(1);
  t.same(h.log, ['connect@91000', 'Connect@91000'], 'then restarts by itself');
  t.end();
});

t.test('the hold timer expires while waiting for the OPEN (4 minutes) and in OpenConfirm', (t) => {
  const sent = harness();
  sent.fsm.handle({ type: 'ManualStart' });
  sent.fsm.handle({ type: 'Tcp_CR_Acked' });
  sent.clock.advance(239_999);
  t.equal(sent.fsm.stateName, 'OpenSent');
  sent.clock.advance(1);
  t.equal(sent.fsm.stateName, 'Idle');
  t.ok(sent.log.includes('notification 4/0@240000'));

  const confirm = harness({ random: () => 1 });
  confirm.fsm.handle({ type: 'ManualStart' });
  confirm.fsm.handle({ type: 'Tcp_CR_Acked' });
  confirm.fsm.handle({ type: 'BGPOpen', open: peerOpen({ holdTime: 9 }) });
  confirm.clock.advance(9_000);
  t.equal(confirm.fsm.stateName, 'Idle');
  t.same(confirm.log.filter((entry) => entry.startsWith('keepalive')), ['keepalive@0', 'keepalive@3000', 'keepalive@6000'], 'KEEPALIVEs every 3 s until then');
  t.ok(confirm.log.includes('notification 4/0@9000'));
  t.end();
});

t.test('hold time 0: no hold timer and no keepalives, ever', (t) => {
  const h = harness();
  establish(h, 0);
  t.equal(h.fsm.state.negotiated?.holdTimeSeconds, 0);
  t.same(Object.keys(h.fsm.state.timers), ['IdleHoldResetTimer']);
  t.equal(h.clock.pending, 1, 'only the idle-hold reset timer');
  h.clock.advance(3_600_000);
  t.equal(h.fsm.stateName, 'Established');
  t.notOk(h.log.some((entry) => entry.startsWith('keepalive@') && !entry.endsWith('@0')), 'no KEEPALIVE after the one answering the OPEN');
  t.equal(h.clock.pending, 0);
  t.end();
});

t.test('sending an UPDATE postpones the next KEEPALIVE', (t) => {
  const h = harness({ random: () => 1 });
  establish(h);
  h.log.length = 0;
  h.clock.advance(20_000);
  h.fsm.noteMessageSent();
  h.clock.advance(20_000);
  t.same(h.log, [], 'no KEEPALIVE at 30 s: an UPDATE went out at 20 s');
  h.clock.advance(10_000);
  t.same(h.log, ['keepalive@50000']);
  t.end();
});

t.test('a failed connect retries after the jittered ConnectRetryTime', (t) => {
  for (const [random, expected] of [
    [0, 90_000],
    [0.5, 105_000],
    [0.999, 119_970],
  ] as const) {
    const h = harness({ random: () => random });
    h.fsm.handle({ type: 'ManualStart' });
    h.fsm.handle({ type: 'TcpConnectionFails' });
    t.equal(h.fsm.stateName, 'Active');
    h.log.length = 0;
    // The timer was armed at the ManualStart and re-armed at the failure, both at time 0.
    h.clock.advance(expected - 1);
    t.same(h.log, [], `random ${random}: nothing before ${expected} ms`);
    h.clock.advance(1);
    t.same(h.log, [`connect@${expected}`, `Connect@${expected}`], `random ${random}: reconnects at ${expected} ms`);
    t.ok(expected >= 0.75 * 120_000 && expected <= 120_000);
  }
  t.end();
});

t.test('a connect attempt that hangs is abandoned and retried', (t) => {
  const h = harness({ random: () => 0 });
  h.fsm.handle({ type: 'ManualStart' });
  h.clock.advance(90_000);
  t.same(h.log, ['connect@0', 'Connect@0', 'drop-connection@90000', 'connect@90000']);
  t.end();
});

t.test('passive: waits in Active for as long as it takes, then accepts the peer', (t) => {
  const h = harness();
  h.fsm.handle({ type: 'ManualStart_with_PassiveTcpEstablishment' });
  t.equal(h.clock.pending, 0);
  h.clock.advance(3_600_000);
  t.same(h.log, ['Active@0'], 'no connect, ever');
  h.fsm.handle({ type: 'TcpConnectionConfirmed' });
  t.equal(h.fsm.stateName, 'OpenSent');
  t.end();
});

t.test('an owner that reacts synchronously sees actions in order', (t) => {
  // The socket layer reports an immediate failure from inside the `connect` action.
  const h = harness({
    react: (action, fsm) => {
      if (action.type === 'connect') fsm.handle({ type: 'TcpConnectionFails' });
    },
  });
  h.fsm.handle({ type: 'ManualStart' });
  t.same(h.log, ['connect@0', 'Connect@0', 'Active@0'], 'the failure is handled after the start finished');
  t.equal(h.fsm.stateName, 'Active');
  t.end();
});

t.test('a peer that keeps failing waits longer each time, until a stable session resets it', (t) => {
  const h = harness();
  const connects: number[] = [];
  // Every connection comes up, the peer refuses our OPEN with a NOTIFICATION.
  const refuse = (): void => {
    h.fsm.handle({ type: 'Tcp_CR_Acked' });
    h.fsm.handle({ type: 'NotifMsg', notification: { type: 'notification', code: 6, subcode: 5, data: new Uint8Array(0) } });
  };
  h.fsm.handle({ type: 'ManualStart' });
  for (let i = 0; i < 9; i++) {
    connects.push(h.clock.now());
    refuse();
    const wait = h.clock.nextDueInMs ?? -1;
    h.clock.advance(wait);
    t.equal(h.fsm.stateName, 'Connect');
  }
  const gaps = connects.slice(1).map((at, i) => at - (connects[i] ?? 0));
  t.same(gaps, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000], 'doubling up to 120 s');

  // Now the session comes up and stays for a minute: the next failure waits 1 s again.
  h.fsm.handle({ type: 'Tcp_CR_Acked' });
  h.fsm.handle({ type: 'BGPOpen', open: peerOpen({ holdTime: 0 }) });
  h.fsm.handle({ type: 'KeepAliveMsg' });
  h.clock.advance(60_000);
  t.equal(h.fsm.state.idleHoldTimeMs, 1000);
  h.fsm.handle({ type: 'TcpConnectionFails' });
  t.equal(h.fsm.state.timers.IdleHoldTimer, 1000);
  t.end();
});

t.test('ManualStop cancels every timer and stays down', (t) => {
  const h = harness();
  establish(h);
  t.ok(h.clock.pending > 0);
  h.fsm.handle({ type: 'ManualStop', message: 'bye' });
  t.equal(h.fsm.stateName, 'Idle');
  t.equal(h.clock.pending, 0);
  t.ok(h.log.includes('notification 6/2@0'));
  h.clock.advance(3_600_000);
  t.equal(h.fsm.stateName, 'Idle', 'no automatic restart');
  t.end();
});

t.test('dispose cancels the timers and ignores later events', (t) => {
  const h = harness();
  establish(h);
  h.fsm.dispose();
  t.equal(h.clock.pending, 0);
  const before = h.actions.length;
  h.fsm.handle({ type: 'HoldTimer_Expires' });
  h.clock.advance(3_600_000);
  t.equal(h.actions.length, before);
  t.equal(h.fsm.stateName, 'Established', 'frozen');
  t.end();
});

t.test('a collision winner adopts the restart policy of the FSM it replaces', (t) => {
  const main = harness();
  main.fsm.handle({ type: 'ManualStart' });
  const candidate = harness();
  candidate.fsm.handle({ type: 'ManualStart_with_PassiveTcpEstablishment', automaticRestart: false });
  candidate.fsm.handle({ type: 'TcpConnectionConfirmed' });
  candidate.fsm.adoptRestartPolicy(main.fsm.state);
  main.fsm.dispose();
  t.equal(candidate.fsm.state.automaticRestart, true);
  t.equal(candidate.fsm.state.passive, false);
  candidate.fsm.handle({ type: 'HoldTimer_Expires' });
  candidate.clock.advance(1000);
  t.equal(candidate.fsm.stateName, 'Connect', 'after a failure it connects out like the main FSM did');
  t.end();
});

t.test('a bad config is refused up front', (t) => {
  const bad: [string, Partial<FsmConfig>][] = [
    ['localAsn', { localAsn: 0 }],
    ['peerAsn', { peerAsn: 2 ** 32 }],
    ['routerId', { routerId: '0.0.0.0' }],
    ['routerId', { routerId: '1.2.3.256' }],
    ['holdTimeSeconds', { holdTimeSeconds: 2 }],
    ['keepaliveSeconds', { keepaliveSeconds: 0 }],
    ['families', { families: [] }],
    ['restartTimeSeconds', { gracefulRestart: { restartTimeSeconds: 4096 } }],
    ['connectRetrySeconds', { connectRetrySeconds: 0 }],
    ['idleHold.maxSeconds', { idleHold: { initialSeconds: 10, maxSeconds: 5 } }],
  ];
  for (const [key, override] of bad) {
    t.throws(() => new SessionFsm({ config: { ...config, ...override }, onAction: () => {} }), { name: 'RangeError', message: new RegExp(key.replace('.', '\\.')) }, key);
  }
  t.doesNotThrow(() => new SessionFsm({ config: { ...config, peerAsn: 'external', holdTimeSeconds: 0 }, onAction: () => {} }));
  t.end();
});

t.test('noteMessageReceivedWhileEstablished restarts the hold timer like an UpdateMsg, and only in Established', async (t) => {
  const clock = new ManualClock();
  const fsm = new SessionFsm({ config, clock, random: half, onAction: () => {} });
  t.equal(fsm.noteMessageReceivedWhileEstablished(), false, 'Idle: the caller must feed the event');
  fsm.handle({ type: 'ManualStart' });
  fsm.handle({ type: 'Tcp_CR_Acked' });
  fsm.handle({ type: 'BGPOpen', open: peerOpen() });
  fsm.handle({ type: 'KeepAliveMsg' });
  t.equal(fsm.stateName, 'Established');
  const holdMs = fsm.state.timers.HoldTimer;
  t.ok(holdMs !== undefined && holdMs > 0, 'a hold timer runs');
  clock.advance((holdMs ?? 0) - 1);
  t.equal(fsm.noteMessageReceivedWhileEstablished(), true);
  clock.advance((holdMs ?? 0) - 1);
  t.equal(fsm.stateName, 'Established', 'the hold timer was restarted, not left to expire');
  clock.advance(2);
  t.equal(fsm.stateName, 'Idle', 'and expires a hold time after the last message');
});

t.test('RFC 9687: a peer that takes nothing we send is dropped after SendHoldTime, even while it talks', (t) => {
  const cfg = { ...config, sendHoldTimeSeconds: 120 };
  // Progress: every KEEPALIVE we send is taken by the socket.
  const moving = harness({ cfg, random: () => 1, react: (action, fsm) => { if (action.type === 'send') fsm.noteTransmitted(); } });
  establish(moving);
  for (let i = 0; i < 10; i++) {
    moving.clock.advance(30_000);
    moving.fsm.handle({ type: 'KeepAliveMsg' });
  }
  t.equal(moving.fsm.stateName, 'Established', '300 s: what we send leaves, the session stays');

  // Stuck: the peer keeps sending KEEPALIVEs (no hold timer expiry) but never reads ours.
  const stuck = harness({ cfg, random: () => 1 });
  establish(stuck);
  stuck.log.length = 0;
  for (let i = 0; i < 3; i++) {
    stuck.clock.advance(30_000);
    stuck.fsm.handle({ type: 'KeepAliveMsg' });
  }
  t.equal(stuck.fsm.stateName, 'Established', '90 s: not yet');
  stuck.clock.advance(30_000);
  t.equal(stuck.fsm.stateName, 'Idle', '120 s without progress: dropped');
  t.ok(stuck.log.includes('notification 8/0@120000'), 'with NOTIFICATION Send Hold Timer Expired');
  t.ok(stuck.log.includes('drop-connection@120000'));
  t.end();
});

import t from 'tap';

import type { FsmAction } from './actions.js';
import type { FsmEvent, FsmEventType } from './events.js';
import { checkFsmConfig, sendHoldMs } from './config.js';
import { jitter, transition } from './fsm.js';
import { buildOpen } from './negotiate.js';
import { initialFsmState, SESSION_STATE_NAMES } from './states.js';
import type { FsmState, SessionStateName } from './states.js';
import {
  config,
  CONNECT_RETRY_MS,
  half,
  headerError,
  notificationMessage,
  openError,
  ownerActions,
  peerOpen,
  run,
  SAMPLE_EVENTS,
  sent,
  stateIn,
  updateError,
} from './test-helpers/fixtures.js';

function codes(actions: readonly FsmAction[]): [number, number][] {
  return sent(actions).flatMap((m) => {
    const message = m as { type: string; code?: number; subcode?: number };
    return message.type === 'notification' ? [[message.code ?? -1, message.subcode ?? -1] as [number, number]] : [];
  });
}

t.test('the usual way up: Idle -> Connect -> OpenSent -> OpenConfirm -> Established', (t) => {
  let step = transition(initialFsmState(config), { type: 'ManualStart' }, config, half);
  t.same(step.actions, [
    { type: 'start-timer', timer: 'ConnectRetryTimer', delayMs: CONNECT_RETRY_MS },
    { type: 'connect' },
    { type: 'state-changed', from: 'Idle', to: 'Connect', reason: 'manual-start' },
  ]);
  t.equal(step.state.name, 'Connect');
  t.equal(step.state.automaticRestart, true);

  step = transition(step.state, { type: 'Tcp_CR_Acked' }, config, half);
  t.same(step.actions, [
    { type: 'stop-timer', timer: 'ConnectRetryTimer' },
    { type: 'send', message: buildOpen(config) },
    { type: 'start-timer', timer: 'HoldTimer', delayMs: 240_000 },
    { type: 'state-changed', from: 'Connect', to: 'OpenSent', reason: 'tcp-connected' },
  ], 'sends our OPEN and waits up to 4 minutes for theirs (RFC 4271 8.2.2)');
  t.same(step.state.timers, { HoldTimer: 240_000 });

  step = transition(step.state, { type: 'BGPOpen', open: peerOpen({ holdTime: 30 }) }, config, half);
  t.same(step.actions, [
    { type: 'send', message: { type: 'keepalive' } },
    { type: 'start-timer', timer: 'HoldTimer', delayMs: 30_000 },
    // A third of the hold time, jittered (RFC 4271 section 10): 10 s x (0.75 + 0.25 x 0.5).
    { type: 'start-timer', timer: 'KeepaliveTimer', delayMs: 8_750 },
    { type: 'state-changed', from: 'OpenSent', to: 'OpenConfirm', reason: 'open-received' },
  ], 'answers with a KEEPALIVE; negotiated hold and keepalive timers');
  t.equal(step.state.negotiated?.holdTimeSeconds, 30);

  step = transition(step.state, { type: 'KeepAliveMsg' }, config, half);
  const negotiated = step.state.negotiated;
  t.ok(negotiated);
  t.same(step.actions, [
    { type: 'start-timer', timer: 'HoldTimer', delayMs: 30_000 },
    { type: 'start-timer', timer: 'IdleHoldResetTimer', delayMs: 60_000 },
    // RFC 9687: the greater of 8 minutes and twice the 30 s hold time.
    { type: 'start-timer', timer: 'SendHoldTimer', delayMs: 480_000 },
    { type: 'state-changed', from: 'OpenConfirm', to: 'Established', reason: 'keepalive-received' },
    { type: 'session-established', negotiated },
  ]);
  t.same(step.state.timers, { HoldTimer: 30_000, KeepaliveTimer: 8_750, IdleHoldResetTimer: 60_000, SendHoldTimer: 480_000 });
  t.end();
});

t.test('an incoming connection is accepted in Connect too', (t) => {
  const step = transition(stateIn('Connect'), { type: 'TcpConnectionConfirmed' }, config, half);
  t.equal(step.state.name, 'OpenSent');
  t.same(ownerActions(step.actions).at(-1), { type: 'state-changed', from: 'Connect', to: 'OpenSent', reason: 'tcp-accepted' });
  t.end();
});

t.test('passive: never connects, waits in Active, accepts the peer', (t) => {
  const active = transition(initialFsmState(config), { type: 'ManualStart_with_PassiveTcpEstablishment' }, config, half);
  t.same(active.actions, [{ type: 'state-changed', from: 'Idle', to: 'Active', reason: 'manual-start' }], 'no connect, no ConnectRetryTimer');
  t.equal(active.state.passive, true);
  const stray = transition(active.state, { type: 'ConnectRetryTimer_Expires' }, config, half);
  t.equal(stray.state.name, 'Active', 'a ConnectRetry expiry does not make a passive FSM connect');
  t.same(stray.actions, []);
  const accepted = transition(active.state, { type: 'TcpConnectionConfirmed' }, config, half);
  t.equal(accepted.state.name, 'OpenSent');
  t.same(sent(accepted.actions), [buildOpen(config)]);
  const lost = transition(accepted.state, { type: 'TcpConnectionFails' }, config, half);
  t.equal(lost.state.name, 'Active', 'back to waiting');
  t.same(lost.state.timers, {}, 'still no ConnectRetryTimer');
  t.end();
});

t.test('a failed connect waits in Active, and the ConnectRetryTimer reconnects', (t) => {
  const active = transition(stateIn('Connect'), { type: 'TcpConnectionFails' }, config, half);
  t.same(active.actions, [
    { type: 'start-timer', timer: 'ConnectRetryTimer', delayMs: CONNECT_RETRY_MS },
    { type: 'state-changed', from: 'Connect', to: 'Active', reason: 'tcp-failed' },
  ]);
  t.equal(active.state.connectRetryCounter, 0, 'a connect failure is not a session failure');
  const retry = transition(active.state, { type: 'ConnectRetryTimer_Expires' }, config, half);
  t.same(retry.actions, [
    { type: 'start-timer', timer: 'ConnectRetryTimer', delayMs: CONNECT_RETRY_MS },
    { type: 'connect' },
    { type: 'state-changed', from: 'Active', to: 'Connect', reason: 'connect-retry-expired' },
  ]);
  const again = transition(stateIn('Connect'), { type: 'ConnectRetryTimer_Expires' }, config, half);
  t.same(again.actions, [
    { type: 'drop-connection' },
    { type: 'start-timer', timer: 'ConnectRetryTimer', delayMs: CONNECT_RETRY_MS },
    { type: 'connect' },
  ], 'in Connect, an attempt that is still pending is abandoned and a new one started');
  t.equal(again.state.name, 'Connect');
  t.end();
});

t.test('ConnectRetry jitter stays within 0.75..1.0 of the configured time (RFC 4271 section 10)', (t) => {
  t.equal(jitter(120_000, () => 0), 90_000);
  t.equal(jitter(120_000, () => 0.5), 105_000);
  t.ok(jitter(120_000, () => 0.999999) <= 120_000);
  t.equal(jitter(120_000, () => 7), 120_000, 'a source out of range is clamped');
  t.equal(jitter(120_000, () => -1), 90_000);
  for (const r of [0, 0.1, 0.25, 0.33, 0.5, 0.9, 0.999]) {
    const delay = transition(initialFsmState(config), { type: 'ManualStart' }, config, () => r).state.timers.ConnectRetryTimer ?? -1;
    t.ok(delay >= 90_000 && delay <= 120_000, `random ${r} -> ${delay} ms`);
  }
  t.end();
});

t.test('hold timer expiry sends NOTIFICATION 4/0 and goes Idle', (t) => {
  for (const name of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const step = transition(stateIn(name), { type: 'HoldTimer_Expires' }, config, half);
    t.same(codes(step.actions), [[4, 0]], `${name}: Hold Timer Expired`);
    t.equal(step.state.name, 'Idle', `${name}: Idle`);
    const owner = ownerActions(step.actions).map((action) => action.type);
    const expected = name === 'Established'
      ? ['send', 'drop-connection', 'session-down', 'state-changed']
      : ['send', 'drop-connection', 'state-changed'];
    t.same(owner, expected, `${name}: send, then drop, then tell`);
    t.same(step.state.timers, { IdleHoldTimer: 1000 }, `${name}: only the idle hold timer runs`);
    t.equal(step.state.connectRetryCounter, 1, `${name}: counted`);
    t.equal(step.state.negotiated, undefined);
  }
  const down = transition(stateIn('Established'), { type: 'HoldTimer_Expires' }, config, half).actions.find((a) => a.type === 'session-down');
  t.same(down, { type: 'session-down', reason: 'hold-timer-expired', notificationSent: notificationMessage(4, 0) });
  t.end();
});

t.test('hold time 0 negotiated: no hold timer, no keepalive timer', (t) => {
  const confirm = run(stateIn('OpenSent'), [{ type: 'BGPOpen', open: peerOpen({ holdTime: 0 }) }]);
  t.equal(confirm.state.name, 'OpenConfirm');
  t.same(confirm.state.timers, {}, 'the 4-minute hold timer is stopped and nothing replaces it');
  t.same(confirm.actions.filter((a) => a.type === 'start-timer'), []);
  const established = transition(confirm.state, { type: 'KeepAliveMsg' }, config, half);
  t.same(established.state.timers, { IdleHoldResetTimer: 60_000 });
  const update = transition(established.state, { type: 'UpdateMsg' }, config, half);
  t.same(update.actions, [], 'an UPDATE restarts nothing');
  t.end();
});

t.test('Established: messages restart the hold timer, the keepalive timer sends KEEPALIVEs', (t) => {
  const established = stateIn('Established');
  for (const type of ['KeepAliveMsg', 'UpdateMsg', 'RouteRefreshMsg'] as const) {
    const step = transition(established, SAMPLE_EVENTS[type], config, half);
    t.same(step.actions, [{ type: 'start-timer', timer: 'HoldTimer', delayMs: 90_000 }], type);
    t.equal(step.state.name, 'Established');
  }
  const keepalive = transition(established, { type: 'KeepaliveTimer_Expires' }, config, half);
  t.same(keepalive.actions, [
    { type: 'send', message: { type: 'keepalive' } },
    { type: 'start-timer', timer: 'KeepaliveTimer', delayMs: 26_250 }, // 30 s jittered by 0.875
  ]);
  const confirm = transition(stateIn('OpenConfirm'), { type: 'KeepaliveTimer_Expires' }, config, half);
  t.same(sent(confirm.actions), [{ type: 'keepalive' }], 'OpenConfirm sends KEEPALIVEs too');
  t.end();
});

t.test('errors and unexpected messages get the right NOTIFICATION', (t) => {
  const cases: { state: SessionStateName; event: FsmEvent; notification: [number, number]; reason: string }[] = [
    { state: 'OpenSent', event: SAMPLE_EVENTS.KeepAliveMsg, notification: [5, 1], reason: 'unexpected-message' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.UpdateMsg, notification: [5, 1], reason: 'unexpected-message' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.UpdateMsgErr, notification: [5, 1], reason: 'unexpected-message' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.RouteRefreshMsg, notification: [5, 1], reason: 'unexpected-message' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.UpdateMsg, notification: [5, 2], reason: 'unexpected-message' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.UpdateMsgErr, notification: [5, 2], reason: 'unexpected-message' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.BGPOpen, notification: [5, 2], reason: 'unexpected-message' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.RouteRefreshMsg, notification: [5, 2], reason: 'unexpected-message' },
    { state: 'Established', event: SAMPLE_EVENTS.BGPOpen, notification: [5, 3], reason: 'unexpected-message' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.KeepaliveTimer_Expires, notification: [5, 0], reason: 'unexpected-event' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.ConnectRetryTimer_Expires, notification: [5, 0], reason: 'unexpected-event' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.IdleHoldTimer_Expires, notification: [5, 0], reason: 'unexpected-event' },
    { state: 'Established', event: SAMPLE_EVENTS.ConnectRetryTimer_Expires, notification: [5, 0], reason: 'unexpected-event' },
    { state: 'Established', event: SAMPLE_EVENTS.UpdateMsgErr, notification: [3, 1], reason: 'update-message-error' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.BGPHeaderErr, notification: [1, 2], reason: 'header-error' },
    { state: 'Established', event: SAMPLE_EVENTS.BGPHeaderErr, notification: [1, 2], reason: 'header-error' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.BGPOpenMsgErr, notification: [2, 0], reason: 'open-message-error' },
    { state: 'OpenSent', event: { type: 'BGPOpen', open: peerOpen({ myAsn: 1, capabilities: [] }) }, notification: [2, 2], reason: 'open-rejected' },
    { state: 'OpenSent', event: { type: 'BGPOpen', open: peerOpen({ holdTime: 2 }) }, notification: [2, 6], reason: 'open-rejected' },
    { state: 'OpenSent', event: SAMPLE_EVENTS.OpenCollisionDump, notification: [6, 7], reason: 'collision-dump' },
    { state: 'OpenConfirm', event: SAMPLE_EVENTS.OpenCollisionDump, notification: [6, 7], reason: 'collision-dump' },
    { state: 'Established', event: SAMPLE_EVENTS.OpenCollisionDump, notification: [6, 7], reason: 'collision-dump' },
    { state: 'Established', event: { type: 'AutomaticStop', subcode: 1 }, notification: [6, 1], reason: 'automatic-stop' },
  ];
  for (const c of cases) {
    const step = transition(stateIn(c.state), c.event, config, half);
    const label = `${c.state} + ${c.event.type}`;
    t.same(codes(step.actions), [c.notification], `${label}: NOTIFICATION ${c.notification.join('/')}`);
    t.equal(step.state.name, 'Idle', `${label}: Idle`);
    t.same(ownerActions(step.actions).filter((a) => a.type === 'state-changed'), [{ type: 'state-changed', from: c.state, to: 'Idle', reason: c.reason }]);
    t.ok(step.actions.findIndex((a) => a.type === 'send') < step.actions.findIndex((a) => a.type === 'drop-connection'), `${label}: sent before dropped`);
  }
  const headerNotification = sent(transition(stateIn('OpenSent'), SAMPLE_EVENTS.BGPHeaderErr, config, half).actions)[0] as { data: Uint8Array };
  t.same([...headerNotification.data], [0, 18], "the error's data goes out as it is");
  t.end();
});

t.test('AutomaticStop carries its data and restarts later', (t) => {
  const step = transition(stateIn('Established'), { type: 'AutomaticStop', subcode: 1, data: Uint8Array.of(1, 1, 0, 0, 0, 100) }, config, half);
  const notification = sent(step.actions)[0] as { code: number; subcode: number; data: Uint8Array };
  t.same([notification.code, notification.subcode, [...notification.data]], [6, 1, [1, 1, 0, 0, 0, 100]]);
  t.same(step.state.timers, { IdleHoldTimer: 1000 });
  t.same(transition(stateIn('Connect'), { type: 'AutomaticStop', subcode: 6 }, config, half).actions.filter((a) => a.type === 'send'), [], 'no BGP connection, nothing to send');
  t.end();
});

t.test('a NOTIFICATION received goes Idle without answering', (t) => {
  for (const name of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const notification = notificationMessage(6, 2);
    const step = transition(stateIn(name), { type: 'NotifMsg', notification }, config, half);
    t.equal(step.state.name, 'Idle', name);
    t.same(sent(step.actions), [], `${name}: nothing sent`);
    t.equal(step.state.connectRetryCounter, 1, `${name}: counted`);
    t.ok(step.actions.some((a) => a.type === 'drop-connection'), `${name}: dropped`);
    if (name === 'Established') {
      t.same(step.actions.find((a) => a.type === 'session-down'), { type: 'session-down', reason: 'notification-received', notificationReceived: notification });
    }
    const version = transition(stateIn(name), SAMPLE_EVENTS.NotifMsgVerErr, config, half);
    t.equal(version.state.name, 'Idle');
    t.equal(version.state.connectRetryCounter, 0, `${name}: a version error is not counted (RFC 4271 8.2.2)`);
  }
  t.end();
});

t.test('the connection fails', (t) => {
  const sentState = transition(stateIn('OpenSent'), { type: 'TcpConnectionFails' }, config, half);
  t.equal(sentState.state.name, 'Active', 'OpenSent goes back to Active');
  t.same(sentState.state.timers, { ConnectRetryTimer: CONNECT_RETRY_MS });
  t.equal(sentState.state.connectRetryCounter, 0);
  for (const name of ['OpenConfirm', 'Established'] as const) {
    const step = transition(stateIn(name), { type: 'TcpConnectionFails' }, config, half);
    t.equal(step.state.name, 'Idle', `${name} goes Idle`);
    t.same(step.state.timers, { IdleHoldTimer: 1000 });
    t.same(sent(step.actions), []);
  }
  t.equal(transition(stateIn('Active'), { type: 'TcpConnectionFails' }, config, half).state.name, 'Idle', 'Active goes Idle (RFC 4271)');
  t.end();
});

t.test('second connections are not the FSM\'s business once it has one', (t) => {
  for (const name of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    for (const type of ['Tcp_CR_Acked', 'TcpConnectionConfirmed', 'ManualStart', 'AutomaticStart'] as const) {
      const step = transition(stateIn(name), SAMPLE_EVENTS[type], config, half);
      t.same(step.actions, [], `${name} ignores ${type}`);
      t.equal(step.state.name, name);
    }
  }
  t.end();
});

t.test('ManualStop in every state', (t) => {
  for (const name of SESSION_STATE_NAMES) {
    const before = stateIn(name);
    const step = transition(before, { type: 'ManualStop' }, config, half);
    t.equal(step.state.name, 'Idle', `${name}: Idle`);
    t.same(step.state.timers, {}, `${name}: no timer left, no automatic restart`);
    t.equal(step.state.automaticRestart, false, `${name}: automatic restart off`);
    t.equal(step.state.connectRetryCounter, 0);
    const hasConnection = name === 'OpenSent' || name === 'OpenConfirm' || name === 'Established';
    t.same(codes(step.actions), hasConnection ? [[6, 2]] : [], `${name}: Cease/Administrative Shutdown only over a BGP connection`);
    t.equal(step.actions.some((a) => a.type === 'drop-connection'), name !== 'Idle', `${name}: drop unless Idle`);
    t.equal(step.actions.some((a) => a.type === 'session-down'), name === 'Established', `${name}: session-down only from Established`);
  }
  t.end();
});

t.test('ManualStop: subcode, RFC 9003 message, or a prepared NOTIFICATION', (t) => {
  const established = stateIn('Established');
  const withMessage = sent(transition(established, { type: 'ManualStop', subcode: 4, message: 'maintenance' }, config, half).actions)[0] as {
    code: number;
    subcode: number;
    data: Uint8Array;
  };
  t.same([withMessage.code, withMessage.subcode], [6, 4]);
  t.same([...withMessage.data], [11, ...new TextEncoder().encode('maintenance')]);
  const deconfigured = sent(transition(established, { type: 'ManualStop', subcode: 3, message: 'ignored' }, config, half).actions)[0] as { data: Uint8Array };
  t.equal(deconfigured.data.length, 0, 'only shutdown and reset carry a communication');
  const prepared = notificationMessage(6, 9);
  t.same(sent(transition(established, { type: 'ManualStop', notification: prepared }, config, half).actions), [prepared]);
  t.end();
});

t.test('ManualStop in Idle cancels a pending automatic restart', (t) => {
  const failed = transition(stateIn('Established'), { type: 'HoldTimer_Expires' }, config, half).state;
  t.same(failed.timers, { IdleHoldTimer: 1000 });
  const stopped = transition(failed, { type: 'ManualStop' }, config, half);
  t.same(stopped.actions, [{ type: 'stop-timer', timer: 'IdleHoldTimer' }]);
  t.equal(stopped.state.automaticRestart, false);
  t.same(transition(stopped.state, { type: 'AutomaticStart' }, config, half).actions, [], 'automation cannot undo a ManualStop');
  t.equal(transition(stopped.state, { type: 'ManualStart' }, config, half).state.name, 'Connect', 'an operator can');
  t.end();
});

t.test('idle hold time doubles after each failure up to its maximum, and restarts the session', (t) => {
  let state: FsmState = stateIn('Connect');
  const waits: number[] = [];
  for (let i = 0; i < 10; i++) {
    state = run(state, [{ type: 'Tcp_CR_Acked' }, { type: 'HoldTimer_Expires' }]).state;
    t.equal(state.name, 'Idle');
    waits.push(state.timers.IdleHoldTimer ?? -1);
    const restarted = transition(state, { type: 'IdleHoldTimer_Expires' }, config, half);
    t.equal(restarted.state.name, 'Connect', 'the idle hold expiry restarts the session');
    t.ok(restarted.actions.some((a) => a.type === 'connect'));
    state = restarted.state;
  }
  t.same(waits, [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000]);
  t.end();
});

t.test('the idle hold time goes back to its start after a stable session', (t) => {
  let state = run(stateIn('Connect'), [{ type: 'Tcp_CR_Acked' }, { type: 'HoldTimer_Expires' }, { type: 'IdleHoldTimer_Expires' }]).state;
  state = run(state, [{ type: 'Tcp_CR_Acked' }, { type: 'HoldTimer_Expires' }, { type: 'IdleHoldTimer_Expires' }]).state;
  t.equal(state.idleHoldTimeMs, 4000, 'two failures so far');
  state = run(state, [{ type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', open: peerOpen() }, { type: 'KeepAliveMsg' }]).state;
  t.equal(state.timers.IdleHoldResetTimer, 60_000, 'armed on entering Established');
  const shortLived = run(state, [{ type: 'HoldTimer_Expires' }]).state;
  t.equal(shortLived.timers.IdleHoldTimer, 4000, 'a short Established does not reset it');
  state = run(state, [{ type: 'IdleHoldResetTimer_Expires' }]).state;
  t.equal(state.idleHoldTimeMs, 1000);
  t.equal(run(state, [{ type: 'HoldTimer_Expires' }]).state.timers.IdleHoldTimer, 1000, 'back to 1 s after a stable session');
  t.end();
});

t.test('AutomaticStart waits for the idle hold timer; passive restarts stay passive', (t) => {
  const failed = run(initialFsmState(config), [{ type: 'ManualStart_with_PassiveTcpEstablishment' }, { type: 'TcpConnectionConfirmed' }, { type: 'HoldTimer_Expires' }]).state;
  t.equal(failed.name, 'Idle');
  t.same(transition(failed, { type: 'AutomaticStart_with_PassiveTcpEstablishment' }, config, half).actions, [], 'ignored while the IdleHoldTimer runs');
  const restarted = transition(failed, { type: 'IdleHoldTimer_Expires' }, config, half);
  t.equal(restarted.state.name, 'Active');
  t.notOk(restarted.actions.some((a) => a.type === 'connect'));
  const manual = transition(failed, { type: 'ManualStart' }, config, half);
  t.equal(manual.state.name, 'Connect', 'ManualStart overrides the wait');
  t.same(manual.actions[0], { type: 'stop-timer', timer: 'IdleHoldTimer' });
  const idleNoTimer = { ...failed, timers: {} };
  t.equal(transition(idleNoTimer, { type: 'AutomaticStart' }, config, half).state.name, 'Connect', 'AutomaticStart without a pending wait starts');
  t.end();
});

t.test('a one-shot FSM (automaticRestart: false) stays Idle after a failure', (t) => {
  const state = run(initialFsmState(config), [
    { type: 'ManualStart_with_PassiveTcpEstablishment', automaticRestart: false },
    { type: 'TcpConnectionConfirmed' },
    SAMPLE_EVENTS.OpenCollisionDump,
  ]).state;
  t.equal(state.name, 'Idle');
  t.same(state.timers, {});
  t.same(transition(state, { type: 'IdleHoldTimer_Expires' }, config, half).actions, []);
  t.end();
});

t.test('Idle ignores everything but starts', (t) => {
  const idle = initialFsmState(config);
  const starts: FsmEventType[] = ['ManualStart', 'ManualStart_with_PassiveTcpEstablishment'];
  for (const [type, event] of Object.entries(SAMPLE_EVENTS) as [FsmEventType, FsmEvent][]) {
    if (starts.includes(type)) continue;
    const step = transition(idle, event, config, half);
    t.same(step.actions, [], `${type} does nothing`);
    t.same(step.state, idle);
  }
  t.end();
});

t.test('Connect and Active: BGP-level events are errors that send nothing', (t) => {
  for (const name of ['Connect', 'Active'] as const) {
    for (const type of ['BGPOpen', 'KeepAliveMsg', 'UpdateMsg', 'HoldTimer_Expires', 'BGPHeaderErr', 'NotifMsg'] as const) {
      const step = transition(stateIn(name), SAMPLE_EVENTS[type], config, half);
      t.equal(step.state.name, 'Idle', `${name} + ${type}: Idle`);
      t.same(sent(step.actions), [], `${name} + ${type}: nothing sent`);
      t.ok(step.actions.some((a) => a.type === 'drop-connection'));
    }
  }
  t.end();
});

t.test('every state takes every event and keeps its timers consistent', (t) => {
  for (const name of SESSION_STATE_NAMES) {
    for (const event of Object.values(SAMPLE_EVENTS)) {
      const before = stateIn(name);
      const step = transition(before, event, config, half);
      t.ok(SESSION_STATE_NAMES.includes(step.state.name), `${name} + ${event.type}`);
      // Replaying the timer actions over the old timer set must give the new one.
      const timers: Record<string, number> = { ...before.timers };
      const expired = event.type.endsWith('_Expires') ? event.type.replace('_Expires', '') : undefined;
      if (expired !== undefined) delete timers[expired];
      for (const action of step.actions) {
        if (action.type === 'start-timer') timers[action.timer] = action.delayMs;
        if (action.type === 'stop-timer') delete timers[action.timer];
      }
      t.same(timers, step.state.timers, `${name} + ${event.type}: timer actions match the state`);
      t.equal(step.state.negotiated !== undefined, step.state.name === 'OpenConfirm' || step.state.name === 'Established', `${name} + ${event.type}: negotiated only when OPENs were exchanged`);
    }
  }
  t.end();
});

t.test('transition is pure: the input state is not touched', (t) => {
  const before = stateIn('Established');
  const copy = structuredClone(before);
  transition(before, { type: 'HoldTimer_Expires' }, config, half);
  t.same(before, copy);
  t.end();
});

t.test('the OPEN error path reports the error data', (t) => {
  const step = transition(stateIn('OpenSent'), { type: 'BGPOpenMsgErr', error: openError }, config, half);
  t.same(codes(step.actions), [[2, 0]]);
  t.same(codes(transition(stateIn('Established'), { type: 'UpdateMsgErr', error: updateError }, config, half).actions), [[3, 1]]);
  t.same(codes(transition(stateIn('OpenConfirm'), { type: 'BGPHeaderErr', error: headerError }, config, half).actions), [[1, 2]]);
  t.end();
});

t.test('RFC 9687 SendHoldTimer: its value, and its expiry in Established', (t) => {
  const established = stateIn('Established');
  const step = transition(established, { type: 'SendHoldTimer_Expires' }, config, half);
  t.same(codes(step.actions), [[8, 0]], 'NOTIFICATION Send Hold Timer Expired, subcode 0');
  t.ok(step.actions.some((a) => a.type === 'drop-connection'), 'the connection is dropped');
  t.equal(step.state.name, 'Idle');
  t.equal(step.state.timers.SendHoldTimer, undefined, 'and the timer is gone');
  for (const name of ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm'] as const) {
    const stale = transition(stateIn(name), { type: 'SendHoldTimer_Expires' }, config, half);
    t.same(stale.actions, [], `${name}: a stale expiry does nothing (the timer only runs in Established)`);
  }
  t.equal(sendHoldMs(config, 30), 480_000, '30 s hold: 8 minutes');
  t.equal(sendHoldMs(config, 300), 600_000, '300 s hold: twice the hold time');
  t.equal(sendHoldMs(config, 0), undefined, 'no hold time: no SendHoldTimer');
  t.equal(sendHoldMs({ ...config, sendHoldTimeSeconds: 0 }, 30), undefined, 'SendHoldTime 0: disabled');
  t.equal(sendHoldMs({ ...config, sendHoldTimeSeconds: 45 }, 30), 45_000, 'configured');
  t.throws(() => checkFsmConfig({ ...config, holdTimeSeconds: 90, sendHoldTimeSeconds: 90 }), /sendHoldTimeSeconds must be 0 or a whole number of seconds above the hold time/);
  t.end();
});

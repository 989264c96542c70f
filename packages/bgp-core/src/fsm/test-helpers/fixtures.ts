/**
 * Shared fixtures for the FSM tests: a config, the peer's OPEN, one sample of every event, and a
 * way to drive the pure transition function to a given state.
 */
import { BgpWireError } from '../../wire/errors.js';
import type { NotificationMessage, OpenMessage } from '../../wire/types.js';
import type { FsmAction } from '../actions.js';
import type { FsmConfig } from '../config.js';
import type { FsmEvent, FsmEventType } from '../events.js';
import { transition } from '../fsm.js';
import { initialFsmState } from '../states.js';
import type { FsmState, SessionStateName } from '../states.js';

export const config: FsmConfig = {
  localAsn: 64512,
  peerAsn: 64513,
  routerId: '10.0.0.1',
  holdTimeSeconds: 90,
  families: ['ipv4'],
  connectRetrySeconds: 120,
};

/** Jitter factor 0.75 + 0.25 * 0.5 = 0.875: ConnectRetry becomes 105 s. */
export const half = (): number => 0.5;
export const CONNECT_RETRY_MS = 105_000;

export function peerOpen(overrides: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAsn: 64513,
    holdTime: 90,
    routerId: '10.0.0.2',
    capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'four-octet-as', asn: 64513 }],
    unknownParameters: [],
    ...overrides,
  };
}

export function notificationMessage(code: number, subcode: number): NotificationMessage {
  return { type: 'notification', code, subcode, data: new Uint8Array(0) };
}

export const headerError = new BgpWireError('ERR_BGP_BAD_MESSAGE_LENGTH', 'bad length', { code: 1, subcode: 2, data: Uint8Array.of(0, 18) });
export const openError = new BgpWireError('ERR_BGP_MALFORMED_OPEN', 'malformed', { code: 2, subcode: 0 });
export const updateError = new BgpWireError('ERR_BGP_MALFORMED_ATTRIBUTE_LIST', 'bad attributes', { code: 3, subcode: 1 });

/** One event of every type. */
export const SAMPLE_EVENTS: Readonly<Record<FsmEventType, FsmEvent>> = {
  ManualStart: { type: 'ManualStart' },
  ManualStart_with_PassiveTcpEstablishment: { type: 'ManualStart_with_PassiveTcpEstablishment' },
  ManualStop: { type: 'ManualStop' },
  AutomaticStart: { type: 'AutomaticStart' },
  AutomaticStart_with_PassiveTcpEstablishment: { type: 'AutomaticStart_with_PassiveTcpEstablishment' },
  AutomaticStop: { type: 'AutomaticStop', subcode: 1 },
  ConnectRetryTimer_Expires: { type: 'ConnectRetryTimer_Expires' },
  HoldTimer_Expires: { type: 'HoldTimer_Expires' },
  KeepaliveTimer_Expires: { type: 'KeepaliveTimer_Expires' },
  IdleHoldTimer_Expires: { type: 'IdleHoldTimer_Expires' },
  IdleHoldResetTimer_Expires: { type: 'IdleHoldResetTimer_Expires' },
  SendHoldTimer_Expires: { type: 'SendHoldTimer_Expires' },
  Tcp_CR_Acked: { type: 'Tcp_CR_Acked' },
  TcpConnectionConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpConnectionFails: { type: 'TcpConnectionFails' },
  BGPOpen: { type: 'BGPOpen', open: peerOpen() },
  BGPHeaderErr: { type: 'BGPHeaderErr', error: headerError },
  BGPOpenMsgErr: { type: 'BGPOpenMsgErr', error: openError },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsgVerErr: { type: 'NotifMsgVerErr', notification: notificationMessage(2, 1) },
  NotifMsg: { type: 'NotifMsg', notification: notificationMessage(6, 4) },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg' },
  UpdateMsgErr: { type: 'UpdateMsgErr', error: updateError },
  RouteRefreshMsg: { type: 'RouteRefreshMsg' },
};

export interface Run {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** Feeds events one after the other; returns the final state and the last event's actions. */
export function run(state: FsmState, events: readonly FsmEvent[], cfg: FsmConfig = config): Run {
  let current: Run = { state, actions: [] };
  for (const event of events) current = transition(current.state, event, cfg, half);
  return current;
}

const PATH: Readonly<Record<SessionStateName, readonly FsmEvent[]>> = {
  Idle: [],
  Connect: [{ type: 'ManualStart' }],
  Active: [{ type: 'ManualStart' }, { type: 'TcpConnectionFails' }],
  OpenSent: [{ type: 'ManualStart' }, { type: 'Tcp_CR_Acked' }],
  OpenConfirm: [{ type: 'ManualStart' }, { type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', open: peerOpen() }],
  Established: [{ type: 'ManualStart' }, { type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', open: peerOpen() }, { type: 'KeepAliveMsg' }],
};

/** A started session driven to `name` the usual way (Idle is a never-started one). */
export function stateIn(name: SessionStateName, cfg: FsmConfig = config): FsmState {
  const state = run(initialFsmState(cfg), PATH[name], cfg).state;
  if (state.name !== name) throw new Error(`could not reach ${name}`);
  return state;
}

export function ownerActions(actions: readonly FsmAction[]): FsmAction[] {
  return actions.filter((action) => action.type !== 'start-timer' && action.type !== 'stop-timer');
}

export function sent(actions: readonly FsmAction[]): unknown[] {
  return actions.flatMap((action) => (action.type === 'send' ? [action.message] : []));
}

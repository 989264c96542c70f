/**
 * One peer's BGP session: the place where sockets, framing, the codec and the RFC 4271 FSM meet.
 *
 * A session has a main connection (driven by the main SessionFsm, which also dials out and
 * restarts after failures) and at most one collision candidate: an incoming connection accepted
 * while the main one is already exchanging OPENs. The two are kept apart until RFC 4271 section
 * 6.8 picks one (fsm/collision.ts explains the protocol followed here).
 */
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { SessionFsm } from '../fsm/session-fsm.js';
import { decideCollision, hasGracefulRestart } from '../fsm/collision.js';
import { notificationEvent } from '../fsm/events.js';
import type { FsmEvent } from '../fsm/events.js';
import type { OwnerAction, FsmReason } from '../fsm/actions.js';
import type { Clock } from '@metallb-ts/clock';
import type { FsmConfig } from '../fsm/config.js';
import type { Negotiated } from '../fsm/negotiate.js';
import type { SessionStateName } from '../fsm/states.js';
import { connectWithMd5 } from '../md5/index.js';
import { ErrorCode } from '../wire/constants.js';
import type { BgpWireError } from '../wire/errors.js';
import { describeNotification } from '../wire/notification.js';
import type { AddressFamily, BgpMessage, NotificationMessage, OpenMessage, RouteRefreshMessage, UpdateMessage } from '../wire/types.js';
import { BgpConnection } from './connection.js';
import type { ConnectionHandlers } from './connection.js';
import type { AcceptTarget, BgpListener } from './listener.js';
import { md5FailureCounters } from './md5-diagnostics.js';
import { addMessageCounts, emptyMessageCounts } from './message-counts.js';
import type { MessageCounts } from './message-counts.js';

export interface SessionConfig {
  readonly localAsn: number;
  readonly localRouterId: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly peerAsn: number;
  /** TCP-MD5 key (RFC 2385); never logged or put in an error. */
  readonly password?: string;
  readonly sourceAddress?: string;
  readonly holdTime: number;
  /** Seconds; omitted: a third of the negotiated hold time. */
  readonly keepaliveTime?: number;
  /** RFC 9687 SendHoldTime, seconds: 0 disables it; omitted: max(8 minutes, 2 x hold time). */
  readonly sendHoldTime?: number;
  readonly connectRetryTime: number;
  readonly passive: boolean;
  readonly families: readonly AddressFamily[];
  /** Send the 4-octet AS capability (default true); see OpenConfig.advertiseFourOctetAs. */
  readonly fourOctetAs?: boolean;
  /** RFC 4724: advertise graceful restart with this Restart Time (seconds). */
  readonly gracefulRestart?: { readonly restartTime: number };
}

export interface SessionDependencies {
  /** Where incoming connections come from; without one the session only dials out. */
  readonly listener?: BgpListener;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface StateChange {
  readonly from: SessionStateName;
  readonly to: SessionStateName;
  readonly reason: FsmReason;
}

export interface SessionEvents {
  stateChange: (change: StateChange) => void;
  established: (negotiated: Negotiated) => void;
  /**
   * The Established session ended; `reason` is readable and names any NOTIFICATION. `notified`
   * says whether a NOTIFICATION was sent or received: without one the TCP connection was simply
   * lost, which is when a graceful restart helper keeps the peer's routes (RFC 4724 section 4.2).
   */
  down: (reason: string, notified: boolean) => void;
  update: (update: UpdateMessage) => void;
  routeRefresh: (message: RouteRefreshMessage) => void;
  /** Something an operator should see: a failed connect, a NOTIFICATION, a malformed message. */
  problem: (message: string) => void;
  /** The socket took everything after `send` returned false. */
  drain: () => void;
}

/** One connection and the FSM that drives it. */
interface Link {
  readonly fsm: SessionFsm;
  /** Who opened the TCP connection this link carries now (RFC 4271 section 6.8 needs it). */
  initiatedBy: 'local' | 'remote';
  connection: BgpConnection | undefined;
  /** An outgoing connection attempt not yet answered. */
  pending: Socket | undefined;
}

export class BgpSession extends EventEmitter<SessionEvents> implements AcceptTarget {
  readonly config: SessionConfig;
  private readonly deps: SessionDependencies;
  private fsmConfig: FsmConfig;
  private main: Link;
  private candidate: Link | undefined;
  private negotiatedValue: Negotiated | undefined;
  /** Set while batch() runs: its writes restart the write timers once, at the end. */
  private batchWrites: { sent: boolean; taken: boolean } | undefined;
  private md5CountersAtConnect: number | undefined;
  private readonly handlers: ConnectionHandlers;
  /** Connections whose socket has not closed yet (main, candidate, or one closing); their counts still move. */
  private readonly openConnections = new Set<BgpConnection>();
  /** Counts of every connection of this session whose socket has closed. */
  private readonly closedCounts = { sent: emptyMessageCounts(), received: emptyMessageCounts() };

  constructor(config: SessionConfig, deps: SessionDependencies = {}) {
    super();
    this.config = config;
    this.deps = deps;
    this.fsmConfig = {
      localAsn: config.localAsn,
      peerAsn: config.peerAsn,
      routerId: config.localRouterId,
      holdTimeSeconds: config.holdTime,
      ...(config.keepaliveTime === undefined || config.keepaliveTime === 0 ? {} : { keepaliveSeconds: config.keepaliveTime }),
      ...(config.sendHoldTime === undefined ? {} : { sendHoldTimeSeconds: config.sendHoldTime }),
      families: config.families,
      extendedMessage: true,
      connectRetrySeconds: config.connectRetryTime,
      advertiseFourOctetAs: config.fourOctetAs ?? true,
      ...(config.gracefulRestart === undefined
        ? {}
        : {
            gracefulRestart: {
              restartTimeSeconds: config.gracefulRestart.restartTime,
              // The first session after this process started follows a restart (the R bit, RFC
              // 4724 section 4.1): the peer must not wait for our End-of-RIB before sending its
              // own. Cleared once that session is up (see 'session-established').
              restarting: true,
              // Forwarding is the node's kernel, which a speaker restart leaves alone (the F bit).
              forwardingPreserved: true,
            },
          }),
    };
    this.main = this.newLink('local');
    this.handlers = {
      message: (connection, message) => this.onMessage(connection, message),
      wireError: (connection, error) => this.onWireError(connection, error),
      closed: (connection, reason) => this.onClosed(connection, reason),
      drained: (connection) => {
        if (connection !== this.main.connection) return;
        this.main.fsm.noteTransmitted();
        this.emit('drain');
      },
    };
  }

  get state(): SessionStateName {
    return this.main.fsm.stateName;
  }

  get negotiated(): Negotiated | undefined {
    return this.negotiatedValue;
  }

  get localAddress(): string | undefined {
    return this.main.connection?.localAddress;
  }

  /**
   * Messages sent and received over this session's whole life, by type: every connection it
   * ever carried, collision losers included (their OPENs and NOTIFICATIONs went over the wire too).
   * A fresh snapshot on each read.
   */
  get counters(): { readonly sent: MessageCounts; readonly received: MessageCounts } {
    const sent = { ...this.closedCounts.sent };
    const received = { ...this.closedCounts.received };
    for (const connection of this.openConnections) {
      addMessageCounts(sent, connection.sent);
      addMessageCounts(received, connection.received);
    }
    return { sent, received };
  }

  /** ManualStart (RFC 4271 8.1.2): dial out (or wait, when passive) and restart after failures. */
  start(): void {
    this.deps.listener?.register(this.config.peerAddress, this, this.config.password);
    this.main.fsm.handle({ type: this.config.passive ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart' });
  }

  /**
   * ManualStop: Cease/Administrative Shutdown with an RFC 9003 message (a string), or a prepared
   * Cease NOTIFICATION (Peer De-configured, Administrative Reset, Maximum Number of Prefixes
   * Reached with its RFC 4486 data); then Idle until start() again. Resolves when the socket has
   * closed (the NOTIFICATION flushed), or after 1.5 s at most.
   */
  async stop(reason: string | NotificationMessage): Promise<void> {
    const connection = this.main.connection;
    const closed = connection === undefined ? Promise.resolve() : waitForClose(connection.socket, 1500);
    this.dropCandidate();
    this.main.fsm.handle(typeof reason === 'string' ? { type: 'ManualStop', message: reason } : { type: 'ManualStop', notification: reason });
    await closed;
  }

  /**
   * Ends the session without a NOTIFICATION: the TCP connection is closed, so a peer that
   * negotiated graceful restart (RFC 4724 section 4.2) keeps our routes while we restart.
   * The session cannot be started again.
   */
  async abort(): Promise<void> {
    const connection = this.main.connection;
    this.dropCandidate();
    this.main.fsm.dispose();
    if (connection === undefined) return;
    const closed = waitForClose(connection.socket, 1500);
    connection.close('closed without NOTIFICATION for graceful restart');
    await closed;
  }

  /** Forgets the peer for good: no more incoming connections, no timers. Call after stop() or abort(). */
  close(): void {
    this.dropCandidate();
    this.deps.listener?.unregister(this.config.peerAddress);
    this.main.fsm.dispose();
  }

  /** Writes a message on the Established session; false means wait for 'drain'. */
  send(message: BgpMessage): boolean {
    const connection = this.establishedConnection();
    if (connection === undefined) return false;
    return this.noteWrite(connection.send(message));
  }

  /** Writes pre-encoded messages (from the UPDATE packer); false means wait for 'drain'. */
  sendBytes(bytes: Uint8Array): boolean {
    const connection = this.establishedConnection();
    if (connection === undefined) return false;
    return this.noteWrite(connection.sendBytes(bytes));
  }

  /**
   * Runs `write` (calls of sendBytes) as one batch on the socket (see BgpConnection.batch); the
   * timers its writes restart are restarted once, at the end, not once per UPDATE.
   */
  batch<T>(write: () => T): T {
    const connection = this.establishedConnection();
    if (connection === undefined) return write();
    const writes = { sent: false, taken: false };
    this.batchWrites = writes;
    try {
      return connection.batch(write);
    } finally {
      this.batchWrites = undefined;
      if (writes.sent) this.restartWriteTimers(writes.taken);
    }
  }

  /** A message was written: restart the timers that wait for that (deferred to the end of a batch). */
  private noteWrite(taken: boolean): boolean {
    const writes = this.batchWrites;
    if (writes === undefined) {
      this.restartWriteTimers(taken);
    } else {
      writes.sent = true;
      writes.taken ||= taken;
    }
    return taken;
  }

  /** KeepaliveTimer: a message went out (RFC 4271 8.2.2); SendHoldTimer: the socket took it (RFC 9687). */
  private restartWriteTimers(taken: boolean): void {
    this.main.fsm.noteMessageSent();
    if (taken) this.main.fsm.noteTransmitted();
  }

  /** From the listener: an incoming connection from this peer's address. */
  acceptIncoming(socket: Socket): void {
    const main = this.main;
    const state = main.fsm.stateName;
    if (state === 'Connect' || state === 'Active') {
      // RFC 4271 section 8.2.2, event 17: take the peer's connection and abandon our own attempt.
      this.abandonPending(main);
      main.initiatedBy = 'remote';
      this.attach(main, socket, 'incoming');
      main.fsm.handle({ type: 'TcpConnectionConfirmed' });
      return;
    }
    if ((state === 'OpenSent' || state === 'OpenConfirm' || state === 'Established') && this.candidate === undefined) {
      // Kept apart until an OPEN arrives and section 6.8 decides (fsm/collision.ts).
      const candidate = this.newLink('remote');
      this.candidate = candidate;
      candidate.fsm.handle({ type: 'ManualStart_with_PassiveTcpEstablishment', automaticRestart: false });
      this.attach(candidate, socket, 'incoming');
      candidate.fsm.handle({ type: 'TcpConnectionConfirmed' });
      return;
    }
    // Idle refuses connections (RFC 4271 section 8.2.2), and one candidate at a time is enough.
    socket.destroy();
  }

  private newLink(initiatedBy: 'local' | 'remote'): Link {
    const link: Link = {
      initiatedBy,
      connection: undefined,
      pending: undefined,
      fsm: new SessionFsm({
        config: this.fsmConfig,
        onAction: (action) => this.onAction(link, action),
        ...(this.deps.clock === undefined ? {} : { clock: this.deps.clock }),
        ...(this.deps.random === undefined ? {} : { random: this.deps.random }),
      }),
    };
    return link;
  }

  private establishedConnection(): BgpConnection | undefined {
    return this.main.fsm.stateName === 'Established' ? this.main.connection : undefined;
  }

  private attach(link: Link, socket: Socket, direction: 'outgoing' | 'incoming'): void {
    link.connection = new BgpConnection(socket, direction, this.handlers);
    this.openConnections.add(link.connection);
  }

  private linkOf(connection: BgpConnection): Link | undefined {
    if (this.main.connection === connection) return this.main;
    if (this.candidate?.connection === connection) return this.candidate;
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // FSM actions

  private onAction(link: Link, action: OwnerAction): void {
    switch (action.type) {
      case 'connect':
        this.connectOut(link);
        return;
      case 'drop-connection':
        this.dropConnection(link);
        return;
      case 'send':
        if (action.message.type === 'notification') this.emit('problem', `sent NOTIFICATION ${formatNotification(action.message)}`);
        // A KEEPALIVE the socket takes is progress too (RFC 9687): restart the SendHoldTimer.
        if (link.connection?.send(action.message) === true) link.fsm.noteTransmitted();
        return;
      case 'session-established':
        link.connection?.setCodecOptions(action.negotiated.codecOptions);
        this.clearRestartState(link);
        if (link === this.candidate) this.promoteCandidate('the peer established the connection it initiated');
        this.negotiatedValue = action.negotiated;
        this.emit('established', action.negotiated);
        return;
      case 'session-down': {
        this.negotiatedValue = undefined;
        if (link !== this.main) return;
        const parts: string[] = [action.reason];
        if (action.notificationSent !== undefined) parts.push(`sent ${formatNotification(action.notificationSent)}`);
        if (action.notificationReceived !== undefined) parts.push(`received ${formatNotification(action.notificationReceived)}`);
        this.emit('down', parts.join('; '), action.notificationSent !== undefined || action.notificationReceived !== undefined);
        return;
      }
      case 'state-changed':
        if (link === this.main) this.emit('stateChange', { from: action.from, to: action.to, reason: action.reason });
        else if (action.to === 'Idle') this.dropCandidate();
        return;
      default: {
        const unreachable: never = action;
        throw new Error(`unhandled FSM action ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** After the first Established session, later OPENs no longer claim a restart (the R bit). */
  private clearRestartState(link: Link): void {
    const gracefulRestart = this.fsmConfig.gracefulRestart;
    if (gracefulRestart?.restarting !== true) return;
    this.fsmConfig = { ...this.fsmConfig, gracefulRestart: { ...gracefulRestart, restarting: false } };
    link.fsm.reconfigure(this.fsmConfig);
  }

  private connectOut(link: Link): void {
    const { peerAddress, peerPort, sourceAddress, password } = this.config;
    let socket: Socket;
    try {
      socket =
        password === undefined
          ? tcpConnect({ host: peerAddress, port: peerPort, ...(sourceAddress === undefined ? {} : { localAddress: sourceAddress }) })
          : connectWithMd5({ host: peerAddress, port: peerPort, key: password, ...(sourceAddress === undefined ? {} : { localAddress: sourceAddress }) });
    } catch (error) {
      this.emit('problem', `cannot connect to ${peerAddress}:${peerPort}: ${(error as Error).message}`);
      queueMicrotask(() => link.fsm.handle({ type: 'TcpConnectionFails' }));
      return;
    }
    link.pending = socket;
    link.initiatedBy = 'local';
    if (password !== undefined) this.md5CountersAtConnect = md5FailureCounters();
    socket.once('connect', () => {
      if (link.pending !== socket) return;
      link.pending = undefined;
      socket.removeAllListeners('error');
      this.attach(link, socket, 'outgoing');
      link.fsm.handle({ type: 'Tcp_CR_Acked' });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (link.pending !== socket) return;
      link.pending = undefined;
      socket.destroy();
      this.emit('problem', `connect to ${peerAddress}:${peerPort} failed: ${error.code ?? error.message}`);
      link.fsm.handle({ type: 'TcpConnectionFails' });
    });
  }

  private dropConnection(link: Link): void {
    if (link.pending !== undefined) {
      // Still connecting and not stopping (the FSM is already in its new state): the
      // ConnectRetryTimer expired because the peer never answered our SYN.
      if (link.fsm.stateName === 'Connect' || link.fsm.stateName === 'Active') this.emit('problem', this.unansweredConnectReason());
      this.abandonPending(link);
    }
    const connection = link.connection;
    link.connection = undefined;
    connection?.close('dropped by the FSM');
  }

  private abandonPending(link: Link): void {
    link.pending?.removeAllListeners();
    link.pending?.on('error', () => {});
    link.pending?.destroy();
    link.pending = undefined;
  }

  /**
   * A SYN left unanswered. With TCP-MD5 configured a password mismatch looks exactly like this
   * (the kernels drop mis-signed segments silently, RFC 2385 section 2.1), so say so, and add what
   * this host's kernel counted; the key itself is never part of the message.
   */
  private unansweredConnectReason(): string {
    const { peerAddress, peerPort, connectRetryTime } = this.config;
    let reason = `no answer from ${peerAddress}:${peerPort} within ${connectRetryTime} s`;
    if (this.config.password === undefined) return reason;
    reason += '; TCP-MD5 is configured, and a password that differs from the peer\'s makes its kernel drop our SYNs silently';
    const now = md5FailureCounters();
    if (now !== undefined && this.md5CountersAtConnect !== undefined && now > this.md5CountersAtConnect) {
      reason += ` (this host's kernel also dropped ${now - this.md5CountersAtConnect} segments with a bad or missing TCP-MD5 signature meanwhile: the passwords differ)`;
    }
    return reason;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages from the connections

  private onMessage(connection: BgpConnection, message: BgpMessage): void {
    const link = this.linkOf(connection);
    if (link === undefined) return;
    switch (message.type) {
      case 'open':
        this.onOpen(link, message);
        return;
      case 'keepalive':
        link.fsm.handle({ type: 'KeepAliveMsg' });
        return;
      case 'update':
        if (!link.fsm.noteMessageReceivedWhileEstablished()) {
          link.fsm.handle({ type: 'UpdateMsg' });
          return;
        }
        if (link === this.main) this.emit('update', message);
        return;
      case 'notification':
        this.emit('problem', `received NOTIFICATION ${formatNotification(message)}`);
        link.fsm.handle(notificationEvent(message));
        return;
      case 'route-refresh':
        link.fsm.handle({ type: 'RouteRefreshMsg', routeRefresh: message });
        if (link === this.main && link.fsm.stateName === 'Established') this.emit('routeRefresh', message);
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** RFC 4271 section 6.8, as fsm/collision.ts describes it, before the FSM sees the OPEN. */
  private onOpen(link: Link, open: OpenMessage): void {
    const other = link === this.main ? this.candidate : this.main;
    if (other === undefined) {
      link.fsm.handle({ type: 'BGPOpen', open });
      return;
    }
    const decision = decideCollision({
      localRouterId: this.config.localRouterId,
      localAsn: this.config.localAsn,
      initiatedBy: link.initiatedBy,
      open,
      other: {
        initiatedBy: other.initiatedBy,
        state: other.fsm.stateName,
        peerGracefulRestart: hasGracefulRestart(other.fsm.state.negotiated),
      },
    });
    switch (decision) {
      case 'no-collision':
        link.fsm.handle({ type: 'BGPOpen', open });
        return;
      case 'abandon-other':
      case 'dump-other':
        if (decision === 'dump-other') other.fsm.handle({ type: 'OpenCollisionDump' });
        else this.abandonPending(other);
        if (other === this.main) this.promoteCandidate(`collision resolution (${decision})`);
        else this.dropCandidate();
        link.fsm.handle({ type: 'BGPOpen', open });
        return;
      case 'dump-this':
        link.fsm.handle({ type: 'OpenCollisionDump' });
        if (link === this.main) this.promoteCandidate('collision resolution (dump-this)');
        else this.dropCandidate();
        return;
      default: {
        const unreachable: never = decision;
        throw new Error(`unknown collision decision ${String(unreachable)}`);
      }
    }
  }

  private onWireError(connection: BgpConnection, error: BgpWireError): void {
    const link = this.linkOf(connection);
    if (link === undefined) return;
    this.emit('problem', `malformed message from ${this.config.peerAddress}: ${error.message}`);
    let event: FsmEvent;
    switch (error.notification.code) {
      case ErrorCode.OPEN_MESSAGE:
        event = { type: 'BGPOpenMsgErr', error };
        break;
      case ErrorCode.UPDATE_MESSAGE:
        event = { type: 'UpdateMsgErr', error };
        break;
      default:
        event = { type: 'BGPHeaderErr', error };
    }
    link.fsm.handle(event);
  }

  private onClosed(connection: BgpConnection, reason: string): void {
    // Its counts are final now (a closed connection neither sends nor frames): fold them in.
    if (this.openConnections.delete(connection)) {
      addMessageCounts(this.closedCounts.sent, connection.sent);
      addMessageCounts(this.closedCounts.received, connection.received);
    }
    const link = this.linkOf(connection);
    if (link === undefined) return; // already dropped by the FSM
    link.connection = undefined;
    if (link === this.main && link.fsm.stateName !== 'Idle') this.emit('problem', `${reason} (in ${link.fsm.stateName})`);
    link.fsm.handle({ type: 'TcpConnectionFails' });
  }

  // ---------------------------------------------------------------------------------------------
  // Collision bookkeeping

  /** The candidate won: it becomes the main link with the peer's restart policy. */
  private promoteCandidate(why: string): void {
    const candidate = this.candidate;
    if (candidate === undefined) return;
    const old = this.main;
    candidate.fsm.adoptRestartPolicy(old.fsm.state);
    this.abandonPending(old);
    if (old.fsm.stateName !== 'Idle') old.fsm.handle({ type: 'OpenCollisionDump' });
    old.fsm.dispose();
    old.connection?.close(why);
    this.main = candidate;
    this.candidate = undefined;
    this.emit('stateChange', { from: old.fsm.stateName, to: candidate.fsm.stateName, reason: 'collision-dump' });
  }

  private dropCandidate(): void {
    const candidate = this.candidate;
    if (candidate === undefined) return;
    this.candidate = undefined;
    candidate.fsm.dispose();
    candidate.connection?.close('collision candidate dropped');
  }
}

function formatNotification(message: NotificationMessage): string {
  const text = `${describeNotification(message.code, message.subcode)} (${message.code}/${message.subcode})`;
  return message.shutdownMessage === undefined ? text : `${text}: "${message.shutdownMessage}"`;
}

function waitForClose(socket: Socket, timeoutMs: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Connection collision detection (RFC 4271 section 6.8, RFC 6286 section 2.3).
 *
 * Two TCP connections to one peer exist when both sides connect at about the same time. Each
 * side must keep the same one, so the choice depends only on facts both know: the connection
 * initiated by the speaker with the higher BGP Identifier survives.
 *
 * How the session layer uses this (after BIRD: connections are kept apart until this picks one):
 * 1. The peer's main SessionFsm connects out and adopts an incoming connection while it is in
 *    Active (TcpConnectionConfirmed). An incoming connection that arrives while the main FSM is in
 *    Connect, OpenSent or OpenConfirm becomes a candidate: a second SessionFsm with the same
 *    config, started with `{ type: 'ManualStart_with_PassiveTcpEstablishment', automaticRestart: false }`
 *    then `{ type: 'TcpConnectionConfirmed' }` (it sends our OPEN). At most one candidate per peer;
 *    refuse further incoming connections. Idle refuses all incoming connections (RFC 4271 8.2.2).
 * 2. When either connection receives an OPEN, before feeding BGPOpen to its FSM, call
 *    `decideCollision` with the other connection's state and act on the answer:
 *    - 'no-collision': feed BGPOpen.
 *    - 'abandon-other': the other has no BGP connection yet (the main FSM still in Connect): stop
 *      its attempt without a NOTIFICATION (step 3 makes this one the main FSM), then feed BGPOpen.
 *    - 'dump-other': feed OpenCollisionDump to the other FSM (it sends Cease/Connection Collision
 *      Resolution and closes), dispose it, then feed BGPOpen to this one.
 *    - 'dump-this': feed OpenCollisionDump to this connection's FSM instead of BGPOpen, dispose it.
 * 3. When the candidate is the survivor, it becomes the main FSM:
 *    `candidate.adoptRestartPolicy(main.state)`, then `main.dispose()`.
 * 4. With Established: a new OPEN loses (RFC 4271 section 6.8, last paragraph), unless the peer
 *    negotiated Graceful Restart: then the old session belongs to a peer that has restarted
 *    (RFC 4724 section 4.2) and the new connection wins.
 */
import type { OpenMessage } from '../wire/types.js';
import { parseDottedQuad } from './config.js';
import type { SessionStateName } from './states.js';

export type CollisionWinner = 'keep-local-initiated' | 'keep-remote-initiated';

function identifier(routerId: string, whose: string): number {
  const value = parseDottedQuad(routerId);
  if (value === undefined) throw new RangeError(`${whose} BGP identifier ${routerId} is not a dotted quad`);
  return value;
}

/**
 * RFC 4271 section 6.8: compare the identifiers as unsigned 32-bit integers; the connection
 * initiated by the higher one survives. RFC 6286 section 2.3: when they are equal (allowed only
 * between different ASes), the connection initiated by the speaker with the larger AS survives.
 * Equal identifiers within one AS never reach here (validateOpen rejects them); the local
 * connection is kept then, so the answer is at least deterministic.
 */
export function resolveCollision(localRouterId: string, remoteRouterId: string, localAsn?: number, remoteAsn?: number): CollisionWinner {
  const local = identifier(localRouterId, 'local');
  const remote = identifier(remoteRouterId, 'remote');
  if (local !== remote) return local > remote ? 'keep-local-initiated' : 'keep-remote-initiated';
  if (localAsn !== undefined && remoteAsn !== undefined && localAsn !== remoteAsn) {
    return localAsn > remoteAsn ? 'keep-local-initiated' : 'keep-remote-initiated';
  }
  return 'keep-local-initiated';
}

/** The other connection to the same peer, as the session layer knows it. */
export interface OtherConnection {
  /** 'local' for our outgoing connection, 'remote' for one we accepted. */
  readonly initiatedBy: 'local' | 'remote';
  readonly state: SessionStateName;
  /** Whether the peer's OPEN on that connection carried Graceful Restart (RFC 4724). */
  readonly peerGracefulRestart?: boolean;
}

export type CollisionDecision = 'no-collision' | 'abandon-other' | 'dump-other' | 'dump-this';

export interface CollisionInput {
  readonly localRouterId: string;
  readonly localAsn: number;
  /** Who initiated the connection the OPEN arrived on. */
  readonly initiatedBy: 'local' | 'remote';
  /** The OPEN just received on that connection. */
  readonly open: OpenMessage;
  readonly other: OtherConnection;
}

/** The peer's AS as its OPEN states it (RFC 6793: the capability when present). */
function asnOf(open: OpenMessage): number {
  const fourOctet = open.capabilities.find((cap) => cap.kind === 'four-octet-as');
  return fourOctet === undefined ? open.myAsn : fourOctet.asn;
}

/** See the module comment for what the session layer does with each answer. */
export function decideCollision(input: CollisionInput): CollisionDecision {
  const { other } = input;
  switch (other.state) {
    case 'Idle':
      return 'no-collision';
    case 'Connect':
    case 'Active':
      return 'abandon-other';
    case 'OpenSent':
      // RFC 4271 section 6.8 examines OpenConfirm connections; an OpenSent one is examined when
      // its own OPEN arrives, by which time this connection is in OpenConfirm.
      return 'no-collision';
    case 'OpenConfirm': {
      // Two connections started by the same side are not a collision the identifiers can settle;
      // the newer one is refused (the same answer as for an Established one).
      if (other.initiatedBy === input.initiatedBy) return 'dump-this';
      const winner = resolveCollision(input.localRouterId, input.open.routerId, input.localAsn, asnOf(input.open));
      const survivor = winner === 'keep-local-initiated' ? 'local' : 'remote';
      return survivor === input.initiatedBy ? 'dump-other' : 'dump-this';
    }
    case 'Established':
      return other.peerGracefulRestart === true ? 'dump-other' : 'dump-this';
    default: {
      const unreachable: never = other.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

/** Convenience for OtherConnection.peerGracefulRestart from a negotiated session. */
export function hasGracefulRestart(negotiated: { readonly peerGracefulRestart: unknown } | undefined): boolean {
  return negotiated?.peerGracefulRestart !== undefined;
}

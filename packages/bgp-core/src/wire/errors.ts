/**
 * The one error type of the wire codec. Every decode failure is a BgpWireError that carries exactly
 * what the NOTIFICATION needs (code, subcode, data) and, for UPDATE errors, the RFC 7606 action.
 * Decoding never throws anything else (the fuzz test holds us to that).
 */

/**
 * RFC 7606 section 2 lists the approaches, strongest first. `session-reset` ends the session with
 * a NOTIFICATION; `afi-safi-disable` is listed for completeness (RFC 7606 section 2) but this codec
 * never chooses it; `treat-as-withdraw` turns every NLRI of the UPDATE into a withdrawal;
 * `attribute-discard` drops the one attribute and keeps the route.
 */
export type ErrorAction = 'session-reset' | 'afi-safi-disable' | 'treat-as-withdraw' | 'attribute-discard';

const ACTION_STRENGTH: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afi-safi-disable': 2,
  'session-reset': 3,
};

/** RFC 7606 section 3(h): when several errors are found in one UPDATE, the strongest action wins. */
export function strongestAction(actions: Iterable<ErrorAction>): ErrorAction | undefined {
  let strongest: ErrorAction | undefined;
  for (const action of actions) {
    if (strongest === undefined || ACTION_STRENGTH[action] > ACTION_STRENGTH[strongest]) strongest = action;
  }
  return strongest;
}

export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  /** The Data field of the NOTIFICATION (often the offending attribute or field, per RFC 4271 section 6). */
  readonly data: Uint8Array;
}

export class BgpWireError extends Error {
  /** A stable machine-readable name, e.g. `ERR_BGP_BAD_MESSAGE_LENGTH`; safe to match on. */
  readonly code: string;
  readonly notification: NotificationFields;
  readonly action: ErrorAction;

  constructor(
    code: string,
    message: string,
    notification: { code: number; subcode: number; data?: Uint8Array },
    action: ErrorAction = 'session-reset',
  ) {
    super(message);
    this.name = 'BgpWireError';
    this.code = code;
    this.notification = {
      code: notification.code,
      subcode: notification.subcode,
      data: notification.data ?? new Uint8Array(0),
    };
    this.action = action;
  }
}

export function isBgpWireError(value: unknown): value is BgpWireError {
  return value instanceof BgpWireError;
}

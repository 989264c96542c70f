/**
 * The BgpWireErrors of UPDATE decoding, one constructor per kind, each with its RFC 7606 action
 * and the NOTIFICATION it would send (RFC 4271 section 6.3). Where RFC 4271 defines the Data field
 * as "the erroneous attribute (type, length, and value)" the raw attribute octets are passed.
 */
import { ErrorCode, UpdateSubcode } from './constants.js';
import { BgpWireError } from './errors.js';
import type { ErrorAction } from './errors.js';

const ATTRIBUTE_NAMES: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITY',
};

/** "AS_PATH (2)", or "attribute 99" for one we do not know; for messages. */
export function attributeName(typeCode: number): string {
  const name = ATTRIBUTE_NAMES[typeCode];
  return name === undefined ? `attribute ${typeCode}` : `${name} (${typeCode})`;
}

function updateError(code: string, message: string, subcode: number, action: ErrorAction, data?: Uint8Array): BgpWireError {
  return new BgpWireError(code, message, { code: ErrorCode.UPDATE_MESSAGE, subcode, ...(data ? { data } : {}) }, action);
}

/** RFC 7606 section 3(c): Optional or Transitive bit in conflict with the attribute type. */
export function attributeFlagsError(typeCode: number, flags: number, attribute: Uint8Array): BgpWireError {
  return updateError(
    'ERR_BGP_ATTRIBUTE_FLAGS',
    `${attributeName(typeCode)} has flags 0x${flags.toString(16)} in conflict with its type`,
    UpdateSubcode.ATTRIBUTE_FLAGS_ERROR,
    'treat-as-withdraw',
    attribute,
  );
}

/** A length the attribute type does not allow (RFC 7606 section 7 says which action per type). */
export function attributeLengthError(typeCode: number, length: number, action: ErrorAction, attribute: Uint8Array): BgpWireError {
  return updateError(
    'ERR_BGP_ATTRIBUTE_LENGTH',
    `${attributeName(typeCode)} has invalid length ${length}`,
    UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
    action,
    attribute,
  );
}

/** RFC 7606 section 7.1. */
export function invalidOriginError(value: number, attribute: Uint8Array): BgpWireError {
  return updateError('ERR_BGP_INVALID_ORIGIN', `ORIGIN has undefined value ${value}`, UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE, 'treat-as-withdraw', attribute);
}

/** RFC 7606 section 7.2; RFC 4271 defines no Data for Malformed AS_PATH. */
export function malformedAsPathError(why: string): BgpWireError {
  return updateError('ERR_BGP_MALFORMED_AS_PATH', `malformed AS_PATH: ${why}`, UpdateSubcode.MALFORMED_AS_PATH, 'treat-as-withdraw');
}

/** RFC 4271 section 6.3 / RFC 7606 section 7.3: a NEXT_HOP that cannot be a next hop. */
export function invalidNextHopError(nextHop: string, attribute: Uint8Array): BgpWireError {
  return updateError(
    'ERR_BGP_INVALID_NEXT_HOP',
    `NEXT_HOP ${nextHop} is not a usable unicast address`,
    UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE,
    'treat-as-withdraw',
    attribute,
  );
}

/** RFC 4271 section 6.3: a well-known attribute we do not know; RFC 7606 keeps the session reset. */
export function unrecognizedWellKnownError(typeCode: number, attribute: Uint8Array): BgpWireError {
  return updateError(
    'ERR_BGP_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE',
    `unrecognized well-known attribute ${typeCode}`,
    UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
    'session-reset',
    attribute,
  );
}

/** RFC 7606 section 3(d): Data is the missing attribute's type code (RFC 4271 section 6.3). */
export function missingWellKnownError(typeCode: number): BgpWireError {
  return updateError(
    'ERR_BGP_MISSING_WELL_KNOWN_ATTRIBUTE',
    `mandatory ${attributeName(typeCode)} is missing`,
    UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
    'treat-as-withdraw',
    Uint8Array.of(typeCode),
  );
}

/**
 * RFC 7606 section 3(g): a repeated attribute. Repeats are discarded, except MP_REACH_NLRI and
 * MP_UNREACH_NLRI, whose repetition is a Malformed Attribute List and resets the session.
 */
export function duplicateAttributeError(typeCode: number, action: ErrorAction): BgpWireError {
  return updateError(
    'ERR_BGP_DUPLICATE_ATTRIBUTE',
    `${attributeName(typeCode)} appears more than once`,
    UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
    action,
  );
}

/** The lengths of the UPDATE's fields do not add up (RFC 4271 section 6.3, not revised by RFC 7606). */
export function malformedAttributeListError(why: string): BgpWireError {
  return updateError('ERR_BGP_MALFORMED_ATTRIBUTE_LIST', `malformed UPDATE: ${why}`, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'session-reset');
}

/**
 * RFC 7606 section 4: an attribute that runs past the path attribute section, or a remainder too
 * short for an attribute header. Data: what is left of the section from that attribute on.
 */
export function attributeOverrunError(why: string, action: ErrorAction, rest: Uint8Array): BgpWireError {
  return updateError('ERR_BGP_ATTRIBUTE_OVERRUN', `path attribute section: ${why}`, UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, action, rest);
}

/**
 * An optional attribute whose value is wrong: malformed MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760
 * section 7 subcode; RFC 7606 section 5.3 session reset), malformed AS4_PATH / AS4_AGGREGATOR
 * (RFC 6793 section 6, attribute discard).
 */
export function optionalAttributeError(typeCode: number, why: string, action: ErrorAction, attribute: Uint8Array): BgpWireError {
  return updateError(
    'ERR_BGP_OPTIONAL_ATTRIBUTE',
    `${attributeName(typeCode)}: ${why}`,
    UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
    action,
    attribute,
  );
}

/**
 * Capabilities (RFC 5492) carried in the OPEN optional parameter type 2. Each is a TLV:
 *
 *   Capability Code (1 octet) | Capability Length (1 octet) | Capability Value (Length octets)
 *
 * One parameter may hold several capabilities and an OPEN may hold several such parameters; both
 * are accepted. Capabilities we do not know are kept byte for byte (RFC 5492 section 3: ignore
 * what you do not understand). A known capability with a value of the wrong size is "recognized
 * but malformed": OPEN Message Error, subcode 0 (Unspecific), per RFC 4271 section 6.2, with the
 * offending capability TLV as data.
 */
import { CapabilityCode, ErrorCode } from './constants.js';
import type { Codec } from './codec.js';
import { BgpWireError } from './errors.js';
import { checkedInteger, readUint16, readUint32, writeUint16, writeUint32 } from './octets.js';
import type { Capability, CodecOptions } from './types.js';

/** Code and length octets in front of every capability value. */
const CAPABILITY_HEADER_LENGTH = 2;
/** The Capability Length octet limits one value to 255 octets. */
const MAX_CAPABILITY_VALUE_LENGTH = 255;

/** RFC 4724 section 3: Restart State (R) bit and RFC 8538 section 2: Graceful Notification (N) bit. */
const GR_RESTART_STATE = 0x8000;
const GR_NOTIFICATION = 0x4000;
const GR_RESTART_TIME_MASK = 0x0fff;
/** RFC 4724 section 3: Forwarding State (F) bit in the per-family flags. */
const GR_FORWARDING_STATE = 0x80;
const GR_FAMILY_LENGTH = 4;

type GracefulRestart = Extract<Capability, { kind: 'graceful-restart' }>;

export function malformedCapability(buf: Uint8Array, offset: number, length: number, why: string): BgpWireError {
  return new BgpWireError('ERR_BGP_MALFORMED_CAPABILITY', `malformed capability: ${why}`, {
    code: ErrorCode.OPEN_MESSAGE,
    subcode: 0,
    data: buf.slice(offset, offset + length),
  });
}

function valueLength(capability: Capability): number {
  switch (capability.kind) {
    case 'multiprotocol':
    case 'four-octet-as':
      return 4;
    case 'route-refresh':
    case 'route-refresh-cisco':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return 0;
    case 'graceful-restart':
      return 2 + GR_FAMILY_LENGTH * capability.families.length;
    case 'unknown':
      return capability.value.length;
    default:
      return assertNever(capability);
  }
}

function capabilityCode(capability: Capability): number {
  switch (capability.kind) {
    case 'multiprotocol':
      return CapabilityCode.MULTIPROTOCOL;
    case 'four-octet-as':
      return CapabilityCode.FOUR_OCTET_AS;
    case 'route-refresh':
      return CapabilityCode.ROUTE_REFRESH;
    case 'route-refresh-cisco':
      return CapabilityCode.ROUTE_REFRESH_CISCO;
    case 'enhanced-route-refresh':
      return CapabilityCode.ENHANCED_ROUTE_REFRESH;
    case 'extended-message':
      return CapabilityCode.EXTENDED_MESSAGE;
    case 'graceful-restart':
      return CapabilityCode.GRACEFUL_RESTART;
    case 'unknown':
      return capability.code;
    default:
      return assertNever(capability);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected capability ${JSON.stringify(value)}`);
}

/** Frozen singletons for the capabilities that carry no value: decoding them allocates nothing. */
const ROUTE_REFRESH: Capability = Object.freeze({ kind: 'route-refresh' });
const ROUTE_REFRESH_CISCO: Capability = Object.freeze({ kind: 'route-refresh-cisco' });
const ENHANCED_ROUTE_REFRESH: Capability = Object.freeze({ kind: 'enhanced-route-refresh' });
const EXTENDED_MESSAGE: Capability = Object.freeze({ kind: 'extended-message' });

/**
 * One capability TLV (code, length, value). `decode` reads exactly `length` octets, which must be
 * one whole TLV. `encode` throws RangeError for a value that cannot be represented (over 255
 * octets, fields out of range).
 */
export const capabilityCodec: Codec<Capability> = {
  encodingLength(capability: Capability): number {
    return CAPABILITY_HEADER_LENGTH + valueLength(capability);
  },

  encode(capability: Capability, buf: Uint8Array, offset: number): number {
    const length = valueLength(capability);
    if (length > MAX_CAPABILITY_VALUE_LENGTH) {
      throw new RangeError(`capability ${capability.kind} value of ${length} octets exceeds ${MAX_CAPABILITY_VALUE_LENGTH}`);
    }
    buf[offset] = checkedInteger(capabilityCode(capability), 0xff, 'capability code');
    buf[offset + 1] = length;
    const at = offset + CAPABILITY_HEADER_LENGTH;
    switch (capability.kind) {
      case 'multiprotocol':
        // RFC 4760 section 8: AFI (2), Reserved (1, zero), SAFI (1).
        writeUint16(buf, at, checkedInteger(capability.afi, 0xffff, 'AFI'));
        buf[at + 2] = 0;
        buf[at + 3] = checkedInteger(capability.safi, 0xff, 'SAFI');
        break;
      case 'four-octet-as':
        writeUint32(buf, at, checkedInteger(capability.asn, 0xffffffff, 'ASN'));
        break;
      case 'graceful-restart':
        encodeGracefulRestart(capability, buf, at);
        break;
      case 'unknown':
        buf.set(capability.value, at);
        break;
      default:
        break; // the value-less ones
    }
    return CAPABILITY_HEADER_LENGTH + length;
  },

  decode(buf: Uint8Array, offset: number, length: number, _options?: CodecOptions): Capability {
    if (length < CAPABILITY_HEADER_LENGTH) throw malformedCapability(buf, offset, length, 'truncated capability header');
    const code = buf[offset]!;
    const declared = buf[offset + 1]!;
    if (declared !== length - CAPABILITY_HEADER_LENGTH) {
      throw malformedCapability(buf, offset, length, `capability ${code} length ${declared} does not fit ${length - CAPABILITY_HEADER_LENGTH} octets`);
    }
    return decodeCapabilityValue(code, buf, offset + CAPABILITY_HEADER_LENGTH, declared);
  },
};

function encodeGracefulRestart(capability: GracefulRestart, buf: Uint8Array, at: number): void {
  let header = checkedInteger(capability.restartTime, GR_RESTART_TIME_MASK, 'graceful restart time');
  if (capability.restarting) header |= GR_RESTART_STATE;
  if (capability.notification) header |= GR_NOTIFICATION;
  writeUint16(buf, at, header);
  let p = at + 2;
  for (const family of capability.families) {
    writeUint16(buf, p, checkedInteger(family.afi, 0xffff, 'AFI'));
    buf[p + 2] = checkedInteger(family.safi, 0xff, 'SAFI');
    buf[p + 3] = family.forwardingPreserved ? GR_FORWARDING_STATE : 0;
    p += GR_FAMILY_LENGTH;
  }
}


/** Decodes the value of capability `code` at `buf[at, at + length)`; the TLV starts 2 octets before. */
function decodeCapabilityValue(code: number, buf: Uint8Array, at: number, length: number): Capability {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      expectLength(buf, at, length, 4, 'multiprotocol');
      return { kind: 'multiprotocol', afi: readUint16(buf, at), safi: buf[at + 3]! };
    case CapabilityCode.FOUR_OCTET_AS:
      expectLength(buf, at, length, 4, '4-octet AS');
      return { kind: 'four-octet-as', asn: readUint32(buf, at) };
    case CapabilityCode.ROUTE_REFRESH:
      expectLength(buf, at, length, 0, 'route refresh');
      return ROUTE_REFRESH;
    case CapabilityCode.ROUTE_REFRESH_CISCO:
      expectLength(buf, at, length, 0, 'route refresh (Cisco)');
      return ROUTE_REFRESH_CISCO;
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      expectLength(buf, at, length, 0, 'enhanced route refresh');
      return ENHANCED_ROUTE_REFRESH;
    case CapabilityCode.EXTENDED_MESSAGE:
      expectLength(buf, at, length, 0, 'extended message');
      return EXTENDED_MESSAGE;
    case CapabilityCode.GRACEFUL_RESTART:
      // RFC 4724 section 3: 2 octets of flags and time, then 4 octets per address family.
      if (length < 2 || (length - 2) % GR_FAMILY_LENGTH !== 0) {
        throw malformedCapability(buf, at - CAPABILITY_HEADER_LENGTH, length + CAPABILITY_HEADER_LENGTH, `graceful restart capability length ${length} is not 2 + 4n`);
      }
      return decodeGracefulRestart(buf, at, length);
    default:
      return { kind: 'unknown', code, value: buf.subarray(at, at + length) };
  }
}

/** A fixed-size capability's value must be exactly `wanted` octets; the data is the whole TLV. */
function expectLength(buf: Uint8Array, at: number, length: number, wanted: number, name: string): void {
  if (length !== wanted) {
    throw malformedCapability(buf, at - CAPABILITY_HEADER_LENGTH, length + CAPABILITY_HEADER_LENGTH, `${name} capability length ${length}, expected ${wanted}`);
  }
}

function decodeGracefulRestart(buf: Uint8Array, at: number, length: number): GracefulRestart {
  const header = readUint16(buf, at);
  const families: { afi: number; safi: number; forwardingPreserved: boolean }[] = [];
  for (let p = at + 2, end = at + length; p < end; p += GR_FAMILY_LENGTH) {
    families.push({
      afi: readUint16(buf, p),
      safi: buf[p + 2]!,
      forwardingPreserved: (buf[p + 3]! & GR_FORWARDING_STATE) !== 0,
    });
  }
  return {
    kind: 'graceful-restart',
    restarting: (header & GR_RESTART_STATE) !== 0,
    notification: (header & GR_NOTIFICATION) !== 0,
    restartTime: header & GR_RESTART_TIME_MASK,
    families,
  };
}

/**
 * All capabilities in the value of one Capabilities optional parameter (`buf[offset, offset +
 * length)`), in order; several per parameter are allowed (RFC 5492 section 4).
 */
export function decodeCapabilities(buf: Uint8Array, offset: number, length: number, into: Capability[] = []): Capability[] {
  const end = offset + length;
  let p = offset;
  while (p < end) {
    if (end - p < CAPABILITY_HEADER_LENGTH) throw malformedCapability(buf, p, end - p, 'truncated capability header');
    const code = buf[p]!;
    const valueLength = buf[p + 1]!;
    const at = p + CAPABILITY_HEADER_LENGTH;
    if (at + valueLength > end) {
      throw malformedCapability(buf, p, end - p, `capability ${code} length ${valueLength} runs past its parameter`);
    }
    into.push(decodeCapabilityValue(code, buf, at, valueLength));
    p = at + valueLength;
  }
  return into;
}

/** The first capability of `kind`, typed, or undefined. */
export function findCapability<K extends Capability['kind']>(
  open: { readonly capabilities: readonly Capability[] },
  kind: K,
): Extract<Capability, { kind: K }> | undefined {
  for (const capability of open.capabilities) {
    if (capability.kind === kind) return capability as Extract<Capability, { kind: K }>;
  }
  return undefined;
}

/** Every capability of `kind` (several multiprotocol ones are the rule), typed. */
export function findCapabilities<K extends Capability['kind']>(
  open: { readonly capabilities: readonly Capability[] },
  kind: K,
): Extract<Capability, { kind: K }>[] {
  const found: Extract<Capability, { kind: K }>[] = [];
  for (const capability of open.capabilities) {
    if (capability.kind === kind) found.push(capability as Extract<Capability, { kind: K }>);
  }
  return found;
}

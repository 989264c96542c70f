/**
 * The OPEN message body (RFC 4271 section 4.2), header excluded:
 *
 *   Version (1) | My Autonomous System (2) | Hold Time (2) | BGP Identifier (4)
 *   | Opt Parm Len (1) | Optional Parameters: Parm. Type (1), Parm. Length (1), Value
 *
 * and the RFC 9072 extended form, recognised by a non-zero Opt Parm Len followed by the
 * Non-Ext OP Type 255, then a 2-octet Extended Opt. Parm. Length and 2-octet parameter lengths.
 *
 * Only decoding and encoding live here; whether the peer AS, hold time and identifier are
 * acceptable is for the FSM (RFC 4271 section 6.2 subcodes 2, 3 and 6).
 */
import { BGP_VERSION, ErrorCode, HEADER_LENGTH, OpenSubcode } from './constants.js';
import type { Codec } from './codec.js';
import { capabilityCodec, decodeCapabilities } from './capabilities.js';
import { BgpWireError } from './errors.js';
import { badMessageLength } from './header.js';
import { checkedInteger, readUint16, writeUint16 } from './octets.js';
import type { Capability, CodecOptions, OpenMessage } from './types.js';

/** Version, My AS, Hold Time, BGP Identifier and Opt Parm Len. */
const FIXED_LENGTH = 10;
/** RFC 5492 section 4: the optional parameter that carries capabilities. */
const CAPABILITIES_PARAMETER = 2;
/** RFC 9072 section 2: the Non-Ext OP Type (and Len) that announce the extended encoding. */
const EXTENDED_MARKER = 255;
const MAX_CLASSIC_LENGTH = 255;
const MAX_EXTENDED_LENGTH = 0xffff;

function malformedOpen(why: string): BgpWireError {
  // RFC 4271 section 6.2: an optional parameter recognised but malformed is subcode 0 (Unspecific).
  return new BgpWireError('ERR_BGP_MALFORMED_OPEN', `malformed OPEN: ${why}`, { code: ErrorCode.OPEN_MESSAGE, subcode: 0 });
}

/** RFC 4271 section 6.2: the data is the 2-octet version we support (4 is both largest and smallest). */
function unsupportedVersion(version: number): BgpWireError {
  const data = new Uint8Array(2);
  writeUint16(data, 0, BGP_VERSION);
  return new BgpWireError('ERR_BGP_UNSUPPORTED_VERSION', `unsupported BGP version ${version}`, {
    code: ErrorCode.OPEN_MESSAGE,
    subcode: OpenSubcode.UNSUPPORTED_VERSION_NUMBER,
    data,
  });
}

/**
 * RFC 4271 section 6.2: an optional parameter we do not recognise (any type but 2) is answered with
 * OPEN Message Error/Unsupported Optional Parameter. Decoding keeps such parameters in
 * `unknownParameters`; the FSM calls this and sends the returned error's NOTIFICATION.
 */
export function unsupportedOptionalParameterError(open: OpenMessage): BgpWireError | undefined {
  const first = open.unknownParameters[0];
  if (first === undefined) return undefined;
  return new BgpWireError('ERR_BGP_UNSUPPORTED_OPTIONAL_PARAMETER', `unsupported OPEN optional parameter type ${first.type}`, {
    code: ErrorCode.OPEN_MESSAGE,
    subcode: OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
  });
}

export function parseRouterId(routerId: string): number {
  const parts = routerId.split('.');
  if (parts.length !== 4) throw new RangeError(`BGP identifier ${JSON.stringify(routerId)} is not a dotted quad`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) {
      throw new RangeError(`BGP identifier ${JSON.stringify(routerId)} is not a dotted quad`);
    }
    value = value * 256 + Number(part);
  }
  return value;
}

function formatRouterId(buf: Uint8Array, at: number): string {
  return `${buf[at]!}.${buf[at + 1]!}.${buf[at + 2]!}.${buf[at + 3]!}`;
}


/**
 * How the optional parameters are laid out on encode: all capabilities in one Capabilities
 * parameter (as FRR and BIRD send them), then the other parameters; the RFC 9072 extended form only
 * when the classic one-octet lengths cannot hold them (RFC 9072 section 2 says to prefer classic).
 */
interface ParameterLayout {
  readonly extended: boolean;
  /** Length of the Capability parameter's value, 0 when there are no capabilities. */
  readonly capabilitiesLength: number;
  /** Octets after the Opt Parm Len octet (extended: marker and 2-octet length included). */
  readonly parametersLength: number;
}

function layout(open: OpenMessage): ParameterLayout {
  let capabilitiesLength = 0;
  for (const capability of open.capabilities) capabilitiesLength += capabilityCodec.encodingLength(capability, DUMMY_OPTIONS);
  const count = (open.capabilities.length > 0 ? 1 : 0) + open.unknownParameters.length;
  let values = capabilitiesLength;
  let longest = capabilitiesLength;
  for (const parameter of open.unknownParameters) {
    values += parameter.value.length;
    if (parameter.value.length > longest) longest = parameter.value.length;
  }
  const classic = values + 2 * count;
  // A parameter of type 255 first in the classic form would read as the RFC 9072 marker.
  const firstType = open.capabilities.length > 0 ? CAPABILITIES_PARAMETER : open.unknownParameters[0]?.type;
  if (classic <= MAX_CLASSIC_LENGTH && longest <= MAX_CLASSIC_LENGTH && firstType !== EXTENDED_MARKER) {
    return { extended: false, capabilitiesLength, parametersLength: classic };
  }
  const extended = values + 3 * count;
  if (extended > MAX_EXTENDED_LENGTH) throw new RangeError(`OPEN optional parameters of ${extended} octets exceed ${MAX_EXTENDED_LENGTH}`);
  return { extended: true, capabilitiesLength, parametersLength: 3 + extended };
}

const DUMMY_OPTIONS: CodecOptions = { fourOctetAs: false, extendedMessage: false };

export const openBody: Codec<OpenMessage> = {
  encodingLength(open: OpenMessage): number {
    return FIXED_LENGTH + layout(open).parametersLength;
  },

  encode(open: OpenMessage, buf: Uint8Array, offset: number): number {
    const { extended, capabilitiesLength, parametersLength } = layout(open);
    buf[offset] = checkedInteger(open.version, 0xff, 'version');
    writeUint16(buf, offset + 1, checkedInteger(open.myAsn, 0xffff, 'My Autonomous System'));
    writeUint16(buf, offset + 3, checkedInteger(open.holdTime, 0xffff, 'hold time'));
    const id = parseRouterId(open.routerId);
    buf[offset + 5] = id >>> 24;
    buf[offset + 6] = id >>> 16;
    buf[offset + 7] = id >>> 8;
    buf[offset + 8] = id;
    let p = offset + FIXED_LENGTH;
    if (extended) {
      buf[offset + 9] = EXTENDED_MARKER;
      buf[p] = EXTENDED_MARKER;
      writeUint16(buf, p + 1, parametersLength - 3);
      p += 3;
    } else {
      buf[offset + 9] = parametersLength;
    }
    const writeParameterHeader = (type: number, length: number): void => {
      buf[p] = type;
      if (extended) {
        writeUint16(buf, p + 1, length);
        p += 3;
      } else {
        buf[p + 1] = length;
        p += 2;
      }
    };
    if (open.capabilities.length > 0) {
      writeParameterHeader(CAPABILITIES_PARAMETER, capabilitiesLength);
      for (const capability of open.capabilities) p += capabilityCodec.encode(capability, buf, p, DUMMY_OPTIONS);
    }
    for (const parameter of open.unknownParameters) {
      writeParameterHeader(checkedInteger(parameter.type, 0xff, 'optional parameter type'), parameter.value.length);
      buf.set(parameter.value, p);
      p += parameter.value.length;
    }
    return p - offset;
  },

  decode(buf: Uint8Array, offset: number, length: number): OpenMessage {
    if (length < FIXED_LENGTH) throw badMessageLength(HEADER_LENGTH + length, 'is too short for an OPEN');
    // The version comes first: another version's OPEN need not share the rest of the layout.
    const version = buf[offset]!;
    if (version !== BGP_VERSION) throw unsupportedVersion(version);
    const myAsn = readUint16(buf, offset + 1);
    const holdTime = readUint16(buf, offset + 3);
    const routerId = formatRouterId(buf, offset + 5);
    const optionalLength = buf[offset + 9]!;
    const end = offset + length;
    let p = offset + FIXED_LENGTH;
    let extended = false;
    if (optionalLength !== 0 && p < end && buf[p] === EXTENDED_MARKER) {
      // RFC 9072 section 2: the Non-Ext OP Len value is then not a length and is ignored.
      if (end - p < 3) throw malformedOpen('truncated extended optional parameters length');
      const extendedLength = readUint16(buf, p + 1);
      p += 3;
      if (extendedLength !== end - p) {
        throw malformedOpen(`extended optional parameters length ${extendedLength} does not match the ${end - p} octets left`);
      }
      extended = true;
    } else if (optionalLength !== end - p) {
      throw malformedOpen(`optional parameters length ${optionalLength} does not match the ${end - p} octets left`);
    }
    const capabilities: Capability[] = [];
    const unknownParameters: { type: number; value: Uint8Array }[] = [];
    const headerLength = extended ? 3 : 2;
    while (p < end) {
      if (end - p < headerLength) throw malformedOpen('truncated optional parameter header');
      const type = buf[p]!;
      const parameterLength = extended ? readUint16(buf, p + 1) : buf[p + 1]!;
      p += headerLength;
      if (parameterLength > end - p) throw malformedOpen(`optional parameter ${type} length ${parameterLength} runs past the message`);
      if (type === CAPABILITIES_PARAMETER) decodeCapabilities(buf, p, parameterLength, capabilities);
      else unknownParameters.push({ type, value: buf.subarray(p, p + parameterLength) });
      p += parameterLength;
    }
    return { type: 'open', version, myAsn, holdTime, routerId, capabilities, unknownParameters };
  },
};

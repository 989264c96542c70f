// Reads just enough of a BGP message to name a fixture file and describe it in
// index.json: OPEN capabilities, UPDATE prefixes and attributes (AS_PATH read
// as 2- or 4-octet per the session), NOTIFICATION codes and RFC 9003 messages.
// It is not the project's codec and must not become one.

const HEADER_LENGTH = 19;

export type MessageTypeName = 'OPEN' | 'UPDATE' | 'NOTIFICATION' | 'KEEPALIVE' | 'ROUTE-REFRESH' | 'UNKNOWN';

const TYPE_NAMES: Readonly<Record<number, MessageTypeName>> = {
  1: 'OPEN',
  2: 'UPDATE',
  3: 'NOTIFICATION',
  4: 'KEEPALIVE',
  5: 'ROUTE-REFRESH',
};

const CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  1: 'multiprotocol',
  2: 'route-refresh',
  5: 'extended-next-hop',
  6: 'extended-message',
  9: 'bgp-role',
  64: 'graceful-restart',
  65: 'four-octet-as',
  69: 'add-path',
  70: 'enhanced-route-refresh',
  71: 'long-lived-graceful-restart',
  73: 'fqdn',
  128: 'route-refresh-cisco',
};

const ATTRIBUTE_NAMES: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MED',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITY',
};

/** What a fixture file is named after and what index.json says about it. */
export interface MessageSummary {
  readonly type: MessageTypeName;
  /** File-name part: "open-as4200000000", "update-ipv4-med-comm-lcomm", "notification-6-2"... */
  readonly slug: string;
  /** One line for index.json. */
  readonly description: string;
  /** OPEN only: the 4-octet AS capability's value when present. */
  readonly fourOctetAs?: number;
}

export function messageType(message: Buffer): MessageTypeName {
  return TYPE_NAMES[message[18] ?? 0] ?? 'UNKNOWN';
}

/** Names and describes a message; `fourOctetAs` says how to read AS_PATH (negotiated 4-octet AS). */
export function describeMessage(message: Buffer, fourOctetAs: boolean): MessageSummary {
  const type = messageType(message);
  const body = message.subarray(HEADER_LENGTH);
  switch (type) {
    case 'OPEN':
      return describeOpen(body);
    case 'UPDATE':
      return describeUpdate(body, fourOctetAs);
    case 'NOTIFICATION':
      return describeNotification(body);
    case 'KEEPALIVE':
      return { type, slug: 'keepalive', description: 'KEEPALIVE (header only, 19 bytes)' };
    case 'ROUTE-REFRESH':
      return {
        type,
        slug: `route-refresh-afi${body.readUInt16BE(0)}-safi${body[3] ?? 0}-subtype${body[2] ?? 0}`,
        description: `ROUTE-REFRESH AFI ${body.readUInt16BE(0)} SAFI ${body[3] ?? 0} subtype ${body[2] ?? 0}`,
      };
    case 'UNKNOWN':
      return { type, slug: `type${message[18] ?? 0}`, description: `message type ${message[18] ?? 0}` };
  }
}

function describeOpen(body: Buffer): MessageSummary {
  const myAs = body.readUInt16BE(1);
  const hold = body.readUInt16BE(3);
  const id = [...body.subarray(5, 9)].join('.');
  const optLength = body[9] ?? 0;
  const caps: string[] = [];
  let fourOctetAs: number | undefined;
  let offset = 10;
  const end = 10 + optLength;
  while (offset + 2 <= end) {
    const paramType = body[offset] ?? 0;
    const paramLength = body[offset + 1] ?? 0;
    if (paramType === 2) {
      let c = offset + 2;
      const paramEnd = offset + 2 + paramLength;
      while (c + 2 <= paramEnd) {
        const code = body[c] ?? 0;
        const length = body[c + 1] ?? 0;
        const value = body.subarray(c + 2, c + 2 + length);
        let name = CAPABILITY_NAMES[code] ?? `cap${code}`;
        if (code === 1 && length === 4) name = `mp(${value.readUInt16BE(0)}/${value[3] ?? 0})`;
        if (code === 65 && length === 4) {
          fourOctetAs = value.readUInt32BE(0);
          name = `four-octet-as(${fourOctetAs})`;
        }
        caps.push(name);
        c += 2 + length;
      }
    }
    offset += 2 + paramLength;
  }
  const asn = fourOctetAs ?? myAs;
  return {
    type: 'OPEN',
    slug: `open-as${asn}`,
    description: `OPEN my-AS ${myAs}, hold ${hold}, id ${id}, capabilities: ${caps.join(', ')}`,
    ...(fourOctetAs === undefined ? {} : { fourOctetAs }),
  };
}

/** Prefixes of an NLRI field (no add-path). */
function readPrefixes(bytes: Buffer, afi: number): string[] {
  const out: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const bits = bytes[offset] ?? 0;
    const length = Math.ceil(bits / 8);
    const raw = Buffer.alloc(afi === 2 ? 16 : 4);
    bytes.copy(raw, 0, offset + 1, offset + 1 + length);
    out.push(`${formatAddress(raw, afi)}/${bits}`);
    offset += 1 + length;
  }
  return out;
}

function formatAddress(raw: Buffer, afi: number): string {
  if (afi !== 2) return [...raw.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // Shorten the longest run of zero groups, as people write IPv6.
  const text = groups.join(':');
  const runs = [...text.matchAll(/(^|:)0(:0)+(:|$)/g)].sort((a, b) => b[0].length - a[0].length);
  const longest = runs[0];
  if (longest === undefined || longest.index === undefined) return text;
  return `${text.slice(0, longest.index)}::${text.slice(longest.index + longest[0].length)}`;
}

/** True for ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2). */
function isIpv4Mapped(raw: Buffer): boolean {
  return raw.length === 16 && raw.subarray(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff;
}

function describeNextHop(raw: Buffer, afi: number): string {
  if (raw.length === 4) return `${formatAddress(raw, 1)} (4-byte IPv4 next hop)`;
  if (afi === 2 && isIpv4Mapped(raw)) return `::ffff:${formatAddress(raw.subarray(12), 1)} (IPv4-mapped IPv6)`;
  if (raw.length === 32) return `${formatAddress(raw.subarray(0, 16), afi)} + link-local ${formatAddress(raw.subarray(16), afi)}`;
  return formatAddress(raw, afi);
}

function describeUpdate(body: Buffer, fourOctetAs: boolean): MessageSummary {
  const withdrawnLength = body.readUInt16BE(0);
  const withdrawn = readPrefixes(body.subarray(2, 2 + withdrawnLength), 1);
  const attrStart = 2 + withdrawnLength + 2;
  const attrLength = body.readUInt16BE(2 + withdrawnLength);
  const nlri = readPrefixes(body.subarray(attrStart + attrLength), 1);
  const notes: string[] = [];
  const slugParts: string[] = [];
  const attrNames: string[] = [];
  let family = 'ipv4';
  let offset = attrStart;
  const end = attrStart + attrLength;
  let reach: string[] = [];
  let unreach: string[] = [];
  while (offset < end) {
    const flags = body[offset] ?? 0;
    const code = body[offset + 1] ?? 0;
    const extended = (flags & 0x10) !== 0;
    const length = extended ? body.readUInt16BE(offset + 2) : (body[offset + 2] ?? 0);
    const valueStart = offset + (extended ? 4 : 3);
    const value = body.subarray(valueStart, valueStart + length);
    attrNames.push(ATTRIBUTE_NAMES[code] ?? `attr${code}`);
    switch (code) {
      case 2:
        notes.push(`AS_PATH ${describeAsPath(value, fourOctetAs ? 4 : 2)}`);
        break;
      case 17:
        notes.push(`AS4_PATH ${describeAsPath(value, 4)}`);
        slugParts.push('as4path');
        break;
      case 3:
        notes.push(`NEXT_HOP ${formatAddress(value, 1)}`);
        break;
      case 4:
        notes.push(`MED ${value.readUInt32BE(0)}`);
        slugParts.push('med');
        break;
      case 5:
        notes.push(`LOCAL_PREF ${value.readUInt32BE(0)}`);
        break;
      case 8: {
        const list: string[] = [];
        for (let i = 0; i + 4 <= value.length; i += 4) list.push(`${value.readUInt16BE(i)}:${value.readUInt16BE(i + 2)}`);
        notes.push(`COMMUNITIES ${list.join(' ')}`);
        slugParts.push('comm');
        break;
      }
      case 32: {
        const list: string[] = [];
        for (let i = 0; i + 12 <= value.length; i += 12) {
          list.push(`${value.readUInt32BE(i)}:${value.readUInt32BE(i + 4)}:${value.readUInt32BE(i + 8)}`);
        }
        notes.push(`LARGE_COMMUNITY ${list.join(' ')}`);
        slugParts.push('lcomm');
        break;
      }
      case 14: {
        const afi = value.readUInt16BE(0);
        const safi = value[2] ?? 0;
        const nhLength = value[3] ?? 0;
        const nh = value.subarray(4, 4 + nhLength);
        const prefixes = readPrefixes(value.subarray(4 + nhLength + 1), afi);
        family = afi === 2 ? 'ipv6' : 'ipv4';
        reach = prefixes;
        notes.push(`MP_REACH AFI ${afi} SAFI ${safi} next hop ${describeNextHop(nh, afi)}`);
        if (nh.length === 4 && afi === 2) slugParts.push('v4nh');
        if (afi === 2 && isIpv4Mapped(nh)) slugParts.push('mappednh');
        if (nh.length === 32) slugParts.push('lladdr');
        break;
      }
      case 15: {
        const afi = value.readUInt16BE(0);
        family = afi === 2 ? 'ipv6' : 'ipv4';
        unreach = readPrefixes(value.subarray(3), afi);
        notes.push(`MP_UNREACH AFI ${afi} SAFI ${value[2] ?? 0}`);
        break;
      }
      default:
        break;
    }
    offset = valueStart + length;
  }
  const announced = [...nlri, ...reach];
  const gone = [...withdrawn, ...unreach];
  if (attrLength === 0 && withdrawnLength === 0 && nlri.length === 0) {
    return { type: 'UPDATE', slug: 'update-eor-ipv4', description: 'UPDATE End-of-RIB marker for IPv4 unicast (RFC 4724: empty UPDATE)' };
  }
  if (announced.length === 0 && gone.length === 0 && attrNames.length === 1 && attrNames[0] === 'MP_UNREACH_NLRI') {
    return { type: 'UPDATE', slug: `update-eor-${family}`, description: `UPDATE End-of-RIB marker for ${family} unicast (empty MP_UNREACH_NLRI)` };
  }
  const kind = announced.length > 0 ? 'announce' : 'withdraw';
  const parts: string[] = [];
  if (announced.length > 0) parts.push(`announces ${announced.join(', ')}`);
  if (gone.length > 0) parts.push(`withdraws ${gone.join(', ')}`);
  return {
    type: 'UPDATE',
    slug: ['update', family, kind, ...slugParts].join('-'),
    description: `UPDATE ${parts.join('; ')}${notes.length > 0 ? `; ${notes.join('; ')}` : ''} [attributes: ${attrNames.join(', ') || 'none'}]`,
  };
}

function describeAsPath(value: Buffer, asSize: 2 | 4): string {
  const segments: string[] = [];
  let offset = 0;
  while (offset + 2 <= value.length) {
    const segType = value[offset] ?? 0;
    const count = value[offset + 1] ?? 0;
    const asns: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const at = offset + 2 + i * asSize;
      asns.push(asSize === 4 ? value.readUInt32BE(at) : value.readUInt16BE(at));
    }
    segments.push(segType === 1 ? `{${asns.join(' ')}}` : asns.join(' '));
    offset += 2 + count * asSize;
  }
  return `[${segments.join(' ')}] (${asSize}-octet)`;
}

const NOTIFICATION_CODES: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'FSM Error',
  6: 'Cease',
};

function describeNotification(body: Buffer): MessageSummary {
  const code = body[0] ?? 0;
  const subcode = body[1] ?? 0;
  const data = body.subarray(2);
  let detail = data.length === 0 ? 'no data' : `data ${data.toString('hex')}`;
  // RFC 9003: Cease subcodes 2 (Administrative Shutdown) and 4 (Administrative Reset)
  // carry a length byte and a UTF-8 message.
  if (code === 6 && (subcode === 2 || subcode === 4) && data.length > 0) {
    const length = data[0] ?? 0;
    detail = `shutdown communication (${length} bytes): "${data.subarray(1, 1 + length).toString('utf8')}"`;
  }
  return {
    type: 'NOTIFICATION',
    slug: `notification-${code}-${subcode}`,
    description: `NOTIFICATION ${code}/${subcode} (${NOTIFICATION_CODES[code] ?? 'unknown'}), ${detail}`,
  };
}

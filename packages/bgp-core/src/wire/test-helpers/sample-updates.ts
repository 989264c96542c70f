/**
 * Hand-built UPDATE messages (RFC 4271 section 4.3, RFC 4760), annotated field by field, for tests
 * and as fuzz seeds. All use 4-octet AS_PATHs (a session with fourOctetAs true).
 */

const MARKER = 'ff'.repeat(16);

function fromHex(annotated: string): Uint8Array {
  return Uint8Array.from(Buffer.from(annotated.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex'));
}

/** ORIGIN IGP, AS_PATH [65001 4200000001], NEXT_HOP 192.0.2.1, COMMUNITIES 65001:100; NLRI 10.5.0.0/16, 10.6.1.1/32. */
export const IPV4_UPDATE = fromHex(`
  ${MARKER}
  003e 02                         # length 62, UPDATE
  0000                            # no withdrawn routes
  001f                            # 31 octets of path attributes
  40 01 01 00                     # ORIGIN IGP
  40 02 0a 02 02 0000fde9 fa56ea01  # AS_PATH: AS_SEQUENCE 65001 4200000001
  40 03 04 c0000201               # NEXT_HOP 192.0.2.1
  c0 08 04 fde90064               # COMMUNITIES 65001:100
  10 0a05                         # NLRI 10.5.0.0/16
  20 0a060101                     # NLRI 10.6.1.1/32
`);

/** ORIGIN IGP, AS_PATH [65001], MP_REACH_NLRI IPv6 unicast next hop 2001:db8::1, 2001:db8:1::/64, 2001:db8:2::/48. */
export const IPV6_MP_REACH_UPDATE = fromHex(`
  ${MARKER}
  004c 02                         # length 76, UPDATE
  0000                            # no withdrawn routes
  0035                            # 53 octets of path attributes
  40 01 01 00                     # ORIGIN IGP
  40 02 06 02 01 0000fde9         # AS_PATH: AS_SEQUENCE 65001
  80 0e 25                        # MP_REACH_NLRI, 37 octets
    0002 01                       #   AFI IPv6, SAFI unicast
    10 20010db8000000000000000000000001  # next hop length 16, 2001:db8::1
    00                            #   reserved
    40 20010db800010000           #   2001:db8:1::/64
    30 20010db80002               #   2001:db8:2::/48
`);

/** Withdrawn 10.5.0.0/16 and 192.0.2.0/24; no attributes, no NLRI. */
export const IPV4_WITHDRAW_UPDATE = fromHex(`
  ${MARKER}
  001e 02                         # length 30, UPDATE
  0007                            # 7 octets of withdrawn routes
  10 0a05                         # 10.5.0.0/16
  18 c00002                       # 192.0.2.0/24
  0000                            # no path attributes
`);

/** The IPv4 End-of-RIB marker (RFC 4724 section 2): an empty UPDATE. */
export const IPV4_END_OF_RIB = fromHex(`${MARKER} 0017 02 0000 0000`);

export const SAMPLE_UPDATES: readonly { readonly name: string; readonly bytes: Uint8Array }[] = [
  { name: 'IPv4 UPDATE', bytes: IPV4_UPDATE },
  { name: 'IPv6 MP_REACH UPDATE', bytes: IPV6_MP_REACH_UPDATE },
  { name: 'IPv4 withdrawal', bytes: IPV4_WITHDRAW_UPDATE },
  { name: 'IPv4 End-of-RIB', bytes: IPV4_END_OF_RIB },
];

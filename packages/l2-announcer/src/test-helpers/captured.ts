/**
 * Frames captured with tcpdump on a veth pair between two network namespaces (Linux 6.x kernel):
 * client 02:00:00:00:00:01 (192.0.2.1, 2001:db8::1), server 02:00:00:00:00:02 (192.0.2.2,
 * 2001:db8::2). `arping -c 1 -I eth0 192.0.2.2` and a UDP datagram from the client to
 * 2001:db8::2 made the kernel solicit; the server's kernel answered. Our codecs must produce
 * the server kernel's answers byte for byte.
 */
const frame = (hex: string): Buffer => Buffer.from(hex, 'hex');

export const CLIENT_MAC = '02:00:00:00:00:01';
export const SERVER_MAC = '02:00:00:00:00:02';

/** arping's who-has 192.0.2.2 tell 192.0.2.1 (42 octets: veth does not pad). */
export const ARP_REQUEST = frame('ffffffffffff02000000000108060001080006040001020000000001c0000201ffffffffffffc0000202');
/** The server kernel's reply: 192.0.2.2 is at 02:00:00:00:00:02. */
export const ARP_REPLY = frame('02000000000102000000000208060001080006040002020000000002c0000202020000000001c0000201');

/** The client kernel's NS for 2001:db8::2 to ff02::1:ff00:2, with a source link-layer option. */
export const NEIGHBOR_SOLICITATION = frame(
  '3333ff00000202000000000186dd6000000000203aff20010db8000000000000000000000001ff0200000000000000000001ff00000287001c270000000020010db80000000000000000000000020101020000000001',
);
/** The server kernel's answer: solicited + override, target link-layer option. */
export const NEIGHBOR_ADVERTISEMENT = frame(
  '02000000000102000000000286dd6000000000203aff20010db800000000000000000000000220010db800000000000000000000000188008a716000000020010db80000000000000000000000020201020000000002',
);
/** A DAD probe of the server for fe80::ff:fe00:2: source ::, with a nonce option (RFC 7527). */
export const DAD_SOLICITATION = frame(
  '3333ff00000202000000000286dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff00000287007bc900000000fe80000000000000000000fffe0000020e01392c4cbc6d68',
);
/** A Router Solicitation (ICMPv6 type 133): IPv6, ICMPv6, but not for us to parse. */
export const ROUTER_SOLICITATION = frame(
  '33330000000202000000000186dd6000000000103afffe80000000000000000000fffe000001ff02000000000000000000000000000285007b2c000000000101020000000001',
);

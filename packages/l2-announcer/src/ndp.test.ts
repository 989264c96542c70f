import t from 'tap';
import { ipv6ToBytes } from './ethernet.js';
import {
  icmpv6Checksum,
  multicastMac,
  neighborAdvertisementFor,
  parseNeighborAdvertisement,
  parseNeighborSolicitation,
  solicitedNodeMulticast,
  unsolicitedNeighborAdvertisement,
} from './ndp.js';
import {
  ARP_REQUEST,
  CLIENT_MAC,
  DAD_SOLICITATION,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
  ROUTER_SOLICITATION,
  SERVER_MAC,
} from './test-helpers/captured.js';

const ICMP_START = 14 + 40;

/** Recomputes the ICMPv6 checksum after a test changed a field, so only that field is wrong. */
function fixChecksum(frame: Buffer): Buffer {
  frame.writeUInt16BE(0, ICMP_START + 2);
  frame.writeUInt16BE(icmpv6Checksum(frame.subarray(22, 38), frame.subarray(38, 54), frame.subarray(ICMP_START)), ICMP_START + 2);
  return frame;
}

t.test('solicited-node group and its multicast MAC (RFC 4291 2.7.1, RFC 2464 7)', async (t) => {
  t.equal(solicitedNodeMulticast('2001:db8::200'), 'ff02::1:ff00:200');
  t.equal(solicitedNodeMulticast('2001:db8::abcd:1234:5678'), 'ff02::1:ff34:5678');
  t.equal(multicastMac('ff02::1:ff00:200'), '33:33:ff:00:02:00');
  t.equal(multicastMac('ff02::1'), '33:33:00:00:00:01');
});

t.test('ICMPv6 checksum of captured frames', async (t) => {
  for (const [name, frame] of [
    ['NS', NEIGHBOR_SOLICITATION],
    ['NA', NEIGHBOR_ADVERTISEMENT],
    ['DAD NS', DAD_SOLICITATION],
    ['RS', ROUTER_SOLICITATION],
  ] as const) {
    const source = frame.subarray(22, 38);
    const destination = frame.subarray(38, 54);
    const icmp = frame.subarray(ICMP_START);
    t.equal(icmpv6Checksum(source, destination, icmp), 0, `${name}: a received message sums to 0`);
    const zeroed = Buffer.from(icmp);
    zeroed.writeUInt16BE(0, 2);
    t.equal(icmpv6Checksum(source, destination, zeroed), icmp.readUInt16BE(2), `${name}: recomputed equals the captured value`);
  }
  // An odd-length message is padded with a zero octet (RFC 1071).
  const src = ipv6ToBytes('::1');
  // Pseudo-header words: ::1 twice (1 + 1), length 1, next header 58; message 0x0100.
  // 1 + 1 + 1 + 58 + 0x100 = 0x13d, complemented 0xfec2.
  t.equal(icmpv6Checksum(src, src, Buffer.from([0x01])), 0xfec2);
});

t.test('parses a captured Neighbor Solicitation', async (t) => {
  t.same(parseNeighborSolicitation(NEIGHBOR_SOLICITATION), {
    ethernetSource: CLIENT_MAC,
    sourceIp: '2001:db8::1',
    destinationIp: 'ff02::1:ff00:2',
    targetIp: '2001:db8::2',
    sourceLinkLayer: CLIENT_MAC,
  });
  t.same(parseNeighborSolicitation(DAD_SOLICITATION), {
    ethernetSource: SERVER_MAC,
    sourceIp: '::',
    destinationIp: 'ff02::1:ff00:2',
    targetIp: 'fe80::ff:fe00:2',
  }, 'DAD probe: unspecified source, nonce option skipped');
});

t.test('drops solicitations that fail RFC 4861 7.1.1 validation', async (t) => {
  const mutate = (at: number, value: number): Buffer => {
    const copy = Buffer.from(NEIGHBOR_SOLICITATION);
    copy[at] = value;
    return copy;
  };
  t.equal(parseNeighborSolicitation(mutate(14 + 7, 64)), undefined, 'hop limit not 255');
  t.equal(parseNeighborSolicitation(mutate(ICMP_START + 3, 0)), undefined, 'bad checksum');
  t.ok(parseNeighborSolicitation(fixChecksum(Buffer.from(NEIGHBOR_SOLICITATION))), 'fixChecksum keeps a good frame good');
  t.equal(parseNeighborSolicitation(fixChecksum(mutate(ICMP_START + 25, 0))), undefined, 'option of length 0');
  t.equal(parseNeighborSolicitation(ROUTER_SOLICITATION), undefined, 'not an NS');
  t.equal(parseNeighborSolicitation(ARP_REQUEST), undefined, 'not IPv6');
  t.equal(parseNeighborSolicitation(NEIGHBOR_SOLICITATION.subarray(0, 70)), undefined, 'truncated');
  const multicastTarget = Buffer.from(NEIGHBOR_SOLICITATION);
  multicastTarget[ICMP_START + 8] = 0xff;
  t.equal(parseNeighborSolicitation(fixChecksum(multicastTarget)), undefined, 'multicast target');
  const dadWithSourceOption = Buffer.from(NEIGHBOR_SOLICITATION);
  dadWithSourceOption.fill(0, 22, 38); // source :: but the source link-layer option kept
  t.equal(parseNeighborSolicitation(fixChecksum(dadWithSourceOption)), undefined, 'unspecified source with SLLA option');
});

t.test('answers an NS for an owned address exactly like the Linux kernel', async (t) => {
  const ns = parseNeighborSolicitation(NEIGHBOR_SOLICITATION);
  if (ns === undefined) throw new Error('captured NS did not parse');
  const na = neighborAdvertisementFor(ns, SERVER_MAC, (ip) => ip === '2001:db8::2');
  t.equal(na?.toString('hex'), NEIGHBOR_ADVERTISEMENT.toString('hex'));
  t.same(parseNeighborAdvertisement(NEIGHBOR_ADVERTISEMENT), {
    sourceIp: '2001:db8::2',
    destinationIp: '2001:db8::1',
    targetIp: '2001:db8::2',
    router: false,
    solicited: true,
    override: true,
    targetLinkLayer: SERVER_MAC,
  });
  t.equal(neighborAdvertisementFor(ns, SERVER_MAC, (ip) => ip === '2001:db8::3'), undefined, 'not owned: silent');
});

t.test('a DAD probe for an owned address gets an NA to all-nodes, not solicited', async (t) => {
  const ns = parseNeighborSolicitation(DAD_SOLICITATION);
  if (ns === undefined) throw new Error('captured DAD NS did not parse');
  const frame = neighborAdvertisementFor(ns, CLIENT_MAC, () => true);
  if (frame === undefined) throw new Error('no answer');
  t.equal(frame.subarray(0, 6).toString('hex'), '333300000001', 'to the all-nodes MAC');
  t.same(parseNeighborAdvertisement(frame), {
    sourceIp: 'fe80::ff:fe00:2',
    destinationIp: 'ff02::1',
    targetIp: 'fe80::ff:fe00:2',
    router: false,
    solicited: false,
    override: true,
    targetLinkLayer: CLIENT_MAC,
  });
});

t.test('unsolicited NA, built field by field', async (t) => {
  const frame = unsolicitedNeighborAdvertisement('2001:db8::200', '02:00:00:00:00:0a');
  const hex = frame.toString('hex');
  const expectedWithoutChecksum =
    '333300000001' + //                         Ethernet destination: all-nodes multicast MAC
    '02000000000a' + //                         Ethernet source: our MAC
    '86dd' + //                                 EtherType IPv6
    '60000000' + //                             version 6, traffic class 0, flow label 0
    '0020' + //                                 payload length 32
    '3a' + 'ff' + //                            next header ICMPv6, hop limit 255
    '20010db8000000000000000000000200' + //     source: the address itself
    'ff020000000000000000000000000001' + //     destination: ff02::1
    '88' + '00' + //                            type 136 (NA), code 0
    'XXXX' + //                                 checksum, checked below
    '20000000' + //                             flags: Override only
    '20010db8000000000000000000000200' + //     target address
    '02' + '01' + '02000000000a'; //            target link-layer address option
  t.equal(hex.slice(0, 112), expectedWithoutChecksum.slice(0, 112));
  t.equal(hex.slice(116), expectedWithoutChecksum.slice(116));
  // The checksum verifies over the pseudo-header (so the whole message sums to 0).
  t.equal(icmpv6Checksum(ipv6ToBytes('2001:db8::200'), ipv6ToBytes('ff02::1'), frame.subarray(ICMP_START)), 0);
  const parsed = parseNeighborAdvertisement(frame);
  t.equal(parsed?.override, true);
  t.equal(parsed?.solicited, false);
});

/** The kernel filters, run on captured frames by a reference interpreter (test-helpers/bpf-interpreter.ts). */
import t from 'tap';
import { MAX_FILTERED_TARGETS, arpRequestFilter, encodeFilter, neighborSolicitationFilter } from './socket-filter.js';
import { PACKET_BROADCAST, PACKET_HOST, PACKET_OUTGOING, runFilter as run } from './test-helpers/bpf-interpreter.js';
import { ARP_REPLY, ARP_REQUEST, DAD_SOLICITATION, NEIGHBOR_ADVERTISEMENT, NEIGHBOR_SOLICITATION, ROUTER_SOLICITATION } from './test-helpers/captured.js';

t.test('ARP: incoming requests only', async (t) => {
  const program = arpRequestFilter();
  t.ok(run(program, ARP_REQUEST, PACKET_BROADCAST) >= ARP_REQUEST.length, 'a broadcast request is kept whole');
  t.equal(run(program, ARP_REPLY, PACKET_HOST), 0, 'a reply is dropped');
  t.equal(run(program, ARP_REQUEST, PACKET_OUTGOING), 0, 'our own outgoing request (a gratuitous ARP) is dropped');
  t.equal(run(program, ARP_REQUEST.subarray(0, 20), PACKET_BROADCAST), 0, 'a truncated frame is dropped');
});

t.test('ARP with targets: only requests for the addresses owned on the interface', async (t) => {
  // ARP_REQUEST asks for 192.0.2.2.
  t.ok(run(arpRequestFilter(['192.0.2.2']), ARP_REQUEST, PACKET_BROADCAST) > 0, 'a request for the one target passes');
  t.equal(run(arpRequestFilter(['192.0.2.3']), ARP_REQUEST, PACKET_BROADCAST), 0, 'a request for another address is dropped');
  t.ok(run(arpRequestFilter(['192.0.2.9', '192.0.2.2', '192.0.2.7']), ARP_REQUEST, PACKET_BROADCAST) > 0, 'found among several');
  t.equal(run(arpRequestFilter(['192.0.2.2']), ARP_REPLY, PACKET_HOST), 0, 'a reply is still dropped');
  t.equal(run(arpRequestFilter(['192.0.2.2']), ARP_REQUEST, PACKET_OUTGOING), 0, 'and our own outgoing frames');
  t.equal(run(arpRequestFilter([]), ARP_REQUEST, PACKET_BROADCAST), 0, 'nothing owned: everything dropped');
  // Every position of a long list, up to the limit.
  const many = Array.from({ length: MAX_FILTERED_TARGETS }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`);
  for (const position of [0, 1, MAX_FILTERED_TARGETS - 1]) {
    const targets = [...many];
    targets[position] = '192.0.2.2';
    t.ok(run(arpRequestFilter(targets), ARP_REQUEST, PACKET_BROADCAST) > 0, `the target at position ${position} of ${MAX_FILTERED_TARGETS}`);
  }
  t.equal(run(arpRequestFilter(many), ARP_REQUEST, PACKET_BROADCAST), 0, `${MAX_FILTERED_TARGETS} others: dropped`);
  const tooMany = [...many, '10.9.9.9'];
  t.ok(run(arpRequestFilter(tooMany), ARP_REQUEST, PACKET_BROADCAST) > 0, 'above the limit: every request passes (JavaScript decides)');
  t.throws(() => arpRequestFilter(['2001:db8::1']), /not an IPv4 address/);
});

t.test('IPv6: incoming Neighbor Solicitations only', async (t) => {
  const program = neighborSolicitationFilter();
  t.ok(run(program, NEIGHBOR_SOLICITATION, PACKET_HOST) > 0, 'an NS is kept');
  t.ok(run(program, DAD_SOLICITATION, PACKET_HOST) > 0, 'a DAD probe too (an NS; ndp.ts decides what to do with it)');
  t.equal(run(program, NEIGHBOR_ADVERTISEMENT, PACKET_HOST), 0, 'an NA is dropped');
  t.equal(run(program, ROUTER_SOLICITATION, PACKET_HOST), 0, 'another ICMPv6 type is dropped');
  t.equal(run(program, NEIGHBOR_SOLICITATION, PACKET_OUTGOING), 0, 'the node\'s own outgoing NS is dropped');
  // A UDP datagram (next header 17) that happens to carry 135 at the ICMPv6 type offset.
  const udp = Buffer.from(NEIGHBOR_SOLICITATION);
  udp[20] = 17;
  t.equal(run(program, udp, PACKET_HOST), 0, 'not ICMPv6: dropped whatever the octet at 54');
});

t.test('encoding: struct sock_filter, 8 octets each, host byte order', async (t) => {
  const program = arpRequestFilter();
  const bytes = encodeFilter(program);
  t.equal(bytes.length, program.length * 8);
  // x86 and arm64 are little endian: ld [pkttype] is code 0x0020, k 0xfffff004.
  t.same([...bytes.subarray(0, 8)], [0x20, 0x00, 0, 0, 0x04, 0xf0, 0xff, 0xff]);
  const last = program.at(-1);
  t.same(last, { code: 0x06, jt: 0, jf: 0, k: 0 }, 'the program ends with ret #0 (drop)');
});

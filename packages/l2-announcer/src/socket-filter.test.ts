/**
 * The kernel filters, run on captured frames by a reference interpreter of the few classic BPF
 * instructions they use (linux/filter.h semantics: absolute loads, jeq, ret; an out-of-range
 * load drops the frame). The namespace test checks the same programs in the real kernel.
 */
import t from 'tap';
import { arpRequestFilter, encodeFilter, neighborSolicitationFilter } from './socket-filter.js';
import type { BpfInstruction } from './socket-filter.js';
import { ARP_REPLY, ARP_REQUEST, DAD_SOLICITATION, NEIGHBOR_ADVERTISEMENT, NEIGHBOR_SOLICITATION, ROUTER_SOLICITATION } from './test-helpers/captured.js';

const PACKET_HOST = 0;
const PACKET_BROADCAST = 1;
const PACKET_OUTGOING = 4;

/** Runs `program` on `frame`; returns how many octets the kernel would keep (0: dropped). */
function run(program: readonly BpfInstruction[], frame: Buffer, pkttype: number): number {
  let accumulator = 0;
  for (let pc = 0, steps = 0; pc < program.length && steps < 1000; steps++) {
    const insn = program[pc];
    if (insn === undefined) throw new Error(`pc ${pc} outside the program`);
    switch (insn.code) {
      case 0x20: // ld [k] (word), or ancillary data
        if (insn.k === 0xfffff004) accumulator = pkttype;
        else if (insn.k + 4 > frame.length) return 0;
        else accumulator = frame.readUInt32BE(insn.k);
        break;
      case 0x28: // ldh [k]
        if (insn.k + 2 > frame.length) return 0;
        accumulator = frame.readUInt16BE(insn.k);
        break;
      case 0x30: // ldb [k]
        if (insn.k + 1 > frame.length) return 0;
        accumulator = frame.readUInt8(insn.k);
        break;
      case 0x15: // jeq #k, jt, jf
        pc += accumulator === insn.k ? insn.jt : insn.jf;
        break;
      case 0x06: // ret #k
        return insn.k;
      default:
        throw new Error(`unexpected opcode 0x${insn.code.toString(16)}`);
    }
    pc += 1;
  }
  throw new Error('the program ran off its end without ret');
}

t.test('ARP: incoming requests only', async (t) => {
  const program = arpRequestFilter();
  t.ok(run(program, ARP_REQUEST, PACKET_BROADCAST) >= ARP_REQUEST.length, 'a broadcast request is kept whole');
  t.equal(run(program, ARP_REPLY, PACKET_HOST), 0, 'a reply is dropped');
  t.equal(run(program, ARP_REQUEST, PACKET_OUTGOING), 0, 'our own outgoing request (a gratuitous ARP) is dropped');
  t.equal(run(program, ARP_REQUEST.subarray(0, 20), PACKET_BROADCAST), 0, 'a truncated frame is dropped');
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

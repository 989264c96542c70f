/**
 * A reference interpreter of the few classic BPF instructions socket-filter.ts uses (linux/filter.h
 * semantics: absolute loads, jeq, ret; an out-of-range load drops the frame), to run the programs
 * on captured frames in unit tests. The namespace test checks the same programs in the kernel.
 */
import type { BpfInstruction } from '../socket-filter.js';

export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_OUTGOING = 4;

/** Runs `program` on `frame`; returns how many octets the kernel would keep (0: dropped). */
export function runFilter(program: readonly BpfInstruction[], frame: Buffer, pkttype: number): number {
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


/**
 * Kernel-side filters (classic BPF, SO_ATTACH_FILTER) for the announcer's packet sockets, so the
 * kernel drops what we would parse and drop in JavaScript anyway.
 *
 * Why it matters: an AF_PACKET socket bound to ETH_P_IPV6 receives every IPv6 frame the node
 * sends and receives (its TCP traffic included), and one bound to ETH_P_ARP every ARP frame on
 * the LAN. Without a filter, a node busy with IPv6 traffic would copy each packet into the
 * event loop of the speaker, which then has less time for the Neighbor Solicitations that
 * matter. With these filters only what we may answer reaches us:
 *   ARP:  incoming requests (operation 1);
 *   IPv6: incoming ICMPv6 Neighbor Solicitations (next header 58, type 135), RFC 4861 section 4.3.
 * Frames we send ourselves come back to packet sockets as PACKET_OUTGOING; both filters drop them.
 *
 * The programs are built here; the native part only hands the bytes to setsockopt before bind().
 * Offsets are from the start of the Ethernet header (SOCK_RAW sockets see it).
 */
import { endianness } from 'node:os';

/** One classic BPF instruction (linux/filter.h struct sock_filter). */
export interface BpfInstruction {
  readonly code: number;
  /** Instructions to skip after this one when a jump's condition holds / does not. */
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// linux/bpf_common.h and linux/filter.h
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_ABS = 0x20;
const BPF_JEQ = 0x10;
const BPF_K = 0x00;
/** Ancillary data: SKF_AD_OFF (-0x1000) + SKF_AD_PKTTYPE (4), read as an absolute word load. */
const SKF_AD_PKTTYPE = 0xfffff004;
/** linux/if_packet.h PACKET_OUTGOING. */
const PACKET_OUTGOING = 4;
/** Keep this many octets of an accepted frame: all of it. */
const ACCEPT = 0x40000;
const DROP = 0;

const ARP_OPERATION_OFFSET = 14 + 6;
/** The target protocol address: after hardware type, protocol type, lengths, operation, sender MAC and IP, target MAC. */
const ARP_TARGET_IP_OFFSET = 14 + 24;
/**
 * A jump skips at most 255 instructions (jt is one octet): with more owned addresses than this on
 * one interface the ARP filter lets every request through and JavaScript sorts them out.
 */
export const MAX_FILTERED_TARGETS = 200;
const ARP_REQUEST = 1;
const IPV6_NEXT_HEADER_OFFSET = 14 + 6;
const IPPROTO_ICMPV6 = 58;
const ICMPV6_TYPE_OFFSET = 14 + 40;
const ICMPV6_NEIGHBOR_SOLICITATION = 135;

export const loadWord = (k: number): BpfInstruction => ({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k });
export const loadHalf = (k: number): BpfInstruction => ({ code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k });
export const loadByte = (k: number): BpfInstruction => ({ code: BPF_LD | BPF_B | BPF_ABS, jt: 0, jf: 0, k });
export const jumpIfEqual = (k: number, jt: number, jf: number): BpfInstruction => ({ code: BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k });
export const returnValue = (k: number): BpfInstruction => ({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k });

/**
 * "Accept when every (offset, size, value) holds, and the frame is not our own outgoing one."
 * Layout: pkttype check, then a load + compare per condition, then accept, then drop; each
 * failed comparison jumps to the drop at the end.
 */
function acceptWhen(conditions: readonly { load: (offset: number) => BpfInstruction; offset: number; value: number }[]): BpfInstruction[] {
  const program: BpfInstruction[] = [];
  const total = 2 + conditions.length * 2 + 2;
  const dropAt = total - 1;
  const jumpToDrop = (from: number): number => dropAt - from - 1;
  program.push(loadWord(SKF_AD_PKTTYPE));
  program.push(jumpIfEqual(PACKET_OUTGOING, jumpToDrop(1), 0));
  for (const condition of conditions) {
    program.push(condition.load(condition.offset));
    program.push(jumpIfEqual(condition.value, 0, jumpToDrop(program.length)));
  }
  program.push(returnValue(ACCEPT));
  program.push(returnValue(DROP));
  return program;
}

/**
 * Incoming ARP requests only; with `targets` (IPv4 addresses), only requests for one of them, so
 * the ARP traffic of a whole LAN does not wake the speaker for every host's lookups. An empty
 * list drops everything (nothing to answer on that interface).
 */
export function arpRequestFilter(targets?: readonly string[]): BpfInstruction[] {
  const requestCheck = { load: loadHalf, offset: ARP_OPERATION_OFFSET, value: ARP_REQUEST };
  if (targets === undefined || targets.length > MAX_FILTERED_TARGETS) return acceptWhen([requestCheck]);
  if (targets.length === 0) return [returnValue(DROP)];
  // 0 ld pkttype; 1 outgoing? -> drop; 2 ldh op; 3 request? else drop; 4 ld target IP;
  // 5..5+n-1 one comparison per target, equal -> accept; then drop, accept.
  const n = targets.length;
  const dropAt = 5 + n;
  const acceptAt = dropAt + 1;
  return [
    loadWord(SKF_AD_PKTTYPE),
    jumpIfEqual(PACKET_OUTGOING, dropAt - 2, 0),
    loadHalf(ARP_OPERATION_OFFSET),
    jumpIfEqual(ARP_REQUEST, 0, dropAt - 4),
    loadWord(ARP_TARGET_IP_OFFSET),
    ...targets.map((ip, i) => jumpIfEqual(ipv4Number(ip), acceptAt - (5 + i) - 1, 0)),
    returnValue(DROP),
    returnValue(ACCEPT),
  ];
}

function ipv4Number(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) throw new RangeError(`not an IPv4 address: ${ip}`);
  return ((parts[0] ?? 0) * 2 ** 24 + (parts[1] ?? 0) * 2 ** 16 + (parts[2] ?? 0) * 2 ** 8 + (parts[3] ?? 0)) >>> 0;
}

/** Incoming ICMPv6 Neighbor Solicitations only (no IPv6 extension headers before ICMPv6, as NS are sent). */
export function neighborSolicitationFilter(): BpfInstruction[] {
  return acceptWhen([
    { load: loadByte, offset: IPV6_NEXT_HEADER_OFFSET, value: IPPROTO_ICMPV6 },
    { load: loadByte, offset: ICMPV6_TYPE_OFFSET, value: ICMPV6_NEIGHBOR_SOLICITATION },
  ]);
}

/** The bytes setsockopt(SO_ATTACH_FILTER) wants: struct sock_filter[], in host byte order. */
export function encodeFilter(program: readonly BpfInstruction[]): Buffer {
  const bytes = Buffer.alloc(program.length * 8);
  const little = endianness() === 'LE';
  program.forEach((instruction, i) => {
    const at = i * 8;
    if (little) bytes.writeUInt16LE(instruction.code, at);
    else bytes.writeUInt16BE(instruction.code, at);
    bytes.writeUInt8(instruction.jt, at + 2);
    bytes.writeUInt8(instruction.jf, at + 3);
    if (little) bytes.writeUInt32LE(instruction.k >>> 0, at + 4);
    else bytes.writeUInt32BE(instruction.k >>> 0, at + 4);
  });
  return bytes;
}

/**
 * ARP over Ethernet for IPv4 (RFC 826): parsing, the reply to a who-has for an address we own,
 * and the gratuitous announcements sent when we take an address over (RFC 5227 section 3).
 * Pure functions over Buffers; the responder decides which addresses are owned.
 */
import {
  BROADCAST_MAC,
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_ARP,
  bytesToIpv4,
  bytesToMac,
  ipv4ToBytes,
  macToBytes,
  readEthernetHeader,
  writeEthernetHeader,
} from './ethernet.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;
const ARP_LENGTH = 28;
/** Shortest Ethernet frame without the FCS (IEEE 802.3: 64 octets with it). */
export const MIN_FRAME_LENGTH = 60;

export interface ArpPacket {
  readonly operation: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export interface ArpFrame extends ArpPacket {
  /** Ethernet source and destination of the frame that carried it. */
  readonly ethernetSource: string;
  readonly ethernetDestination: string;
}

/** An Ethernet/IPv4 ARP packet, or undefined for anything else (other hardware, short frames). */
export function parseArpFrame(frame: Buffer): ArpFrame | undefined {
  const ethernet = readEthernetHeader(frame);
  if (ethernet === undefined || ethernet.etherType !== ETHERTYPE_ARP) return undefined;
  const o = ETHERNET_HEADER_LENGTH;
  if (frame.length < o + ARP_LENGTH) return undefined;
  if (frame.readUInt16BE(o) !== HTYPE_ETHERNET || frame.readUInt16BE(o + 2) !== PTYPE_IPV4) return undefined;
  if (frame[o + 4] !== 6 || frame[o + 5] !== 4) return undefined;
  return {
    ethernetDestination: ethernet.destination,
    ethernetSource: ethernet.source,
    operation: frame.readUInt16BE(o + 6),
    senderMac: bytesToMac(frame, o + 8),
    senderIp: bytesToIpv4(frame, o + 14),
    targetMac: bytesToMac(frame, o + 18),
    targetIp: bytesToIpv4(frame, o + 24),
  };
}

/** One ARP packet in an Ethernet frame, padded to the 60-octet minimum. */
export function buildArpFrame(ethernetDestination: string, ethernetSource: string, packet: ArpPacket): Buffer {
  const frame = Buffer.alloc(MIN_FRAME_LENGTH);
  writeEthernetHeader(frame, { destination: ethernetDestination, source: ethernetSource, etherType: ETHERTYPE_ARP });
  const o = ETHERNET_HEADER_LENGTH;
  frame.writeUInt16BE(HTYPE_ETHERNET, o);
  frame.writeUInt16BE(PTYPE_IPV4, o + 2);
  frame[o + 4] = 6; // hardware address length
  frame[o + 5] = 4; // protocol address length
  frame.writeUInt16BE(packet.operation, o + 6);
  macToBytes(packet.senderMac).copy(frame, o + 8);
  ipv4ToBytes(packet.senderIp).copy(frame, o + 14);
  macToBytes(packet.targetMac).copy(frame, o + 18);
  ipv4ToBytes(packet.targetIp).copy(frame, o + 24);
  return frame;
}

/**
 * The reply to `request` when it asks for an address we own (RFC 826 "Packet Reception": swap
 * sender and target, fill in our MAC, send it to the asker), else undefined. Gratuitous ARPs of
 * others (sender IP = target IP) are announcements, not questions: no answer.
 */
export function arpReplyFor(request: ArpFrame, ourMac: string, owns: (ipv4: string) => boolean): Buffer | undefined {
  if (request.operation !== ARP_REQUEST) return undefined;
  if (request.senderIp === request.targetIp) return undefined;
  if (!owns(request.targetIp)) return undefined;
  return buildArpFrame(request.senderMac, ourMac, {
    operation: ARP_REPLY,
    senderMac: ourMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  });
}

/**
 * The two broadcast frames announcing that `ip` now lives at `ourMac`: a gratuitous request and a
 * gratuitous reply (sender IP = target IP). Hosts and switches differ in which one they heed
 * (Linux updates an existing entry from either), so we send both, like MetalLB does.
 */
export function gratuitousArpFrames(ip: string, ourMac: string): [request: Buffer, reply: Buffer] {
  const packet = { senderMac: ourMac, senderIp: ip, targetMac: BROADCAST_MAC, targetIp: ip };
  return [
    buildArpFrame(BROADCAST_MAC, ourMac, { ...packet, operation: ARP_REQUEST }),
    buildArpFrame(BROADCAST_MAC, ourMac, { ...packet, operation: ARP_REPLY }),
  ];
}

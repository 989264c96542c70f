/**
 * MetalLB Layer 2 mode: ARP (RFC 826) and NDP (RFC 4861) answers for the service addresses this
 * node owns, over raw AF_PACKET sockets (a small native addon; all protocol logic is here in
 * TypeScript). Linux only; needs CAP_NET_RAW.
 */
export { Layer2Announcer } from './responder.js';
export type { Layer2AnnouncerOptions, Layer2Logger, Layer2Stats, OwnOptions } from './responder.js';
export { isDefaultAnnounceInterface, listLinks, readLink, selectInterfaces } from './interfaces.js';
export type { LinkInfo } from './interfaces.js';
export { PacketSocketError, openPacketSocket } from './native/addon.js';
export { arpRequestFilter, encodeFilter, neighborSolicitationFilter } from './socket-filter.js';
export type { BpfInstruction } from './socket-filter.js';
export type { FrameSocket, PacketSocketErrorCode } from './native/addon.js';
export { arpReplyFor, buildArpFrame, gratuitousArpFrames, parseArpFrame } from './arp.js';
export type { ArpFrame, ArpPacket } from './arp.js';
export {
  icmpv6Checksum,
  multicastMac,
  neighborAdvertisementFor,
  parseNeighborAdvertisement,
  parseNeighborSolicitation,
  solicitedNodeMulticast,
  unsolicitedNeighborAdvertisement,
} from './ndp.js';
export type { NeighborAdvertisement, NeighborSolicitation } from './ndp.js';
export * from './election/index.js';

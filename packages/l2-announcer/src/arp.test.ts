import t from 'tap';
import { ARP_REPLY as OP_REPLY, ARP_REQUEST as OP_REQUEST, MIN_FRAME_LENGTH, arpReplyFor, buildArpFrame, gratuitousArpFrames, parseArpFrame } from './arp.js';
import { ARP_REPLY, ARP_REQUEST, CLIENT_MAC, NEIGHBOR_SOLICITATION, SERVER_MAC } from './test-helpers/captured.js';

t.test('parses a captured request and reply', async (t) => {
  t.same(parseArpFrame(ARP_REQUEST), {
    ethernetDestination: 'ff:ff:ff:ff:ff:ff',
    ethernetSource: CLIENT_MAC,
    operation: OP_REQUEST,
    senderMac: CLIENT_MAC,
    senderIp: '192.0.2.1',
    targetMac: 'ff:ff:ff:ff:ff:ff', // arping fills the target MAC with broadcast
    targetIp: '192.0.2.2',
  });
  const reply = parseArpFrame(ARP_REPLY);
  t.equal(reply?.operation, OP_REPLY);
  t.equal(reply?.senderMac, SERVER_MAC);
  t.equal(reply?.targetIp, '192.0.2.1');
});

t.test('rejects what is not Ethernet/IPv4 ARP', async (t) => {
  t.equal(parseArpFrame(NEIGHBOR_SOLICITATION), undefined, 'an IPv6 frame');
  t.equal(parseArpFrame(ARP_REQUEST.subarray(0, 41)), undefined, 'truncated');
  const otherProtocol = Buffer.from(ARP_REQUEST);
  otherProtocol.writeUInt16BE(0x86dd, 16); // protocol type not IPv4
  t.equal(parseArpFrame(otherProtocol), undefined);
});

t.test('answers a who-has for an owned address exactly like the Linux kernel', async (t) => {
  const request = parseArpFrame(ARP_REQUEST);
  if (request === undefined) throw new Error('captured request did not parse');
  const reply = arpReplyFor(request, SERVER_MAC, (ip) => ip === '192.0.2.2');
  t.ok(reply);
  t.equal(reply?.length, MIN_FRAME_LENGTH, 'padded to the Ethernet minimum');
  t.equal(reply?.subarray(0, ARP_REPLY.length).toString('hex'), ARP_REPLY.toString('hex'));
  t.ok(reply?.subarray(ARP_REPLY.length).every((b) => b === 0), 'zero padding');
});

t.test('stays silent for addresses we do not own, replies and gratuitous ARPs', async (t) => {
  const request = parseArpFrame(ARP_REQUEST);
  const reply = parseArpFrame(ARP_REPLY);
  if (request === undefined || reply === undefined) throw new Error('captured frames did not parse');
  t.equal(arpReplyFor(request, SERVER_MAC, (ip) => ip === '192.0.2.3'), undefined, 'not owned');
  t.equal(arpReplyFor(reply, SERVER_MAC, () => true), undefined, 'a reply is not a question');
  const [garpRequest] = gratuitousArpFrames('192.0.2.2', CLIENT_MAC);
  const garp = parseArpFrame(garpRequest);
  if (garp === undefined) throw new Error('gratuitous request did not parse');
  t.equal(arpReplyFor(garp, SERVER_MAC, () => true), undefined, 'a gratuitous ARP is an announcement');
});

t.test('gratuitous request and reply announce ip at mac, broadcast', async (t) => {
  const [request, reply] = gratuitousArpFrames('192.0.2.200', '02:00:00:00:00:0a');
  // Built field by field (RFC 826 layout, RFC 5227 section 3 announcement):
  const expected = (op: string): string =>
    'ffffffffffff' + //    Ethernet destination: broadcast
    '02000000000a' + //    Ethernet source: our MAC
    '0806' + //            EtherType ARP
    '0001' + //            hardware type Ethernet
    '0800' + //            protocol type IPv4
    '06' + '04' + //       address lengths
    op + //                operation
    '02000000000a' + //    sender MAC
    'c00002c8' + //        sender IP 192.0.2.200
    'ffffffffffff' + //    target MAC (broadcast, like MetalLB)
    'c00002c8' + //        target IP = sender IP: gratuitous
    '00'.repeat(18); //    padding to 60 octets
  t.equal(request.toString('hex'), expected('0001'));
  t.equal(reply.toString('hex'), expected('0002'));
  t.same(
    buildArpFrame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:0a', {
      operation: OP_REPLY,
      senderMac: '02:00:00:00:00:0a',
      senderIp: '192.0.2.200',
      targetMac: 'ff:ff:ff:ff:ff:ff',
      targetIp: '192.0.2.200',
    }),
    reply,
  );
});

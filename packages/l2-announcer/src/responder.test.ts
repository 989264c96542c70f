import t from 'tap';
import { gratuitousArpFrames, parseArpFrame } from './arp.js';
import { ETHERTYPE_ARP } from './ethernet.js';
import type { LinkInfo } from './interfaces.js';
import type { FrameSocket } from './native/addon.js';
import { PACKET_OUTGOING } from './native/addon.js';
import { parseNeighborAdvertisement } from './ndp.js';
import { Layer2Announcer } from './responder.js';
import { ARP_REQUEST, NEIGHBOR_SOLICITATION, SERVER_MAC } from './test-helpers/captured.js';
import { PACKET_BROADCAST, runFilter } from './test-helpers/bpf-interpreter.js';

class FakeSocket implements FrameSocket {
  readonly sent: Buffer[] = [];
  readonly groups: string[] = [];
  onFrame: ((frame: Buffer, packetType: number) => void) | undefined;
  closed = false;
  failSends = false;
  constructor(readonly link: LinkInfo, readonly etherType: number) {}
  send(frame: Buffer): void {
    if (this.failSends) throw new Error('ENETDOWN');
    this.sent.push(frame);
  }
  addMembership(mac: string): void {
    this.groups.push(mac);
  }
  dropMembership(mac: string): void {
    this.groups.splice(this.groups.indexOf(mac), 1);
  }
  readonly filters: Buffer[] = [];
  setFilter(filter: Buffer): void {
    this.filters.push(filter);
  }
  startReceiving(onFrame: (frame: Buffer, packetType: number) => void): void {
    this.onFrame = onFrame;
  }
  close(): void {
    this.closed = true;
  }
  receive(frame: Buffer, packetType = 0): void {
    this.onFrame?.(frame, packetType);
  }
}

const link = (name: string, ifindex: number, mac: string): LinkInfo => ({
  name, ifindex, mac, up: true, broadcast: true, loopback: false, ethernet: true, hasMaster: false,
});

function setup(options: { repeats?: number; intervalMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const announcer = new Layer2Announcer({
    links: [link('eth0', 2, SERVER_MAC), link('eth1', 3, '02:00:00:00:00:03')],
    openSocket: (l, etherType) => {
      const socket = new FakeSocket(l, etherType);
      sockets.push(socket);
      return socket;
    },
    gratuitousRepeats: options.repeats ?? 0,
    gratuitousIntervalMs: options.intervalMs ?? 10,
  });
  const find = (name: string, arp: boolean): FakeSocket => {
    const s = sockets.find((x) => x.link.name === name && (x.etherType === ETHERTYPE_ARP) === arp);
    if (s === undefined) throw new Error(`no socket ${name}`);
    return s;
  };
  return { announcer, sockets, arp: (name: string) => find(name, true), ndp: (name: string) => find(name, false) };
}

t.test('answers ARP only for owned addresses, on the interface asked', async (t) => {
  const { announcer, arp } = setup();
  arp('eth0').receive(ARP_REQUEST);
  t.equal(arp('eth0').sent.length, 0, 'nothing owned: silent');
  announcer.own('192.0.2.2');
  const gratuitous = arp('eth0').sent.length;
  t.equal(gratuitous, 2, 'gratuitous request and reply on eth0');
  t.equal(arp('eth1').sent.length, 2, 'and on eth1 with its own MAC');
  t.equal(parseArpFrame(arp('eth1').sent[0] ?? Buffer.alloc(0))?.senderMac, '02:00:00:00:00:03');
  arp('eth0').receive(ARP_REQUEST);
  t.equal(arp('eth0').sent.length, 3);
  t.equal(parseArpFrame(arp('eth0').sent[2] ?? Buffer.alloc(0))?.senderMac, SERVER_MAC);
  t.equal(arp('eth1').sent.length, 2, 'no answer on the other interface');
  arp('eth0').receive(ARP_REQUEST, PACKET_OUTGOING);
  t.equal(arp('eth0').sent.length, 3, 'our own outgoing frames are ignored');
  t.same(announcer.stats, { requestsReceived: 1, responsesSent: 1, gratuitousSent: 4 });
  announcer.disown('192.0.2.2');
  arp('eth0').receive(ARP_REQUEST);
  t.equal(arp('eth0').sent.length, 3, 'disowned: silent again');
  announcer.close();
});

t.test('answers NS for owned IPv6 and manages solicited-node groups', async (t) => {
  const { announcer, ndp } = setup();
  announcer.own('2001:DB8:0::2'); // any spelling
  t.same(announcer.addresses, ['2001:db8::2']);
  t.same(ndp('eth0').groups, ['33:33:ff:00:00:02']);
  announcer.own('2001:db8:1::2'); // same low 24 bits: same group, joined once
  t.same(ndp('eth0').groups, ['33:33:ff:00:00:02']);
  const unsolicited = parseNeighborAdvertisement(ndp('eth0').sent[0] ?? Buffer.alloc(0));
  t.equal(unsolicited?.destinationIp, 'ff02::1');
  t.equal(unsolicited?.override, true);
  ndp('eth0').receive(NEIGHBOR_SOLICITATION);
  const answer = parseNeighborAdvertisement(ndp('eth0').sent.at(-1) ?? Buffer.alloc(0));
  t.equal(answer?.solicited, true);
  t.equal(answer?.targetLinkLayer, SERVER_MAC);
  t.equal(announcer.stats.responsesSent, 1);
  announcer.disown('2001:db8::2');
  t.same(ndp('eth0').groups, ['33:33:ff:00:00:02'], 'still needed by 2001:db8:1::2');
  announcer.disown('2001:db8:1::2');
  t.same(ndp('eth0').groups, [], 'left when no owned address needs it');
  announcer.close();
});

t.test('gratuitous burst: at once, then repeats, stopped by disown', async (t) => {
  const { announcer, arp } = setup({ repeats: 3, intervalMs: 20 });
  announcer.own('192.0.2.200');
  t.equal(arp('eth0').sent.length, 2, 'first round at once');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(arp('eth0').sent.length, 8, '1 + 3 rounds of request + reply');
  t.same(arp('eth0').sent[6], gratuitousArpFrames('192.0.2.200', SERVER_MAC)[0]);
  t.equal(announcer.stats.gratuitousSent, 16, 'counted over both interfaces');
  announcer.own('192.0.2.201');
  announcer.disown('192.0.2.201');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(arp('eth0').sent.length, 10, 'a disowned address stops after its first round');
  announcer.close();
});

t.test('send failures are logged, not thrown; close closes all sockets', async (t) => {
  const warnings: string[] = [];
  const sockets: FakeSocket[] = [];
  const announcer = new Layer2Announcer({
    links: [link('eth0', 2, SERVER_MAC)],
    openSocket: (l, etherType) => {
      const s = new FakeSocket(l, etherType);
      s.failSends = true;
      sockets.push(s);
      return s;
    },
    gratuitousRepeats: 0,
    logger: { info() {}, debug() {}, warn: (_f, message) => warnings.push(message) },
  });
  t.throws(() => announcer.own('not-an-ip'), TypeError);
  announcer.own('192.0.2.2');
  t.equal(announcer.stats.gratuitousSent, 0);
  t.equal(warnings.length, 2);
  announcer.close();
  t.ok(sockets.every((s) => s.closed));
  t.throws(() => announcer.own('192.0.2.3'), /closed/);
});

t.test('an address owned on some interfaces is answered and announced only there', async (t) => {
  const { announcer, arp, ndp } = setup();
  announcer.own('192.0.2.2', { interfaces: ['eth1'] });
  t.same(announcer.interfacesOf('192.0.2.2'), ['eth1']);
  t.equal(arp('eth0').sent.length, 0, 'no announcement on eth0');
  t.equal(arp('eth1').sent.length, 2, 'request + reply on eth1');
  arp('eth0').receive(ARP_REQUEST);
  t.equal(arp('eth0').sent.length, 0, 'a request on eth0 gets no answer');
  announcer.own('2001:db8::2', { interfaces: ['eth1'] });
  t.same(ndp('eth0').groups, [], 'the solicited-node group is joined only where the address lives');
  t.same(ndp('eth1').groups, ['33:33:ff:00:00:02']);
  ndp('eth0').receive(NEIGHBOR_SOLICITATION);
  t.equal(ndp('eth0').sent.length, 0, 'NS on eth0: no answer');

  // Owning again on the same interfaces is a no-op; on others it moves and announces again.
  announcer.own('192.0.2.2', { interfaces: ['eth1'] });
  t.equal(arp('eth1').sent.length, 2, 'same interfaces: nothing new sent');
  announcer.own('192.0.2.2', { interfaces: ['eth0'] });
  t.equal(arp('eth0').sent.length, 2, 'moved to eth0: announced there');
  arp('eth0').receive(ARP_REQUEST);
  t.equal(arp('eth0').sent.length, 3, 'and answered there');
  t.throws(() => announcer.own('192.0.2.9', { interfaces: ['eth7'] }), /interface eth7 is not one of this announcer's \(eth0, eth1\)/);
  t.same(announcer.addresses.includes('192.0.2.9'), false, 'a refused own() owns nothing');
  announcer.close();
});

t.test('counters per address, kept after disown (Prometheus counters never go back)', async (t) => {
  const { announcer, arp } = setup();
  announcer.own('192.0.2.2');
  arp('eth0').receive(ARP_REQUEST);
  arp('eth0').receive(ARP_REQUEST);
  announcer.own('192.0.2.3');
  announcer.disown('192.0.2.2');
  t.same(Object.fromEntries(announcer.addressStats()), {
    '192.0.2.2': { requestsReceived: 2, responsesSent: 2, gratuitousSent: 4 },
    '192.0.2.3': { requestsReceived: 0, responsesSent: 0, gratuitousSent: 4 },
  });
  t.same(announcer.stats, { requestsReceived: 2, responsesSent: 2, gratuitousSent: 8 }, 'the totals agree');
  announcer.close();
});

t.test("the ARP sockets' kernel filter follows the addresses owned on each interface", async (t) => {
  const { announcer, arp } = setup();
  // The last program handed to a socket, run on arping's request for 192.0.2.2.
  const passes = (name: string): boolean => {
    const filter = arp(name).filters.at(-1);
    if (filter === undefined) throw new Error(`no filter set on ${name}`);
    const program = Array.from({ length: filter.length / 8 }, (_, i) => ({
      code: filter.readUInt16LE(i * 8), jt: filter.readUInt8(i * 8 + 2), jf: filter.readUInt8(i * 8 + 3), k: filter.readUInt32LE(i * 8 + 4),
    }));
    return runFilter(program, ARP_REQUEST, PACKET_BROADCAST) > 0;
  };
  announcer.own('192.0.2.2', { interfaces: ['eth0'] });
  t.ok(passes('eth0'), 'eth0 lets requests for 192.0.2.2 through');
  t.equal(arp('eth1').filters.length, 0, 'eth1, not concerned, was not touched');
  announcer.own('192.0.2.9', { interfaces: ['eth1'] });
  t.notOk(passes('eth1'), 'eth1 owns 192.0.2.9 only: a request for 192.0.2.2 is dropped there');
  announcer.disown('192.0.2.2');
  t.notOk(passes('eth0'), 'disowned: dropped in the kernel again');
  announcer.close();
});

/**
 * Layer2Node with a manual clock, fake heartbeat sockets and a fake announcer: nothing claimed
 * before the membership settled, claims applied as differences, interfaces as planned, a dead
 * peer reported, counters surviving a reopened announcer.
 */
import t from 'tap';
import { pino } from 'pino';
import { ManualClock, encodeHeartbeat } from '@metallb-ts/l2-announcer';
import type { HeartbeatSocket, HeartbeatSocketHandlers, Layer2Stats, LinkInfo, OwnOptions } from '@metallb-ts/l2-announcer';
import { parseConfigText } from '../config/load.js';
import type { Layer2Claim } from '../announce/layer2-claims.js';
import type { Announcer } from './layer2-node.js';
import { Layer2Node, heartbeatKeyFrom } from './layer2-node.js';
import { planInterfaces } from './interface-plan.js';

const link = (name: string, extra: Partial<LinkInfo> = {}): LinkInfo => ({
  name, ifindex: 2, mac: '02:00:00:00:00:01', up: true, broadcast: true, loopback: false, ethernet: true, hasMaster: false, ...extra,
});
const LINKS = [link('lo', { loopback: true, broadcast: false, ethernet: false }), link('eth0'), link('eth1'), link('eth2', { hasMaster: true })];

class FakeAnnouncer implements Announcer {
  readonly owned = new Map<string, readonly string[]>();
  readonly calls: string[] = [];
  readonly counts = new Map<string, Layer2Stats>();
  closed = false;
  constructor(readonly interfaces: readonly string[]) {}
  get addresses(): string[] {
    return [...this.owned.keys()];
  }
  own(ip: string, options: OwnOptions = {}): void {
    this.owned.set(ip, options.interfaces ?? this.interfaces);
    this.calls.push(`own ${ip} ${(options.interfaces ?? []).join(',')}`);
    this.counts.set(ip, { requestsReceived: 1, responsesSent: 1, gratuitousSent: 2 });
  }
  disown(ip: string): void {
    this.owned.delete(ip);
    this.calls.push(`disown ${ip}`);
  }
  interfacesOf(ip: string): string[] | undefined {
    const found = this.owned.get(ip);
    return found === undefined ? undefined : [...found];
  }
  addressStats(): ReadonlyMap<string, Layer2Stats> {
    return this.counts;
  }
  close(): void {
    this.closed = true;
  }
}

class FakeSocket implements HeartbeatSocket {
  constructor(readonly handlers: HeartbeatSocketHandlers) {}
  bind(_address: string, port: number): Promise<number> {
    return Promise.resolve(port);
  }
  send(): void {}
  close(): void {}
}

/** One pool and one L2Advertisement for it, on `interfaces` (all when absent). */
function l2Config(interfaces?: readonly string[]) {
  return parseConfigText(
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec: { addresses: [192.0.2.200-192.0.2.210] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan, namespace: metallb-system }
spec: { ipAddressPools: [lan]${interfaces === undefined ? '' : `, interfaces: [${interfaces.join(', ')}]`} }
`,
    'layer2-node.test.yaml',
  );
}

const CONFIG = l2Config(['eth1', 'bond9']);

const claim = (ip: string, interfaces = ['eth1'], defaultInterfaces = false): Layer2Claim => ({ ip, interfaces, defaultInterfaces, service: `default/${ip}` });

async function setup(options: { links?: readonly LinkInfo[]; interfaceRescanMs?: number; key?: Buffer } = {}) {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  const announcers: FakeAnnouncer[] = [];
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  let memberships = 0;
  const node = new Layer2Node({
    nodeName: 'node-a',
    logger,
    onMembership: () => {
      memberships++;
    },
    liveness: {
      clock,
      socketFactory: (_family, handlers) => {
        const socket = new FakeSocket(handlers);
        sockets.push(socket);
        return socket;
      },
    },
    listLinks: () => options.links ?? LINKS,
    createAnnouncer: (announcerOptions) => {
      const announcer = new FakeAnnouncer(announcerOptions.interfaces ?? []);
      announcers.push(announcer);
      return announcer;
    },
    ...(options.interfaceRescanMs === undefined ? {} : { interfaceRescanMs: options.interfaceRescanMs }),
  });
  node.setNodes([
    { name: 'node-a', labels: {}, networkUnavailable: false, internalIp: '10.0.0.1' },
    { name: 'node-b', labels: {}, networkUnavailable: false, internalIp: '10.0.0.2' },
    { name: 'node-c', labels: {}, networkUnavailable: false },
  ]);
  await node.start('10.0.0.1', options.key);
  let seq = 0;
  /** A heartbeat from node-b, signed with `key` when given. */
  const heartbeatFromB = (key?: Buffer): void =>
    sockets[0]?.handlers.message(encodeHeartbeat({ node: 'node-b', seq: seq++, incarnation: 1 }, key), { address: '10.0.0.2', port: 7946 });
  return { node, clock, announcers, logs, sockets, heartbeatFromB, memberships: () => memberships };
}

t.test('nothing is claimed before the membership settled; then claims apply as differences', async (t) => {
  const { node, clock, announcers, logs, memberships } = await setup();
  t.match(logs.map((l) => l['msg']), ['node node-c has no InternalIP: no layer 2 heartbeat with it, so it is never eligible here']);
  t.same(node.apply([claim('192.0.2.200')], CONFIG, {}), { owned: [], released: [] }, 'not settled: nothing');
  t.equal(announcers.length, 0, 'no raw socket opened yet');
  clock.advance(399);
  t.equal(memberships(), 0);
  clock.advance(1);
  t.equal(memberships(), 1, 'the caller is told once the membership settled');
  t.ok(node.settled);

  t.same(node.apply([claim('192.0.2.200'), claim('192.0.2.201')], CONFIG, {}), { owned: ['192.0.2.200', '192.0.2.201'], released: [] });
  const announcer = announcers[0];
  t.same(announcer?.interfaces, ['eth1'], 'opened on the named interface that exists (bond9 does not)');
  t.ok(logs.some((l) => l['msg'] === 'interface bond9 of an L2Advertisement does not exist on this node; not answering there'));
  t.same(node.apply([claim('192.0.2.201'), claim('192.0.2.202')], CONFIG, {}), { owned: ['192.0.2.202'], released: ['192.0.2.200'] }, 'only the difference');
  t.same(announcer?.calls, ['own 192.0.2.200 eth1', 'own 192.0.2.201 eth1', 'disown 192.0.2.200', 'own 192.0.2.202 eth1']);
  t.same(node.apply([claim('192.0.2.201'), claim('192.0.2.202')], CONFIG, {}), { owned: [], released: [] }, 'the same claims: no call');
  t.same(logs.filter((l) => l['msg'] === 'layer 2 addresses changed').map((l) => [l['owned'], l['released']]), [
    [['192.0.2.200', '192.0.2.201'], []],
    [['192.0.2.202'], ['192.0.2.200']],
  ]);
  node.close();
  t.ok(announcer?.closed);
});

t.test('peers alive and dead are reported', async (t) => {
  const { node, clock, heartbeatFromB, memberships, logs } = await setup();
  heartbeatFromB();
  t.same([...node.alive()], ['node-a', 'node-b']);
  t.equal(memberships(), 1, 'node-b appearing is a membership change');
  clock.advance(400);
  t.same([...node.alive()], ['node-a'], 'no heartbeat for 400 ms: node-b is dead');
  t.ok(memberships() >= 2);
  t.same(logs.filter((l) => l['msg'] === 'layer 2 members changed').map((l) => l['alive']), [['node-a', 'node-b'], ['node-a']]);
  node.close();
});

t.test('a claim no open interface may carry is warned about, not half applied', async (t) => {
  const { node, clock, announcers, logs } = await setup();
  clock.advance(400);
  t.same(node.apply([claim('192.0.2.203', ['bond9'])], CONFIG, {}), { owned: [], released: [] });
  t.ok(logs.some((l) => typeof l['msg'] === 'string' && l['msg'].includes('192.0.2.203 is owned by this node but none of its interfaces may announce it')));
  t.same(announcers[0]?.owned.size, 0);
  node.close();
});

t.test('counters survive an announcer reopened on other interfaces', async (t) => {
  const { node, clock, announcers } = await setup();
  clock.advance(400);
  node.apply([claim('192.0.2.204')], CONFIG, {});
  const everywhere = l2Config();
  node.apply([claim('192.0.2.204', [], true)], everywhere, {});
  t.equal(announcers.length, 2, 'a new set of interfaces reopens the announcer');
  t.ok(announcers[0]?.closed);
  t.same(announcers[1]?.interfaces, ['eth0', 'eth1'], 'the defaults: not lo, not the enslaved eth2');
  t.same(node.addressStats().get('192.0.2.204'), { requestsReceived: 2, responsesSent: 2, gratuitousSent: 4 }, 'old + new counts');
  node.close();
});

t.test('planInterfaces: defaults and named, for the advertisements selecting the node', async (t) => {
  const selective = parseConfigText(
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec: { addresses: [192.0.2.200-192.0.2.210] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: edge, namespace: metallb-system }
spec: { ipAddressPools: [lan], interfaces: [eth2], nodeSelectors: [{ matchLabels: { edge: "yes" } }] }
`,
    'plan.yaml',
  );
  t.same(planInterfaces(selective, {}, LINKS), { open: [], defaults: ['eth0', 'eth1'], missing: [] }, 'an advertisement not selecting the node opens nothing');
  t.same(planInterfaces(selective, { edge: 'yes' }, LINKS).open, ['eth2'], 'a named interface is used even if enslaved: the operator asked');
});

t.test('interfaces are re-read on a timer: one that appears later is opened', async (t) => {
  const links = [link('eth0')];
  const { node, clock, announcers } = await setup({ links, interfaceRescanMs: 20 });
  t.teardown(() => node.close());
  clock.advance(400);
  node.apply([claim('192.0.2.205')], CONFIG, {});
  t.equal(announcers.length, 0, 'eth1 is not there yet: nothing to open');
  links.push(link('eth1'));
  const deadline = Date.now() + 2000;
  while (announcers.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.same(announcers[0]?.interfaces, ['eth1'], 'opened by the rescan, without a new apply() from the caller');
  t.same(announcers[0]?.addresses, ['192.0.2.205'], 'and the claim answered there');
});

t.test('heartbeats signed with the memberlist key: unsigned ones ignored, the key never logged', async (t) => {
  const secrets = (data: Record<string, Record<string, string>>) => (name: string) => data[name];
  const key = heartbeatKeyFrom(secrets({ 'metallb-memberlist': { secretkey: 'correct horse battery staple' } }));
  const { node, logs, sockets, heartbeatFromB } = await setup(key === undefined ? {} : { key });
  t.teardown(() => node.close());
  heartbeatFromB();
  t.same([...node.alive()], ['node-a'], 'an unsigned heartbeat does not count');
  t.equal(node.membershipStats?.unauthenticated, 1);
  heartbeatFromB(key);
  t.same([...node.alive()], ['node-a', 'node-b'], 'a signed one does');
  t.ok(logs.some((line) => line['msg'] === 'layer 2 heartbeats are signed with the memberlist Secret'));
  t.notOk(JSON.stringify(logs).includes('correct horse'), 'the key appears in no log line');

  // The same address and key again: nothing restarts. Another key: the membership restarts with it.
  await node.start('10.0.0.1', heartbeatKeyFrom(secrets({ 'metallb-memberlist': { secretkey: 'correct horse battery staple' } })));
  t.equal(sockets.length, 1, 'the same key: the same socket');
  await node.start('10.0.0.1', heartbeatKeyFrom(secrets({ 'metallb-memberlist': { secretkey: 'rotated' } })));
  t.equal(sockets.length, 2, 'a new key: a new membership');
  t.equal(heartbeatKeyFrom(secrets({})), undefined, 'no Secret: no key');
  t.equal(heartbeatKeyFrom(secrets({ 'metallb-memberlist': {} })), undefined, 'no secretkey: no key');
  t.equal(heartbeatKeyFrom(secrets({ 'metallb-memberlist': { secretkey: '' } })), undefined, 'an empty one neither');
  t.same(heartbeatKeyFrom(secrets({ memberlist: { secretkey: 'old name' } })), Buffer.from('old name'), 'MetalLB before 0.13: memberlist');
  t.same(heartbeatKeyFrom(secrets({ memberlist: { secretkey: 'old' }, 'metallb-memberlist': { secretkey: 'new' } })), Buffer.from('new'), 'both: metallb-memberlist wins');
});

t.test('a restart (new key) changes no claim until the membership settled again', async (t) => {
  const { node, clock, announcers } = await setup();
  clock.advance(400);
  node.apply([claim('192.0.2.206')], CONFIG, {});
  t.same(announcers[0]?.addresses, ['192.0.2.206']);
  await node.start('10.0.0.1', Buffer.from('new key'));
  t.same(node.apply([], CONFIG, {}), { owned: [], released: [] }, 'not settled: nothing released');
  t.same(announcers[0]?.addresses, ['192.0.2.206'], 'still answered meanwhile');
  clock.advance(400);
  t.same(node.apply([], CONFIG, {}), { owned: [], released: ['192.0.2.206'] }, 'settled: the claims apply again');
  node.close();
});

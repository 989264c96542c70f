/** Control requests mapped onto the Speaker API, against a fake speaker that records its calls. */
import t from 'tap';
import { handleControlRequest } from './control-handler.js';
import type { ControlledSpeaker } from './control-handler.js';
import type { NeighborView } from '../speaker.js';
import type { RouteView } from '../rib/route-view.js';

type Call = readonly [method: string, ...args: unknown[]];

const ROUTE: RouteView = {
  prefix: '10.5.0.1/32', nextHop: '192.0.2.100', asPath: [], origin: 'igp', med: null, localPref: null, communities: [], largeCommunities: [],
};
const NEIGHBOR = { address: '192.0.2.1', asn: 64512, state: 'Established' } as unknown as NeighborView;

/** A speaker whose methods record their calls; the peer methods settle after a tick, like real ones. */
function fakeSpeaker(known: readonly string[] = ['192.0.2.1']) {
  const calls: Call[] = [];
  const check = (address: string) => {
    if (!known.includes(address)) throw new Error(`no configured peer ${address}`);
  };
  const later = () => new Promise<void>((resolve) => setImmediate(resolve));
  const speaker: ControlledSpeaker = {
    neighbors: () => { calls.push(['neighbors']); return [NEIGHBOR]; },
    advertisedRoutes: (peer?: string) => {
      calls.push(['advertisedRoutes', peer]);
      if (peer !== undefined) check(peer);
      return [ROUTE];
    },
    receivedRoutes: (peer: string) => { calls.push(['receivedRoutes', peer]); check(peer); return [{ ...ROUTE, asPath: [64512] }]; },
    announce: (route) => { calls.push(['announce', route]); },
    withdraw: (prefix: string) => { calls.push(['withdraw', prefix]); },
    resetPeer: async (address: string) => { calls.push(['resetPeer', address]); await later(); check(address); },
    shutdownPeer: async (address: string, message?: string) => { calls.push(['shutdownPeer', address, message]); await later(); check(address); },
    enablePeer: (address: string) => { calls.push(['enablePeer', address]); check(address); },
  };
  return { speaker, calls };
}

t.test('reads: neighbors, our routes, routes advertised to and received from a peer', async (t) => {
  const { speaker, calls } = fakeSpeaker();
  t.same(await handleControlRequest(speaker, { command: 'neighbors' }), [NEIGHBOR]);
  t.same(await handleControlRequest(speaker, { command: 'routes' }), [ROUTE]);
  t.same(await handleControlRequest(speaker, { command: 'routes', advertised: '192.0.2.1' }), [ROUTE]);
  t.same(await handleControlRequest(speaker, { command: 'routes', received: '192.0.2.1' }), [{ ...ROUTE, asPath: [64512] }]);
  t.same(calls, [['neighbors'], ['advertisedRoutes', undefined], ['advertisedRoutes', '192.0.2.1'], ['receivedRoutes', '192.0.2.1']]);
});

t.test('announce and withdraw reach the speaker and name the prefix in the reply', async (t) => {
  const { speaker, calls } = fakeSpeaker();
  const route = { prefix: '10.5.0.1/32', nextHop: 'self', communities: ['64512:100'], largeCommunities: ['64512:1:2'], localPref: 150, med: 5 };
  t.same(await handleControlRequest(speaker, { command: 'announce', route }), { announced: '10.5.0.1/32' });
  t.same(await handleControlRequest(speaker, { command: 'withdraw', prefix: '10.5.0.1/32' }), { withdrawn: '10.5.0.1/32' });
  t.same(calls, [['announce', route], ['withdraw', '10.5.0.1/32']]);
  t.equal(calls[0]?.[1], route, 'the route object is passed as it is');
});

t.test('neighbor actions are awaited before the reply', async (t) => {
  const { speaker, calls } = fakeSpeaker();
  const reset = handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.1', action: 'reset' });
  t.ok(reset instanceof Promise, 'reset answers with a promise');
  t.same(await reset, { neighbor: '192.0.2.1', action: 'reset' });
  t.same(await handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.1', action: 'shutdown', message: 'maintenance' }), {
    neighbor: '192.0.2.1',
    action: 'shutdown',
  });
  t.same(await handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.1', action: 'shutdown' }), { neighbor: '192.0.2.1', action: 'shutdown' });
  t.same(await handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.1', action: 'enable' }), { neighbor: '192.0.2.1', action: 'enable' });
  t.same(calls, [
    ['resetPeer', '192.0.2.1'],
    ['shutdownPeer', '192.0.2.1', 'maintenance'],
    ['shutdownPeer', '192.0.2.1', undefined],
    ['enablePeer', '192.0.2.1'],
  ]);
});

t.test('speaker errors surface unchanged (the server turns them into error replies)', async (t) => {
  const { speaker } = fakeSpeaker([]);
  t.throws(() => handleControlRequest(speaker, { command: 'routes', received: '192.0.2.7' }), { message: 'no configured peer 192.0.2.7' });
  await t.rejects(async () => handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.7', action: 'reset' }), { message: 'no configured peer 192.0.2.7' });
  await t.rejects(async () => handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.7', action: 'shutdown' }), { message: 'no configured peer 192.0.2.7' });
  await t.rejects(async () => handleControlRequest(speaker, { command: 'neighbor', address: '192.0.2.7', action: 'enable' }), {
    message: 'no configured peer 192.0.2.7',
  });
});

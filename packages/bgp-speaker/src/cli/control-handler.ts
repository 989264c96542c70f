/**
 * What `bgp-speaker run` answers on its control socket: each validated request mapped onto the
 * Speaker API. Kept out of main.ts so it can be tested with a fake speaker and no sessions.
 */
import type { ControlRequest } from '../control/index.js';
import type { Speaker } from '../speaker.js';

/** The part of the Speaker the control socket may drive. */
export type ControlledSpeaker = Pick<
  Speaker,
  'neighbors' | 'advertisedRoutes' | 'receivedRoutes' | 'announce' | 'withdraw' | 'resetPeer' | 'shutdownPeer' | 'enablePeer'
>;

/**
 * Runs one request. Speaker errors (an unknown peer, a route the speaker refuses) are thrown or
 * rejected as they are; the control server turns them into `{ ok: false, error }`.
 */
export function handleControlRequest(speaker: ControlledSpeaker, request: ControlRequest): unknown {
  switch (request.command) {
    case 'neighbors':
      return speaker.neighbors();
    case 'routes':
      if (request.received !== undefined) return speaker.receivedRoutes(request.received);
      return speaker.advertisedRoutes(request.advertised);
    case 'announce':
      speaker.announce(request.route);
      return { announced: request.route.prefix };
    case 'withdraw':
      speaker.withdraw(request.prefix);
      return { withdrawn: request.prefix };
    case 'neighbor':
      return neighborAction(speaker, request);
    default:
      return unreachable(request);
  }
}

type NeighborRequest = Extract<ControlRequest, { command: 'neighbor' }>;

async function neighborAction(speaker: ControlledSpeaker, request: NeighborRequest): Promise<unknown> {
  switch (request.action) {
    case 'reset':
      await speaker.resetPeer(request.address);
      break;
    case 'shutdown':
      await speaker.shutdownPeer(request.address, request.message);
      break;
    case 'enable':
      speaker.enablePeer(request.address);
      break;
    default:
      return unreachable(request.action);
  }
  return { neighbor: request.address, action: request.action };
}

function unreachable(value: never): never {
  throw new Error(`unhandled control request ${JSON.stringify(value)}`);
}

/**
 * A bgp-speaker Speaker playing a router on loopback for the speaker tests: it listens, waits for
 * the node to dial (passive), holds IPv4 sessions with 4-octet ASNs, and keeps what it receives.
 */
import { Speaker } from 'bgp-speaker';
import { pino } from 'pino';

export interface LoopbackRouterOptions {
  readonly address: string;
  readonly asn: number;
  readonly routerId: string;
  readonly port: number;
  /** The node that dials it. */
  readonly peer: { readonly address: string; readonly asn: number };
}

export async function startLoopbackRouter(t: { teardown(fn: () => unknown): void }, options: LoopbackRouterOptions): Promise<Speaker> {
  const router = new Speaker(
    {
      asn: options.asn,
      routerId: options.routerId,
      listen: { address: options.address, port: options.port },
      peers: [
        {
          address: options.peer.address,
          asn: options.peer.asn,
          port: options.port,
          holdTime: 30,
          keepaliveTime: 10,
          connectRetryTime: 1,
          passive: true,
          families: ['ipv4'],
          fourOctetAs: true,
          export: { communities: [], largeCommunities: [], asPathPrepend: 0 },
        },
      ],
      announce: [],
    },
    { logger: pino({ level: 'silent' }) },
  );
  // Route events are only produced when someone listens for them.
  router.on('routesReceived', () => undefined);
  t.teardown(() => router.stop('test over'));
  await router.start();
  return router;
}

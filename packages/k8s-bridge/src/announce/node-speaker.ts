/**
 * One node's BGP speaker, from the validated configuration: the peers whose nodeSelectors match the
 * node, our AS (their myASN: one speaker has one AS), passwords from the config or from Secrets,
 * and the routes fed to it as a difference.
 */
import { isIPv4 } from 'node:net';
import type { PeerConfig, RouteInput, Speaker, SpeakerConfig } from 'bgp-speaker';
import type { Peer } from '../config/model.js';

/** MetalLB's native speaker retries a peer every few seconds when connectTime is not given. */
const DEFAULT_CONNECT_RETRY_SECONDS = 5;

export class NodeSpeakerError extends Error {
  readonly code = 'ERR_NODE_SPEAKER';
}

/** Secrets by "namespace/name", their data decoded. */
export type SecretLookup = (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;

export function speakerConfigForNode(peers: readonly Peer[], routerId: string, secrets: SecretLookup, namespace: string): SpeakerConfig {
  const asns = [...new Set(peers.map((peer) => peer.myAsn))];
  if (asns.length > 1) {
    throw new NodeSpeakerError(`the peers of this node ask for different local ASNs (${asns.join(', ')}); one speaker has one AS`);
  }
  const asn = asns[0];
  if (asn === undefined) throw new NodeSpeakerError('no BGP peer applies to this node (check the peers\' node selectors)');
  return { asn, routerId, peers: peers.map((peer) => peerConfig(peer, secrets, namespace)), announce: [] };
}

function peerConfig(peer: Peer, secrets: SecretLookup, namespace: string): PeerConfig {
  let password = peer.password;
  if (peer.passwordSecret !== undefined) {
    const ref = peer.passwordSecret;
    const data = secrets(ref.namespace ?? namespace, ref.name);
    // MetalLB reads the key "password" of a kubernetes.io/basic-auth Secret.
    password = data?.['password'];
    if (password === undefined) {
      throw new NodeSpeakerError(`peer ${peer.name}: the Secret ${ref.namespace ?? namespace}/${ref.name} with a "password" key is not there`);
    }
  }
  return {
    address: peer.address,
    asn: peer.asn,
    port: peer.port,
    holdTime: peer.holdTime,
    keepaliveTime: peer.keepaliveTime,
    connectRetryTime: peer.connectTime ?? DEFAULT_CONNECT_RETRY_SECONDS,
    passive: false,
    // A session carries its own address family unless the peer asks for both (MetalLB's rule).
    families: peer.dualStackAddressFamily ? ['ipv4', 'ipv6'] : [isIPv4(peer.address) ? 'ipv4' : 'ipv6'],
    fourOctetAs: true,
    export: { communities: [], largeCommunities: [], asPathPrepend: 0 },
    ...(password === undefined ? {} : { password }),
    ...(peer.sourceAddress === undefined ? {} : { sourceAddress: peer.sourceAddress }),
  };
}

/** Feeds a node's route set to the speaker: only what changed is announced or withdrawn. */
export class RouteFeed {
  private current = new Map<string, string>();

  constructor(private readonly speaker: Pick<Speaker, 'announce' | 'withdraw'>) {}

  apply(routes: readonly RouteInput[]): { announced: string[]; withdrawn: string[] } {
    const next = new Map(routes.map((route) => [route.prefix, JSON.stringify(route)]));
    const announced: string[] = [];
    const withdrawn: string[] = [];
    for (const prefix of this.current.keys()) {
      if (!next.has(prefix)) {
        this.speaker.withdraw(prefix);
        withdrawn.push(prefix);
      }
    }
    for (const route of routes) {
      if (this.current.get(route.prefix) === next.get(route.prefix)) continue;
      this.speaker.announce(route);
      announced.push(route.prefix);
    }
    this.current = next;
    return { announced, withdrawn };
  }
}

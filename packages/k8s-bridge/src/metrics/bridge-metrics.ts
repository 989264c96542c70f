/**
 * The /metrics endpoint of the k8s-bridge speaker modes: MetalLB's BGP metrics (bgp-speaker's
 * SpeakerMetrics, read from whichever BGP speaker runs at scrape time) and its Layer 2 metrics,
 * on one registry, served by bgp-speaker's metrics server.
 */
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { SpeakerMetrics, startMetricsServer } from 'bgp-speaker';
import type { PeerStats } from 'bgp-speaker';
import { registerLayer2Metrics } from './layer2-metrics.js';
import type { Layer2StatsSource } from './layer2-metrics.js';

export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/** "127.0.0.1:7472", "[::1]:7472" or ":7472" (every address). */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || address === undefined || !(port >= 1 && port <= 65535)) {
    throw new RangeError(`--metrics ${JSON.stringify(text)}: expected ADDRESS:PORT, e.g. 127.0.0.1:7472 or [::1]:7472`);
  }
  if (address !== '' && isIP(address) === 0) throw new RangeError(`--metrics ${JSON.stringify(text)}: ${address} is not an IP address`);
  return { address: address === '' ? '::' : address, port };
}

export interface BridgeMetricsSources {
  /** The BGP peers' figures; empty while no BGP speaker runs. */
  readonly peerStats: () => readonly PeerStats[];
  readonly layer2: Layer2StatsSource;
}

export function createBridgeMetrics(sources: BridgeMetricsSources): SpeakerMetrics {
  const metrics = new SpeakerMetrics({ peerStats: sources.peerStats });
  registerLayer2Metrics(metrics.registry, sources.layer2);
  return metrics;
}

export function startBridgeMetrics(listen: ListenAddress, sources: BridgeMetricsSources): Promise<Server> {
  return startMetricsServer(createBridgeMetrics(sources), listen);
}

/**
 * MetalLB's Layer 2 metrics, name for name (metallb/metallb internal/layer2/stats.go): three
 * counters labelled by `ip`. Filled at scrape time from the announcer's cumulative per-address
 * counts (reset, then added), like the BGP metrics of bgp-speaker's SpeakerMetrics.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Layer2Stats } from '@metallb-ts/l2-announcer';

export interface Layer2StatsSource {
  addressStats(): ReadonlyMap<string, Readonly<Layer2Stats>>;
}

export const METALLB_LAYER2_METRICS: readonly { name: string; help: string; counter: keyof Layer2Stats }[] = [
  { name: 'metallb_layer2_requests_received', help: 'Number of layer2 requests received for owned IPs', counter: 'requestsReceived' },
  { name: 'metallb_layer2_responses_sent', help: 'Number of layer2 responses sent for owned IPs in response to requests', counter: 'responsesSent' },
  { name: 'metallb_layer2_gratuitous_sent', help: 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers', counter: 'gratuitousSent' },
];

export function registerLayer2Metrics(registry: Registry, source: Layer2StatsSource): void {
  for (const metric of METALLB_LAYER2_METRICS) {
    new Counter({
      name: metric.name,
      help: metric.help,
      labelNames: ['ip'],
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const [ip, stats] of source.addressStats()) this.inc({ ip }, stats[metric.counter]);
      },
    });
  }
}

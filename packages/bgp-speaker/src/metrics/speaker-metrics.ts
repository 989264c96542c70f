/**
 * The speaker's Prometheus metrics: MetalLB's BGP metrics (metallb-metrics.ts) filled at scrape
 * time from `peerStats()`, plus prom-client's process and Node.js metrics on the same registry.
 *
 * A pull model: nothing is recorded while the speaker works. Each scrape asks the source once
 * and every metric's collect() reads that one snapshot, so the values of one scrape agree with
 * each other. Counters are rebuilt from the cumulative counts on each scrape (reset, then inc by
 * the count): they go down only if the source's counts do, and a peer that is gone disappears
 * from the output, as MetalLB deletes a closed session's series.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { METALLB_BGP_METRICS, labelNames, peerLabels } from './metallb-metrics.js';
import type { LabelStyle, MetalLbMetric } from './metallb-metrics.js';
import type { PeerStats, PeerStatsSource } from './peer-stats.js';

export interface SpeakerMetricsOptions {
  /** Label names and formats: MetalLB native mode's (default) or its FRR mode's; see metallb-metrics.ts. */
  readonly labelStyle?: LabelStyle;
  /** Register prom-client's default process_* and nodejs_* metrics too (default true). */
  readonly processMetrics?: boolean;
}

interface Snapshot {
  readonly peers: readonly PeerStats[];
  readonly labels: readonly Record<string, string>[];
}

/** A metric prom-client can always export: the default metrics include this one. */
const DEFAULT_METRICS_MARKER = 'process_cpu_user_seconds_total';

export class SpeakerMetrics {
  readonly registry: Registry;
  private readonly source: PeerStatsSource;
  private readonly labelStyle: LabelStyle;
  private snapshotValue: Snapshot | undefined;

  constructor(source: PeerStatsSource, registry: Registry = new Registry(), options: SpeakerMetricsOptions = {}) {
    this.source = source;
    this.registry = registry;
    this.labelStyle = options.labelStyle ?? 'native';
    for (const metric of METALLB_BGP_METRICS) this.register(metric);
    // Twice on one registry would throw (duplicate names); a registry handed in may have them.
    if ((options.processMetrics ?? true) && registry.getSingleMetric(DEFAULT_METRICS_MARKER) === undefined) {
      collectDefaultMetrics({ register: registry });
    }
  }

  /** The text exposition of everything in the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private register(metric: MetalLbMetric): void {
    const metrics = this;
    const config = { name: metric.name, help: metric.help, labelNames: labelNames(this.labelStyle), registers: [this.registry] };
    if (metric.kind === 'gauge') {
      new Gauge({
        ...config,
        collect(this: Gauge) {
          this.reset();
          const { peers, labels } = metrics.snapshot();
          for (let i = 0; i < peers.length; i++) this.set(labels[i]!, metric.value(peers[i]!));
        },
      });
    } else {
      new Counter({
        ...config,
        collect(this: Counter) {
          // prom-client's Counter has no set(): start from nothing and add the cumulative count.
          this.reset();
          const { peers, labels } = metrics.snapshot();
          for (let i = 0; i < peers.length; i++) this.inc(labels[i]!, metric.value(peers[i]!));
        },
      });
    }
  }

  /**
   * One `peerStats()` per scrape. registry.metrics() runs the collect() functions one after the
   * other within one turn of the event loop (ours and prom-client's default ones are synchronous;
   * only promise continuations run between them), so the snapshot is kept until the next turn and
   * then dropped. Were a scrape ever to span turns, it would just ask the source again.
   */
  private snapshot(): Snapshot {
    if (this.snapshotValue !== undefined) return this.snapshotValue;
    const peers = this.source.peerStats();
    const snapshot: Snapshot = { peers, labels: peers.map((peer) => peerLabels(peer, this.labelStyle)) };
    this.snapshotValue = snapshot;
    setImmediate(() => {
      this.snapshotValue = undefined;
    });
    return snapshot;
  }
}

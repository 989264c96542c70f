/** Prometheus metrics with MetalLB's names, and the HTTP endpoint that serves them. */
export { SpeakerMetrics } from './speaker-metrics.js';
export type { SpeakerMetricsOptions } from './speaker-metrics.js';
export { startMetricsServer, MetricsServerError } from './server.js';
export type { MetricsServerOptions } from './server.js';
export { METALLB_BGP_METRICS, peerLabels } from './metallb-metrics.js';
export type { LabelStyle, MetalLbMetric, MetricKind } from './metallb-metrics.js';
export type { PeerStats, PeerStatsSource, PeerMessageCounts } from './peer-stats.js';

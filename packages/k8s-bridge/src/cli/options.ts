/** Command-line values shared by the k8s-bridge commands. */
import { DEFAULT_LAYER2_PORT } from '../layer2/layer2-node.js';
import { parseListenAddress } from '../metrics/bridge-metrics.js';
import type { ListenAddress } from '../metrics/bridge-metrics.js';

/** The parseArgs options of both commands that announce: `speaker` and `standalone`. */
export const ANNOUNCE_OPTIONS = {
  'node-name': { type: 'string' },
  'router-id': { type: 'string' },
  control: { type: 'string' },
  'layer2-port': { type: 'string' },
  metrics: { type: 'string' },
} as const;

export type AnnounceValues = { [K in keyof typeof ANNOUNCE_OPTIONS]?: string };

/** --layer2-port and --metrics, checked: a RangeError names the option and the reason. */
export function announceSettings(values: AnnounceValues): { layer2Port: number; metrics: ListenAddress | undefined } {
  return {
    layer2Port: values['layer2-port'] === undefined ? DEFAULT_LAYER2_PORT : parsePortOption('layer2-port', values['layer2-port']),
    metrics: values.metrics === undefined ? undefined : parseListenAddress(values.metrics),
  };
}

/** A TCP/UDP port given as `--option PORT`; the error names the option. */
export function parsePortOption(option: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !(port >= 1 && port <= 65535)) throw new RangeError(`--${option} ${JSON.stringify(text)}: expected a port number 1..65535`);
  return port;
}

/**
 * k8s-bridge speaker --node-name NAME [--kubeconfig PATH] [--config FILE] [--namespace NS]
 *                    [--router-id ADDRESS] [--control PATH] [--layer2-port PORT] [--metrics ADDRESS:PORT]
 *
 * MetalLB's speaker for one node, in the cluster: announces the addresses the controller
 * published on Services, as MetalLB's rules say this node does (peers and advertisements from
 * MetalLB's CRDs, or --config FILE): over BGP, and in Layer 2 mode by answering ARP/NDP (the
 * speakers heartbeat each other on their Nodes' InternalIPs, UDP --layer2-port, default 7946). The bgp-speaker CLI works on its control socket
 * (`bgp-speaker neighbors --control PATH`). On SIGTERM the sessions are closed for a graceful
 * restart (peers that negotiated it keep our routes meanwhile) and it exits 0.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONTROL_PATH, createLogger } from 'bgp-speaker';
import { DEFAULT_NAMESPACE } from '../config/crds.js';
import { loadConfigFile } from '../config/index.js';
import type { BridgeConfig } from '../config/model.js';
import { startBridgeMetrics } from '../metrics/bridge-metrics.js';
import type { ListenAddress } from '../metrics/bridge-metrics.js';
import { ANNOUNCE_OPTIONS, announceSettings } from './options.js';
import type { AnnounceValues } from './options.js';
import { SpeakerNode } from '../speaker-mode/speaker-node.js';
import { loadKubeConfig, nextStopSignal } from './kube-connection.js';

export const SPEAKER_USAGE =
  'usage: k8s-bridge speaker --node-name NAME [--kubeconfig PATH] [--config FILE] [--namespace NS] [--router-id ADDRESS] [--control PATH] [--layer2-port PORT] [--metrics ADDRESS:PORT]';

/** A pod's SIGTERM: leave quickly, the sessions are closed for graceful restart. */
const STOP_TIMEOUT_MS = 1800;

export async function speaker(args: readonly string[]): Promise<number> {
  let values: AnnounceValues & { kubeconfig?: string; config?: string; namespace?: string };
  try {
    values = parseArgs({
      args: [...args],
      options: { ...ANNOUNCE_OPTIONS, kubeconfig: { type: 'string' }, config: { type: 'string' }, namespace: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`k8s-bridge speaker: ${(error as Error).message}\n${SPEAKER_USAGE}\n`);
    return 2;
  }
  const nodeName = values['node-name'];
  if (nodeName === undefined || nodeName === '') {
    process.stderr.write(`k8s-bridge speaker: --node-name is required\n${SPEAKER_USAGE}\n`);
    return 2;
  }
  const log = createLogger().child({ component: 'speaker', node: nodeName });
  const controlPath = values.control ?? DEFAULT_CONTROL_PATH;
  let config: BridgeConfig | undefined;
  let node: SpeakerNode;
  let metricsListen: ListenAddress | undefined;
  try {
    const settings = announceSettings(values);
    const layer2Port = settings.layer2Port;
    metricsListen = settings.metrics;
    if (values.config !== undefined) config = loadConfigFile(values.config);
    node = new SpeakerNode({
      kubeConfig: loadKubeConfig(values.kubeconfig),
      nodeName,
      namespace: values.namespace ?? config?.namespace ?? DEFAULT_NAMESPACE,
      controlPath,
      logger: log,
      layer2: { port: layer2Port },
      // The downward API's metadata.name and metadata.uid: the pod owns its ServiceL2Status objects.
      ...(process.env['POD_NAME'] && process.env['POD_UID'] ? { pod: { name: process.env['POD_NAME'], uid: process.env['POD_UID'] } } : {}),
      ...(config === undefined ? {} : { config }),
      ...(values['router-id'] === undefined ? {} : { routerId: values['router-id'] }),
    });
  } catch (error) {
    process.stderr.write(`k8s-bridge speaker: ${(error as Error).message}\n`);
    return 1;
  }
  for (const warning of config?.warnings ?? []) log.warn(warning);
  const running = node;
  const metricsServer = metricsListen === undefined
    ? undefined
    : await startBridgeMetrics(metricsListen, { peerStats: () => running.speaker?.peerStats() ?? [], layer2: running.layer2 }).catch((error: unknown) => error as Error);
  if (metricsServer instanceof Error) {
    process.stderr.write(`k8s-bridge speaker: ${metricsServer.message}\n`);
    return 1;
  }
  const stopping = nextStopSignal();
  const started = node.start().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const first = await Promise.race([started, stopping.then((signal) => ({ signal }))]);
  if (first instanceof Error) {
    process.stderr.write(`k8s-bridge speaker: ${first.message}\n`);
    await node.stop();
    metricsServer?.close();
    return 1;
  }
  log.info({ control: controlPath, peers: node.state.peers, routes: node.state.routes.length, idle: node.state.idle }, 'k8s-bridge speaker running');
  const signal = first === undefined ? await stopping : first.signal;
  log.info({ signal }, 'shutting down');
  await Promise.race([
    node.stop({ gracefulRestart: true, message: `k8s-bridge stopped (${signal})` }),
    new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref()),
  ]);
  metricsServer?.close();
  return 0;
}

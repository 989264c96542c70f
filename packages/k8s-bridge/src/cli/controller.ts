/**
 * k8s-bridge controller [--kubeconfig PATH] [--config FILE] [--namespace NS]
 *
 * MetalLB's controller in the cluster: allocates addresses to LoadBalancer Services and writes
 * them to their status, while holding the Lease in MetalLB's namespace (several replicas may run;
 * one allocates). The configuration is MetalLB's CRDs in that namespace, or --config FILE
 * (kubespray variables or MetalLB CRDs). SIGTERM releases the Lease and exits 0.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from 'bgp-speaker';
import { loadConfigFile } from '../config/index.js';
import type { BridgeConfig } from '../config/model.js';
import { Controller } from '../controller/controller.js';
import { DEFAULT_NAMESPACE } from '../config/crds.js';
import { loadKubeConfig, nextStopSignal } from './kube-connection.js';

export const CONTROLLER_USAGE = 'usage: k8s-bridge controller [--kubeconfig PATH] [--config FILE] [--namespace NS]';

/** How long shutdown may take before we exit anyway (a pod's grace period is 30 s). */
const STOP_TIMEOUT_MS = 5000;

export async function controller(args: readonly string[]): Promise<number> {
  let values: { kubeconfig?: string; config?: string; namespace?: string };
  try {
    values = parseArgs({
      args: [...args],
      options: { kubeconfig: { type: 'string' }, config: { type: 'string' }, namespace: { type: 'string' } },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`k8s-bridge controller: ${(error as Error).message}\n${CONTROLLER_USAGE}\n`);
    return 2;
  }
  const identity = process.env['POD_NAME'] ?? hostname();
  const log = createLogger().child({ component: 'controller', identity });
  let config: BridgeConfig | undefined;
  let controllerInstance: Controller;
  try {
    if (values.config !== undefined) config = loadConfigFile(values.config);
    const namespace = values.namespace ?? config?.namespace ?? DEFAULT_NAMESPACE;
    controllerInstance = new Controller({
      kubeConfig: loadKubeConfig(values.kubeconfig),
      namespace,
      identity,
      logger: log,
      ...(config === undefined ? {} : { config }),
    });
  } catch (error) {
    process.stderr.write(`k8s-bridge controller: ${(error as Error).message}\n`);
    return 1;
  }
  for (const warning of config?.warnings ?? []) log.warn(warning);
  const stopping = nextStopSignal();
  const started = controllerInstance.start().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const first = await Promise.race([started, stopping.then((signal) => ({ signal }))]);
  if (first instanceof Error) {
    process.stderr.write(`k8s-bridge controller: ${first.message}\n`);
    await controllerInstance.stop();
    return 1;
  }
  log.info('k8s-bridge controller running');
  const signal = first === undefined ? await stopping : first.signal;
  log.info({ signal }, 'shutting down');
  await Promise.race([controllerInstance.stop(), new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())]);
  return 0;
}

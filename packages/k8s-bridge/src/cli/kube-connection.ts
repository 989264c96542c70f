/**
 * The API server connection of the in-cluster modes: a kubeconfig file when --kubeconfig is
 * given; in a pod, its service account (KUBERNETES_SERVICE_HOST is set there); otherwise the
 * client's default ($KUBECONFIG, then ~/.kube/config).
 */
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** Resolves with the signal's name at the first SIGTERM or SIGINT. */
export function nextStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => () => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve(signal);
    };
    const term = on('SIGTERM');
    const int = on('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
  });
}

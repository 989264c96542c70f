/**
 * A kubeconfig for the test API server: plain HTTP on loopback, no credentials.
 *
 * @kubernetes/client-node 1.4.0 refuses an http:// server unless the cluster sets
 * `skipTLSVerify` (config.js createAgent: "HTTP protocol is not allowed when skipTLSVerify is not
 * set or false"), so both forms set it.
 */
import { writeFile } from 'node:fs/promises';

const NAME = 'k8s-api-test';

/** The object `KubeConfig.loadFromOptions()` takes. */
export interface KubeconfigOptions {
  readonly clusters: ReadonlyArray<{ readonly name: string; readonly server: string; readonly skipTLSVerify: boolean }>;
  readonly users: ReadonlyArray<{ readonly name: string }>;
  readonly contexts: ReadonlyArray<{ readonly name: string; readonly cluster: string; readonly user: string; readonly namespace: string }>;
  readonly currentContext: string;
}

export function kubeconfigOptions(serverUrl: string, namespace = 'default'): KubeconfigOptions {
  return {
    clusters: [{ name: NAME, server: serverUrl, skipTLSVerify: true }],
    users: [{ name: NAME }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace }],
    currentContext: NAME,
  };
}

/** A kubeconfig file's text. It is JSON, which every YAML 1.2 reader (kubectl, client-node) accepts. */
export function kubeconfigText(serverUrl: string, namespace = 'default'): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name: NAME, user: {} }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
    preferences: {},
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export async function writeKubeconfig(path: string, serverUrl: string, namespace = 'default'): Promise<void> {
  await writeFile(path, kubeconfigText(serverUrl, namespace), { mode: 0o600 });
}

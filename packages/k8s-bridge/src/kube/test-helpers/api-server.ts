/**
 * The test API server (test/k8s-api) with a KubeConfig pointing at it, for tests that run the
 * real @kubernetes/client-node against it.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { TestApiServer, type TestApiServerOptions } from '../../../../../test/k8s-api/server.js';

export { TestApiServer } from '../../../../../test/k8s-api/server.js';
export { eventually } from '../../../../../test/k8s-api/raw-http.js';

export interface ApiServerFixture {
  readonly server: TestApiServer;
  readonly kc: KubeConfig;
}

/** Starts a server, closes it when the test ends. */
export async function startApiServer(t: { teardown(fn: () => unknown): void }, options?: TestApiServerOptions): Promise<ApiServerFixture> {
  const server = await TestApiServer.start(options);
  t.teardown(() => server.close());
  const kc = new KubeConfig();
  kc.loadFromOptions(server.kubeconfigOptions());
  return { server, kc };
}

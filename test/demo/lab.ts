/**
 * The README's main job: the seed's BGP example (with its password) in the lab, Services from a
 * fixture file, the router's table showing the Service IPs.
 *
 * A router namespace holds 192.0.2.1 and runs FRR as AS 64512 with the MD5 password `changeme`; a
 * node namespace holds 192.0.2.100 and runs `k8s-bridge standalone` as the Kubernetes node
 * node-1, with the seed's kubespray variables unchanged (fixtures/k8s-bridge/kubespray-bgp-password.yaml)
 * and a cluster file of Services, EndpointSlices and the Node (fixtures/k8s-bridge/e2e/demo-services.yaml).
 * k8s-bridge gives every LoadBalancer Service an address from 10.5.0.0/16 and announces it; the
 * demo prints the allocations, `bgp-speaker neighbors` on the node and FRR's BGP table, then removes
 * everything (`--keep` waits for Ctrl-C first).
 *
 * `--layer2` runs the seed's default mode instead: lab-layer2.ts.
 */
import { readFile } from 'node:fs/promises';
import { FrrRouter } from '../lab/frr.js';
import { Lab } from '../lab/netns.js';
import { BridgeProcess, bridgeFixture } from '../support/bridge.js';
import { layer2Demo } from './lab-layer2.js';

const SEED = {
  router: { address: '192.0.2.1', address6: '2001:db8::1', asn: 64512 },
  node: { name: 'node-1', address: '192.0.2.100', asn: 4200000000 },
  password: 'changeme',
  config: bridgeFixture('kubespray-bgp-password.yaml'),
  services: bridgeFixture('e2e/demo-services.yaml'),
  /** The LoadBalancer Services of demo-services.yaml (its ClusterIP Service is not ours). */
  loadBalancers: ['default/web', 'default/api', 'ingress-nginx/ingress-nginx-controller'],
} as const;

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const lab = await Lab.create();
  const stop = () => void lab.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (process.argv.includes('--layer2')) return await layer2Demo(lab, say, keep);
    say(`lab: building the seed topology (router ${SEED.router.address} <-> node ${SEED.node.address}) in network namespaces`);
    const { router: routerNode, node } = await lab.seedTopology();

    say(`lab: starting FRR as AS ${SEED.router.asn} at ${SEED.router.address} (password set)`);
    const frr = new FrrRouter();
    await frr.start({
      runner: routerNode,
      name: 'r1',
      asn: SEED.router.asn,
      routerId: SEED.router.address,
      ipv6NextHop: SEED.router.address6,
      neighbors: [{ address: SEED.node.address, asn: SEED.node.asn, password: SEED.password }],
    });

    say(`lab: starting k8s-bridge standalone on ${SEED.node.name} (${SEED.node.address})`);
    say(`       --config   ${SEED.config}`);
    say(`       --services ${SEED.services}`);
    const bridge = new BridgeProcess(node);
    await bridge.start({
      config: { file: SEED.config },
      cluster: await readFile(SEED.services, 'utf8'),
      nodeName: SEED.node.name,
    });
    const allocations = await bridge.waitAllocated(SEED.loadBalancers, 20_000);
    await bridge.waitEstablished(SEED.router.address, 30_000);
    for (const { ips } of allocations.values()) {
      for (const ip of ips) await frr.waitRoute(ip.includes(':') ? 'ipv6' : 'ipv4', `${ip}/${ip.includes(':') ? 128 : 32}`, 20_000);
    }

    say('\n=== k8s-bridge: the Services\' addresses (from its log) ===');
    for (const [service, { ips, pool }] of allocations) say(`${service.padEnd(42)} ${ips.join(', ').padEnd(16)} pool ${pool}`);
    say('\n=== bgp-speaker neighbors (on the node, through k8s-bridge\'s control socket) ===');
    process.stdout.write(await bridge.cli(['neighbors']));
    say('\n=== FRR: show bgp summary (on the router) ===');
    process.stdout.write(await frr.vtysh('show bgp summary'));
    say(`\n=== FRR: show bgp ipv4 unicast: the Service IPs, from AS ${SEED.node.asn} ===`);
    process.stdout.write(await frr.vtysh('show bgp ipv4 unicast'));

    if (keep) {
      say(`\nlab: running; namespaces ${lab.namespaceNames.join(', ')}.`);
      say(`lab: edit ${bridge.clusterPath} and k8s-bridge applies it. Ctrl-C removes everything.`);
      await new Promise<never>(() => {});
    }
    say('\nlab: done, removing the namespaces');
    return 0;
  } catch (error) {
    process.stderr.write(`lab: FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await lab.close();
  }
}

main().then((code) => process.exit(code));

/**
 * `npm run lab -- --layer2`: the seed's default mode, Layer 2, in the lab. Three Kubernetes nodes
 * and a client on one Ethernet segment (a bridge), each node running `k8s-bridge standalone` with
 * the seed's kubespray variables for Layer 2 unchanged (fixtures/k8s-bridge/kubespray-layer2-default.yaml:
 * metallb_ip_range 10.5.0.0/16, kube_proxy_strict_arp true). The client treats 10.5.0.0/16 as on its
 * LAN, as a host of that LAN would. The demo prints the allocations, which node answers ARP for
 * each address (arping from the client), then kills the owner of the first Service with SIGKILL
 * and shows the client's neighbour entry moving to the next node, with the failover time.
 */
import { readFile } from 'node:fs/promises';
import type { Lab } from '../lab/netns.js';
import { run } from '../lab/proc.js';
import { bridgeFixture, endpointSlice, loadBalancerService } from '../support/bridge.js';
import {
  AnnouncementCapture,
  arping,
  buildLayer2Topology,
  expectedLayer2Owner,
  isGratuitousArpFor,
  layer2ClusterNodes,
  neighbourEntry,
  rankLayer2Nodes,
  resolveNeighbour,
  startLayer2Speakers,
  waitLayer2Settled,
  waitNeighbourMac,
} from '../support/layer2-lab.js';
import type { CapturedArp } from '../support/layer2-lab.js';

const SEED_LAYER2 = bridgeFixture('kubespray-layer2-default.yaml');
const SEED_POOL = '10.5.0.0/16';
/** The LoadBalancer Services of the BGP demo's cluster file, with ready endpoints. */
const SERVICES = [
  { namespace: 'default', name: 'web', port: 80 },
  { namespace: 'default', name: 'api', port: 443 },
  { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', port: 443 },
] as const;

export async function layer2Demo(lab: Lab, say: (text: string) => void, keep: boolean): Promise<number> {
  say('lab: building a LAN in network namespaces: a client (192.0.2.1) and node-a/b/c (192.0.2.11-13) on one bridge');
  const topology = await buildLayer2Topology(lab, { secondSegment: false });
  const { client, hosts } = topology;
  await run('ip', ['-n', client.ns, 'route', 'add', SEED_POOL, 'dev', 'eth0']);
  const names = hosts.map((h) => h.nodeName);

  say(`lab: starting k8s-bridge standalone on ${names.join(', ')} with the seed's Layer 2 variables`);
  say(`       --config ${SEED_LAYER2}`);
  const cluster = [
    ...layer2ClusterNodes(hosts),
    ...SERVICES.flatMap((s, i) => [
      loadBalancerService(s.namespace, s.name, { port: s.port }),
      endpointSlice(s.namespace, s.name, [{ address: `10.244.0.${11 + i}`, nodeName: names[i % names.length] ?? 'node-a' }], s.port),
    ]),
  ];
  const speakers = await startLayer2Speakers(hosts, { config: await readFile(SEED_LAYER2, 'utf8'), cluster });
  const keys = SERVICES.map((s) => `${s.namespace}/${s.name}`);
  const allocations = await speakers[0]!.bridge.waitAllocated(keys, 20_000);
  const owners = new Map<string, string>();
  for (const { ips } of allocations.values()) for (const ip of ips) owners.set(ip, expectedLayer2Owner(ips[0] ?? ip, names));
  await waitLayer2Settled(speakers, owners, 15_000);

  say('\n=== k8s-bridge: the Services\' addresses, and the node elected to answer for each ===');
  for (const [service, { ips, pool }] of allocations) {
    const first = ips[0] ?? '';
    say(`${service.padEnd(42)} ${ips.join(', ').padEnd(12)} pool ${pool.padEnd(13)} ranking ${rankLayer2Nodes(first, names).join(' > ')}`);
  }

  say('\n=== the client: arping each address (who answers, with which MAC) ===');
  for (const ip of owners.keys()) {
    const result = await arping(client, ip, { count: 2 });
    const macs = [...new Set(result.replies.map((r) => r.mac))];
    say(`${ip.padEnd(12)} ${result.received}/${result.sent} replies from ${macs.map((mac) => `${mac} (${topology.hostByMac(mac)?.nodeName ?? 'unknown'})`).join(', ') || 'nobody'}`);
  }

  const [web] = allocations.get('default/web')?.ips ?? [];
  if (web === undefined) throw new Error('default/web has no address');
  const owner = topology.host(owners.get(web) ?? '');
  await resolveNeighbour(client, web);
  await waitNeighbourMac(client, web, owner.eth0.mac, 3000);
  say(`\n=== failover: SIGKILL of ${owner.nodeName}'s speaker, which answers for ${web} ===`);
  say(`client: ${web} is at ${(await neighbourEntry(client, web))?.mac ?? '?'} (${owner.nodeName})`);
  const capture = await AnnouncementCapture.start(client);
  const killedAt = Date.now();
  await speakers.find((s) => s.host === owner)!.bridge.kill();
  const takeover = await capture.waitFor(
    (p): p is CapturedArp => isGratuitousArpFor(web)(p) && p.senderMac !== owner.eth0.mac && p.timeMs >= killedAt,
    5000,
    `a gratuitous ARP for ${web} from another node`,
  );
  const next = topology.hostByMac(takeover.senderMac);
  say(`${next?.nodeName ?? takeover.senderMac} announced ${web} (gratuitous ARP) ${(takeover.timeMs - killedAt).toFixed(0)} ms after the kill`);
  const moved = await waitNeighbourMac(client, web, takeover.senderMac, 2000);
  say(`client: ${web} is now at ${moved.mac} (${next?.nodeName ?? '?'}), without asking`);
  await capture.stop();

  if (keep) {
    say(`\nlab: running; namespaces ${lab.namespaceNames.join(', ')}. Ctrl-C removes everything.`);
    await new Promise<never>(() => {});
  }
  say('\nlab: done, removing the namespaces');
  return 0;
}

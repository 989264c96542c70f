/**
 * End to end, Layer 2 mode (issue 5): three Kubernetes nodes and a client on one bridge, each node
 * running `k8s-bridge standalone` with MetalLB CRDs (an IPAddressPool in the client's subnets and
 * an L2Advertisement on eth0 only). Every node also has an eth1 on a second bridge with client2:
 * an excluded interface.
 *
 * What the client sees is checked from the wire: exactly one ARP / NDP answer per request, from
 * the MAC of the node that MetalLB's election (sha256 of "node#firstIP", lowest wins, computed
 * here from the definition) makes the owner; nothing for a pool address no Service holds; nothing
 * at all for the Service addresses on the excluded segment. Then the owner's speaker is SIGKILLed:
 * the next-ranked node's gratuitous ARP reaches the client in under a second (the time is printed),
 * the client's neighbour entries move to its MAC, and it alone answers from then on.
 */
import t from 'tap';
import { Lab } from '../lab/netns.js';
import { sleep } from '../lab/proc.js';
import { endpointSlice } from '../support/bridge.js';
import {
  AnnouncementCapture,
  arping,
  buildLayer2Topology,
  canonicalIp,
  expectedLayer2Owner,
  isGratuitousArpFor,
  isUnsolicitedAdvertFor,
  layer2ClusterNodes,
  layer2CrdConfig,
  layer2Logs,
  layer2Service,
  metricForIp,
  ndisc6,
  neighbourEntry,
  rankLayer2Nodes,
  resolveNeighbour,
  scrapeMetrics,
  startLayer2Speakers,
  waitLayer2Settled,
  waitNeighbourMac,
} from '../support/layer2-lab.js';
import type { ArpingResult, CapturedAdvert, CapturedAnnouncement, CapturedArp, Layer2Host, Layer2Speaker } from '../support/layer2-lab.js';

/** The pool: four addresses of each family in the client's subnets (192.0.2.200-203, 2001:db8::200-203). */
const POOL_V4 = ['192.0.2.200', '192.0.2.201', '192.0.2.202', '192.0.2.203'];
const POOL_V6 = ['2001:db8::200', '2001:db8::201', '2001:db8::202', '2001:db8::203'];
const CONFIG = layer2CrdConfig({ addresses: ['192.0.2.200/30', '2001:db8::200/126'], interfaces: ['eth0'] });
/** Each speaker's metrics, on its namespace's own loopback. */
const METRICS = '127.0.0.1:7472';
/** A new owner sends gratuitous ARP / unsolicited NA at once and 4 more times 750 ms apart. */
const ANNOUNCE_BURST_MS = 4 * 750 + 300;
const FAILOVER_LIMIT_MS = 1000;

/** Waits until `ms` after `since` (Date.now() time); returns at once if that has passed. */
async function until(since: number, ms: number): Promise<void> {
  await sleep(Math.max(0, since + ms - Date.now()));
}

function describeArping(result: ArpingResult): string {
  return result.output.trim().split('\n').join(' | ');
}

/** The captured ARP / NA packets that concern `ips` and come from one of the `hosts` (by Ethernet source). */
function announcementsFor(packets: readonly CapturedAnnouncement[], ips: readonly string[], hosts: readonly Layer2Host[]): CapturedAnnouncement[] {
  const wanted = new Set(ips.map(canonicalIp));
  const macs = new Set(hosts.flatMap((h) => [h.eth0.mac, ...(h.eth1 === undefined ? [] : [h.eth1.mac])]));
  return packets.filter((p) => macs.has(p.ethSource) && (p.kind === 'arp' ? wanted.has(p.senderIp) || wanted.has(p.targetIp) : wanted.has(p.target)));
}

t.test('layer 2: the elected node alone answers ARP and NDP on eth0; SIGKILL hands its addresses over in under a second', { timeout: 90_000 }, async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test creates network namespaces: run it as root');
  const lab = await Lab.create(t);
  const topology = await buildLayer2Topology(lab);
  const { client, client2, hosts } = topology;
  if (client2 === undefined) throw new Error('the topology has no second segment');
  const names = hosts.map((h) => h.nodeName);
  t.equal(new Set(hosts.map((h) => h.eth0.mac)).size, hosts.length, 'three nodes, three eth0 MACs');

  // Both captures run for the whole test: the client's for the failover timing and for who spoke
  // when; client2's to show that nothing about a Service address ever reaches segment 2.
  const atClient = await AnnouncementCapture.start(client);
  const atClient2 = await AnnouncementCapture.start(client2);

  // web (dual-stack) takes the pool's first IPv4 address, the only Service wanting one. api asks for
  // an IPv6 address that another node owns, so the failover also shows an address that stays put.
  const webFirstOwner = expectedLayer2Owner(POOL_V4[0] ?? '', names);
  const apiRequest = POOL_V6.find((ip) => expectedLayer2Owner(ip, names) !== webFirstOwner);
  if (apiRequest === undefined) throw new Error(`every address of ${POOL_V6.join(', ')} elects ${webFirstOwner}: pick another pool`);
  const cluster = [
    ...layer2ClusterNodes(hosts),
    // MetalLB's memberlist Secret: the speakers sign their heartbeats with it.
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'memberlist', namespace: 'metallb-system' }, stringData: { secretkey: 'e2e memberlist key' } },
    layer2Service('default', 'web', 'dual'),
    endpointSlice('default', 'web', [{ address: '10.244.2.10', nodeName: 'node-b' }]),
    layer2Service('default', 'api', 'IPv6', { loadBalancerIP: apiRequest }),
    endpointSlice('default', 'api', [{ address: '10.244.3.10', nodeName: 'node-c' }]),
  ];
  const speakers = await startLayer2Speakers(hosts, { config: CONFIG, cluster, extraArgs: () => ['--metrics', METRICS] });
  const speakerOf = (nodeName: string): Layer2Speaker => {
    const found = speakers.find((s) => s.host.nodeName === nodeName);
    if (found === undefined) throw new Error(`no speaker on ${nodeName}`);
    return found;
  };
  const logs = (): string => layer2Logs(speakers);

  // Allocations: the same on every node, from the pool.
  const first = speakers[0];
  if (first === undefined) throw new Error('no speaker');
  const allocated = await first.bridge.waitAllocated(['default/web', 'default/api']);
  for (const speaker of speakers.slice(1)) {
    t.same(await speaker.bridge.waitAllocated(['default/web', 'default/api']), allocated, `${speaker.host.nodeName} allocated the same addresses`);
  }
  const webIps = (allocated.get('default/web')?.ips ?? []).map(canonicalIp);
  const apiIps = (allocated.get('default/api')?.ips ?? []).map(canonicalIp);
  const [webV4, webV6] = webIps;
  const [apiV6] = apiIps;
  if (webIps.length !== 2 || webV4 === undefined || webV6 === undefined || webV4.includes(':') || !webV6.includes(':') || apiIps.length !== 1 || apiV6 === undefined) {
    throw new Error(`web should have an IPv4 and an IPv6 address, api one IPv6: ${JSON.stringify([...allocated])}\n${logs()}`);
  }
  t.ok(POOL_V4.includes(webV4) && POOL_V6.includes(webV6) && POOL_V6.includes(apiV6), `from the pool: web ${webV4} + ${webV6}, api ${apiV6}`);
  t.equal(webV4, POOL_V4[0], "web's IPv4 address is the pool's first");
  t.equal(apiV6, apiRequest, 'api has the address it asked for');
  const serviceIps = [webV4, webV6, apiV6];
  const unownedV4 = POOL_V4.filter((ip) => !serviceIps.includes(ip)).at(-1) ?? '';
  const unownedV6 = POOL_V6.filter((ip) => !serviceIps.includes(ip)).at(-1) ?? '';

  // The election, from its definition: a dual-stack Service goes by its first (IPv4) address.
  const webOwner = topology.host(expectedLayer2Owner(webV4, names));
  const apiOwner = topology.host(expectedLayer2Owner(apiV6, names));
  t.comment(`web ${webV4} / ${webV6}: ranking ${rankLayer2Nodes(webV4, names).join(' > ')}; api ${apiV6}: ranking ${rankLayer2Nodes(apiV6, names).join(' > ')}`);
  const owners = new Map([[webV4, webOwner.nodeName], [webV6, webOwner.nodeName], [apiV6, apiOwner.nodeName]]);
  await waitLayer2Settled(speakers, owners, 10_000);
  const settledAt = Date.now();
  t.pass(`every speaker sees ${names.join(', ')} alive; ${webOwner.nodeName} holds web, ${apiOwner.nodeName} holds api (per their logs)`);

  // Silence where there must be silence (run together; a new owner's announcements may still be
  // going out, which is fine: they carry other addresses, or go to the other segment's capture).
  const ownerEth1 = webOwner.eth1;
  if (ownerEth1 === undefined) throw new Error('no eth1');
  const [unownedArp, unownedNd, excludedArp, excludedWebNd, excludedApiNd, controlArp, controlNd] = await Promise.all([
    arping(client, unownedV4, { count: 2 }),
    ndisc6(client, unownedV6),
    arping(client2, webV4, { count: 2 }),
    ndisc6(client2, webV6),
    ndisc6(client2, apiV6),
    arping(client2, ownerEth1.ipv4, { count: 2 }),
    ndisc6(client2, ownerEth1.ipv6),
  ]);
  t.same(unownedArp.replies, [], `no ARP answer for ${unownedV4}, a pool address no Service holds (${describeArping(unownedArp)})`);
  t.equal(unownedArp.sent, 2, 'two requests went out for it');
  t.same(unownedNd.answers, [], `no NDP answer for ${unownedV6}, a pool address no Service holds`);
  t.same(excludedArp.replies, [], `client2 on the excluded eth1 segment: no ARP answer for ${webV4} (${describeArping(excludedArp)})`);
  t.same(excludedWebNd.answers, [], `client2: no NDP answer for ${webV6}`);
  t.same(excludedApiNd.answers, [], `client2: no NDP answer for ${apiV6}`);
  // The controls: segment 2 itself works (the owner's kernel answers for its own eth1 addresses).
  t.same(controlArp.replies.map((r) => r.mac), [ownerEth1.mac, ownerEth1.mac], `control: client2 does get ARP answers on its segment (${ownerEth1.ipv4})`);
  t.same(controlNd.answers.map((a) => a.mac), [ownerEth1.mac], `control: client2 does get NDP answers on its segment (${ownerEth1.ipv6})`);

  // The client's kernel resolves the Service addresses; only the owners can have answered.
  for (const ip of serviceIps) await resolveNeighbour(client, ip);
  const webEntry = await waitNeighbourMac(client, webV4, webOwner.eth0.mac, 3000);
  t.equal(webEntry.mac, webOwner.eth0.mac, `the client's neighbour entry for ${webV4}: ${webOwner.nodeName}'s MAC (${webEntry.state})`);
  const webEntry6 = await waitNeighbourMac(client, webV6, webOwner.eth0.mac, 3000);
  t.equal(webEntry6.mac, webOwner.eth0.mac, `the client's neighbour entry for ${webV6}: ${webOwner.nodeName}'s MAC (${webEntry6.state})`);
  const apiEntry = await waitNeighbourMac(client, apiV6, apiOwner.eth0.mac, 3000);
  t.equal(apiEntry.mac, apiOwner.eth0.mac, `the client's neighbour entry for ${apiV6}: ${apiOwner.nodeName}'s MAC`);

  // Exactly one answer per request, from the owner (after its takeover announcements are over, so
  // every reply counted is an answer to us).
  await until(settledAt, ANNOUNCE_BURST_MS);
  const [webArp, webNd, apiNd] = await Promise.all([arping(client, webV4, { count: 3 }), ndisc6(client, webV6), ndisc6(client, apiV6)]);
  t.equal(webArp.sent, 3, `arping ${webV4}: three requests (${describeArping(webArp)})`);
  t.equal(webArp.received, 3, 'three replies: one per request, no second answerer');
  t.same([...new Set(webArp.replies.map((r) => r.mac))], [webOwner.eth0.mac], `every reply from ${webOwner.nodeName}'s MAC ${webOwner.eth0.mac}`);
  t.ok(webArp.replies.every((r) => r.kind === 'Unicast' && r.ip === webV4), 'all unicast replies for the address asked');
  t.same(webNd.answers.map((a) => a.mac), [webOwner.eth0.mac], `ndisc6 ${webV6}: exactly one NA, target link-layer address ${webOwner.nodeName}'s`);
  t.same(apiNd.answers.map((a) => a.mac), [apiOwner.eth0.mac], `ndisc6 ${apiV6}: exactly one NA, from ${apiOwner.nodeName}`);

  // The speakers' own counters agree: only the owner answered requests.
  for (const speaker of speakers) {
    const samples = await scrapeMetrics(speaker.host.node, METRICS);
    const responses = metricForIp(samples, 'metallb_layer2_responses_sent', webV4);
    if (speaker.host === webOwner) t.ok(responses >= 3, `${speaker.host.nodeName}: metallb_layer2_responses_sent{ip="${webV4}"} = ${responses} (at least the 3 arpings)`);
    else t.equal(responses, 0, `${speaker.host.nodeName}: metallb_layer2_responses_sent{ip="${webV4}"} = 0`);
  }

  // Since the speakers settled, every ARP / NA about the Service addresses on the client's segment
  // came from the node that owns that address.
  const steady = announcementsFor(atClient.packets, serviceIps, hosts).filter((p) => p.timeMs >= settledAt);
  const aboutIp = (p: CapturedAnnouncement): string => (p.kind === 'na' ? p.target : serviceIps.includes(p.senderIp) ? p.senderIp : p.targetIp);
  const strangers = steady.filter((p) => p.ethSource !== topology.host(owners.get(aboutIp(p)) ?? webOwner.nodeName).eth0.mac);
  t.ok(steady.length > 0, `${steady.length} ARP/NA packets about the Service addresses captured at the client since the speakers settled`);
  t.same(strangers, [], 'none of them from a node that does not own the address');

  // Failover: SIGKILL the web owner's speaker.
  const survivors = names.filter((n) => n !== webOwner.nodeName);
  const newWebOwner = topology.host(expectedLayer2Owner(webV4, survivors));
  const newApiOwner = topology.host(expectedLayer2Owner(apiV6, survivors));
  t.equal(newWebOwner.nodeName, rankLayer2Nodes(webV4, names)[1], `the next-ranked node for ${webV4} is ${newWebOwner.nodeName}`);
  const killedAt = Date.now();
  await speakerOf(webOwner.nodeName).bridge.kill();
  const gratuitous = await atClient.waitFor(
    (p): p is CapturedArp => isGratuitousArpFor(webV4)(p) && p.senderMac !== webOwner.eth0.mac && p.timeMs >= killedAt,
    5000,
    `gratuitous ARP for ${webV4} from a node other than ${webOwner.nodeName}`,
  );
  const failoverMs = gratuitous.timeMs - killedAt;
  t.comment(`failover (IPv4): ${failoverMs.toFixed(1)} ms from SIGKILL of ${webOwner.nodeName}'s speaker to ${newWebOwner.nodeName}'s first gratuitous ARP (${gratuitous.operation}) at the client`);
  t.equal(gratuitous.senderMac, newWebOwner.eth0.mac, `the first gratuitous ARP for ${webV4} comes from ${newWebOwner.nodeName}`);
  t.ok(failoverMs < FAILOVER_LIMIT_MS, `failover ${failoverMs.toFixed(1)} ms is under ${FAILOVER_LIMIT_MS} ms`);
  const advert = await atClient.waitFor(
    (p): p is CapturedAdvert => isUnsolicitedAdvertFor(webV6)(p) && p.ethSource !== webOwner.eth0.mac && p.timeMs >= killedAt,
    5000,
    `unsolicited NA for ${webV6} from a node other than ${webOwner.nodeName}`,
  );
  const failover6Ms = advert.timeMs - killedAt;
  t.comment(`failover (IPv6): ${failover6Ms.toFixed(1)} ms to ${newWebOwner.nodeName}'s first unsolicited NA (override) for ${webV6}`);
  t.equal(advert.targetLinkAddress, newWebOwner.eth0.mac, `the NA for ${webV6} carries ${newWebOwner.nodeName}'s MAC with the override flag`);
  t.ok(failover6Ms < FAILOVER_LIMIT_MS, `IPv6 failover ${failover6Ms.toFixed(1)} ms is under ${FAILOVER_LIMIT_MS} ms`);

  // The client's kernel follows without asking.
  const movedAt = Date.now();
  const moved = await waitNeighbourMac(client, webV4, newWebOwner.eth0.mac, 2000);
  t.equal(moved.mac, newWebOwner.eth0.mac, `the client's neighbour entry for ${webV4} moved to ${newWebOwner.nodeName}'s MAC (${moved.state}, seen ${Date.now() - movedAt} ms after the NA wait)`);
  const moved6 = await waitNeighbourMac(client, webV6, newWebOwner.eth0.mac, 2000);
  t.equal(moved6.mac, newWebOwner.eth0.mac, `the client's neighbour entry for ${webV6} moved too (${moved6.state})`);

  const survivorSpeakers = speakers.filter((s) => s.host !== webOwner);
  const newOwners = new Map([[webV4, newWebOwner.nodeName], [webV6, newWebOwner.nodeName], [apiV6, newApiOwner.nodeName]]);
  await waitLayer2Settled(survivorSpeakers, newOwners, 5000);
  t.not(apiOwner.nodeName, webOwner.nodeName, `api (${apiV6}) was on another node than web`);
  t.equal(newApiOwner, apiOwner, `api stays on ${apiOwner.nodeName}: only the dead node's addresses move`);
  t.equal((await neighbourEntry(client, apiV6))?.mac, apiOwner.eth0.mac, `the client's neighbour entry for ${apiV6} still has ${apiOwner.nodeName}'s MAC`);
  const apiReannounced = atClient.packets.filter((p) => isUnsolicitedAdvertFor(apiV6)(p) && p.timeMs >= killedAt);
  t.same(apiReannounced, [], `no unsolicited NA for ${apiV6} after the kill: its owner did not change`);

  // Once the new owner's announcements are over: exactly one answer, from the new owner.
  await until(gratuitous.timeMs, ANNOUNCE_BURST_MS);
  const [afterArp, afterNd, afterApiNd] = await Promise.all([arping(client, webV4, { count: 3 }), ndisc6(client, webV6), ndisc6(client, apiV6)]);
  t.equal(afterArp.sent, 3, `after the failover, arping ${webV4}: three requests (${describeArping(afterArp)})`);
  t.equal(afterArp.received, 3, 'three replies');
  t.same([...new Set(afterArp.replies.map((r) => r.mac))], [newWebOwner.eth0.mac], `all from ${newWebOwner.nodeName}`);
  t.same(afterNd.answers.map((a) => a.mac), [newWebOwner.eth0.mac], `ndisc6 ${webV6}: one NA, from ${newWebOwner.nodeName}`);
  t.same(afterApiNd.answers.map((a) => a.mac), [newApiOwner.eth0.mac], `ndisc6 ${apiV6}: one NA, from ${newApiOwner.nodeName}`);
  const gratuitousSent = metricForIp(await scrapeMetrics(newWebOwner.node, METRICS), 'metallb_layer2_gratuitous_sent', webV4);
  t.ok(gratuitousSent > 0, `${newWebOwner.nodeName}: metallb_layer2_gratuitous_sent{ip="${webV4}"} = ${gratuitousSent}`);

  // Segment 2 (eth1, not in the L2Advertisement) never carried anything about a Service address.
  const leaked = announcementsFor(atClient2.packets, serviceIps, hosts);
  t.same(leaked, [], `over the whole test, no ARP or NA about ${serviceIps.join(', ')} from a node on the excluded segment`);
  t.ok(atClient2.packets.length > 0, `client2's capture works (${atClient2.packets.length} ARP/NA packets seen, the controls' among them)`);
  t.ok(speakers.every((s) => s.bridge.logLines().some((line) => line['msg'] === 'layer 2 heartbeats are signed with the memberlist Secret')), 'every speaker signed its heartbeats');
  t.ok(speakers.every((s) => !s.bridge.logs().includes('e2e memberlist key')), 'and logged the key nowhere');
  const errors = speakers.flatMap((s) => s.bridge.logLines().filter((line) => typeof line['level'] === 'number' && line['level'] >= 50));
  t.same(errors, [], 'no speaker logged an error (pino level 50 or above)');
});

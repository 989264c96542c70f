/**
 * layer2ClaimsForNode: the owner election of Layer 2 mode over MetalLB's objects. The expected
 * owner is computed here from the definition (sha256 of "node#ip", lowest wins), not taken from
 * the code under test.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { parseConfigText } from '../config/load.js';
import type { BridgeConfig } from '../config/model.js';
import { EXCLUDE_FROM_LB_LABEL } from './bgp-routes.js';
import type { AnnouncedService, NodeState } from './bgp-routes.js';
import { layer2ClaimsForNode } from './layer2-claims.js';

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: [192.168.10.240-192.168.10.250, fd00:10::/120]
`;

function l2(name: string, spec: string): string {
  return `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: ${name}, namespace: metallb-system }
spec:
${spec.trim().split('\n').map((line) => `  ${line}`).join('\n')}
`;
}

function config(...documents: string[]): BridgeConfig {
  return parseConfigText(documents.join('---\n'), 'layer2-claims.test.yaml');
}

const node = (name: string, labels: Record<string, string> = {}, networkUnavailable = false): NodeState => ({ name, labels, networkUnavailable });
const NODES = new Map([node('node-a'), node('node-b'), node('node-c')].map((n) => [n.name, n]));
const ALL = new Set(NODES.keys());

function service(name: string, ips: readonly string[], options: Partial<Omit<AnnouncedService, 'name' | 'ips'>> = {}): AnnouncedService {
  return {
    namespace: 'default',
    name,
    labels: options.labels ?? {},
    ips,
    pool: options.pool ?? 'lan',
    externalTrafficPolicy: options.externalTrafficPolicy ?? 'Cluster',
    readyEndpointNodes: options.readyEndpointNodes ?? new Set(['node-a']),
  };
}

/** The definition: lowest sha256(node + "#" + ip), as MetalLB's speaker ranks nodes. */
function expectedOwner(ip: string, nodes: readonly string[]): string | undefined {
  return [...nodes].sort((a, b) => {
    const ha = createHash('sha256').update(`${a}#${ip}`).digest('hex');
    const hb = createHash('sha256').update(`${b}#${ip}`).digest('hex');
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  })[0];
}

/** Who claims each address, asking every node. */
function claimsByNode(cfg: BridgeConfig, services: readonly AnnouncedService[], alive = ALL, nodes = NODES): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of alive) {
    for (const claim of layer2ClaimsForNode(cfg, name, nodes, alive, services).claims) out.set(claim.ip, [...(out.get(claim.ip) ?? []), name]);
  }
  return out;
}

t.test('exactly one node claims each service, the one the definition ranks first', async (t) => {
  const cfg = config(POOL, l2('lan', 'ipAddressPools: [lan]'));
  const services = Array.from({ length: 11 }, (_, i) => service(`s${i}`, [`192.168.10.${240 + i}`]));
  const claims = claimsByNode(cfg, services);
  t.equal(claims.size, 11, 'every address is claimed');
  for (const s of services) {
    const ip = s.ips[0] ?? '';
    t.same(claims.get(ip), [expectedOwner(ip, [...ALL])], `${ip}: one owner, the first ranked`);
  }
  t.ok(new Set([...claims.values()].flat()).size > 1, 'the addresses spread over more than one node');
});

t.test('a dead speaker is not eligible; only its addresses move', async (t) => {
  const cfg = config(POOL, l2('lan', 'ipAddressPools: [lan]'));
  const services = Array.from({ length: 11 }, (_, i) => service(`s${i}`, [`192.168.10.${240 + i}`]));
  const before = claimsByNode(cfg, services);
  const victim = before.get('192.168.10.240')?.[0] ?? '';
  const survivors = new Set([...ALL].filter((n) => n !== victim));
  const after = claimsByNode(cfg, services, survivors);
  for (const [ip, owners] of before) {
    if (owners[0] === victim) t.same(after.get(ip), [expectedOwner(ip, [...survivors])], `${ip} moved to the next-ranked survivor`);
    else t.same(after.get(ip), owners, `${ip} stayed where it was`);
  }
});

t.test('a dual-stack service lands on one node, elected by its first address', async (t) => {
  const cfg = config(POOL, l2('lan', 'ipAddressPools: [lan]'));
  const dual = service('dual', ['192.168.10.241', 'fd00:10::5']);
  const claims = claimsByNode(cfg, [dual]);
  const owner = expectedOwner('192.168.10.241', [...ALL]);
  t.same(claims.get('192.168.10.241'), [owner]);
  t.same(claims.get('fd00:10::5'), [owner], 'the IPv6 address goes with it');
});

t.test('eligibility: node selectors, exclusions, ready endpoints', async (t) => {
  const cfg = config(POOL, l2('workers', 'ipAddressPools: [lan]\nnodeSelectors: [{ matchLabels: { role: worker } }]'));
  const nodes = new Map([
    ['node-a', node('node-a', { role: 'worker' })],
    ['node-b', node('node-b', { role: 'worker', [EXCLUDE_FROM_LB_LABEL]: '' })],
    ['node-c', node('node-c', {})],
    ['node-d', node('node-d', { role: 'worker' }, true)],
  ]);
  const alive = new Set([...nodes.keys(), 'node-e']); // node-e: alive but no Node object
  const web = service('web', ['192.168.10.242'], { readyEndpointNodes: new Set(['node-c']) });
  const result = layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [web]);
  t.same(result.elections[0]?.eligible, ['node-a'], 'only node-a: b excluded, c not selected, d NetworkUnavailable, e unknown');
  t.same(result.claims.map((c) => c.ip), ['192.168.10.242'], 'so node-a answers, endpoints elsewhere do not matter (Cluster)');

  const local = service('local', ['192.168.10.243'], { externalTrafficPolicy: 'Local', readyEndpointNodes: new Set(['node-c']) });
  t.same(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [local]).elections[0], {
    service: 'default/local', ips: ['192.168.10.243'], eligible: [], owner: undefined,
  }, 'Local: the only endpoint is on a node that may not announce: nobody answers');

  const idle = service('idle', ['192.168.10.244'], { readyEndpointNodes: new Set() });
  t.same(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [idle]).claims, [], 'no ready endpoint anywhere: nobody answers');
});

t.test('Local: only nodes with a ready endpoint are eligible', async (t) => {
  const cfg = config(POOL, l2('lan', 'ipAddressPools: [lan]'));
  const local = service('local', ['192.168.10.245'], { externalTrafficPolicy: 'Local', readyEndpointNodes: new Set(['node-b', 'node-c']) });
  const election = layer2ClaimsForNode(cfg, 'node-a', NODES, ALL, [local]).elections[0];
  t.same(election?.eligible, ['node-b', 'node-c']);
  t.equal(election?.owner, expectedOwner('192.168.10.245', ['node-b', 'node-c']));
});

t.test('interfaces: the union of the advertisements selecting the owner; none named means the defaults', async (t) => {
  const cfg = config(
    POOL,
    l2('eth', 'ipAddressPools: [lan]\ninterfaces: [eth1, eth0]'),
    l2('bond', 'ipAddressPools: [lan]\ninterfaces: [bond0]\nnodeSelectors: [{ matchLabels: { bonded: "yes" } }]'),
  );
  const nodes = new Map([['node-a', node('node-a', { bonded: 'yes' })], ['node-b', node('node-b')]]);
  const alive = new Set(['node-a']);
  const web = service('web', ['192.168.10.246']);
  t.same(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [web]).claims, [
    { ip: '192.168.10.246', interfaces: ['bond0', 'eth0', 'eth1'], defaultInterfaces: false, service: 'default/web' },
  ]);
  const withDefault = config(POOL, l2('eth', 'ipAddressPools: [lan]\ninterfaces: [eth1]'), l2('all', 'ipAddressPools: [lan]'));
  t.same(layer2ClaimsForNode(withDefault, 'node-a', nodes, alive, [web]).claims[0]?.defaultInterfaces, true);
});

t.test('service selectors and BGP-only pools', async (t) => {
  const cfg = config(
    POOL,
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: routed, namespace: metallb-system }
spec: { addresses: [10.5.0.0/24] }
`,
    `apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: routed, namespace: metallb-system }
spec: { ipAddressPools: [routed] }
`,
    l2('lan', 'ipAddressPools: [lan]\nserviceSelectors: [{ matchLabels: { exposure: lan } }]'),
  );
  const alive = new Set(['node-a']);
  const nodes = new Map([['node-a', node('node-a')]]);
  t.same(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [service('plain', ['192.168.10.247'])]).claims, [], 'not selected by the advertisement');
  t.equal(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [service('lan', ['192.168.10.247'], { labels: { exposure: 'lan' } })]).claims.length, 1);
  t.same(layer2ClaimsForNode(cfg, 'node-a', nodes, alive, [service('bgp', ['10.5.0.1'], { pool: 'routed' })]).claims, [], 'a BGP pool is not answered by ARP');
});

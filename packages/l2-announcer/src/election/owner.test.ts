import { createHash } from 'node:crypto';

import fc from 'fast-check';
import t from 'tap';

import { ownedBy, ownerOf, rankNodes } from './owner.js';

const NODES = ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5'];
const IPS = Array.from({ length: 250 }, (_, i) => `192.0.2.${i}`).concat(Array.from({ length: 50 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`));

/** The rule written out independently: lowest sha256("<node>#<ip>"), compared as bytes. */
function referenceOwner(ip: string, nodes: readonly string[]): string | undefined {
  let best: { node: string; digest: Buffer } | undefined;
  for (const node of nodes) {
    const digest = createHash('sha256').update(Buffer.from(`${node}#${ip}`, 'utf8')).digest();
    if (best === undefined || Buffer.compare(digest, best.digest) < 0) best = { node, digest };
  }
  return best?.node;
}

t.test('the owner is the node with the lowest sha256(node#ip), as MetalLB ranks', async (t) => {
  for (const ip of IPS) t.equal(ownerOf(ip, NODES), referenceOwner(ip, NODES), ip);
  t.equal(ownerOf('192.0.2.1', []), undefined, 'no eligible node, no owner');
  t.equal(ownerOf('192.0.2.1', ['only']), 'only');
});

t.test('deterministic and independent of input order and duplicates', async (t) => {
  fc.assert(
    fc.property(
      fc
        .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { minLength: 1, maxLength: 8 })
        .chain((nodes) =>
          fc.tuple(fc.constant(nodes), fc.shuffledSubarray(nodes, { minLength: nodes.length, maxLength: nodes.length })),
        ),
      fc.oneof(fc.ipV4(), fc.ipV6()),
      ([nodes, shuffled], ip) => {
        const owner = ownerOf(ip, nodes);
        return (
          owner !== undefined &&
          nodes.includes(owner) &&
          ownerOf(ip, shuffled) === owner &&
          ownerOf(ip, [...nodes, ...nodes].reverse()) === owner &&
          rankNodes(ip, shuffled)[0] === owner
        );
      },
    ),
  );
  t.strictSame(rankNodes('192.0.2.7', NODES), rankNodes('192.0.2.7', [...NODES].reverse()));
  t.equal(rankNodes('192.0.2.7', [...NODES, ...NODES]).length, NODES.length, 'duplicates removed');
});

t.test('every spelling of an IPv6 address elects the same node; not an IP is an error', async (t) => {
  for (let i = 1; i <= 40; i++) {
    const hex = i.toString(16);
    t.equal(ownerOf(`2001:DB8:0:0::${hex.toUpperCase()}`, NODES), ownerOf(`2001:db8::${hex}`, NODES));
  }
  t.throws(() => ownerOf('not-an-ip', NODES), RangeError);
});

t.test('addresses spread over the nodes', async (t) => {
  const counts = new Map<string, number>(NODES.map((node) => [node, 0]));
  for (const ip of IPS) {
    const owner = ownerOf(ip, NODES);
    if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  // 300 addresses over 5 nodes: 60 each on average; a share below 30 would mean a skewed hash.
  for (const [node, count] of counts) t.ok(count >= 30 && count <= 90, `${node} owns ${count}`);
});

t.test('removing a node moves only its addresses; adding one takes only addresses it wins', async (t) => {
  for (const removed of NODES) {
    const remaining = NODES.filter((node) => node !== removed);
    let moved = 0;
    for (const ip of IPS) {
      const before = ownerOf(ip, NODES);
      const after = ownerOf(ip, remaining);
      if (before === removed) {
        moved++;
        t.not(after, removed);
        // The new owner is the runner-up of the old ranking: the next node in line takes over.
        if (after !== rankNodes(ip, NODES)[1]) t.fail(`${ip} went to ${after}, not the runner-up`);
      } else if (after !== before) {
        t.fail(`${ip} moved from ${before} to ${after} though ${removed} did not own it`);
      }
    }
    t.ok(moved > 0, `${removed} owned ${moved} addresses, all moved`);
  }
  const grown = [...NODES, 'worker-6'];
  for (const ip of IPS) {
    const after = ownerOf(ip, grown);
    if (after !== 'worker-6' && after !== ownerOf(ip, NODES)) t.fail(`${ip} moved between old nodes`);
  }
  t.pass('checked every address');
});

t.test('ownedBy partitions the addresses among the eligible nodes', async (t) => {
  // worker-5 is not eligible for the IPv6 addresses (an L2Advertisement node selector, say).
  const eligibleFor = (ip: string): readonly string[] => (ip.includes(':') ? NODES.slice(0, 4) : NODES);
  const seen = new Map<string, string>();
  for (const node of NODES) {
    for (const ip of ownedBy(node, IPS, eligibleFor)) {
      if (seen.has(ip)) t.fail(`${ip} has two owners: ${seen.get(ip)} and ${node}`);
      seen.set(ip, node);
    }
  }
  t.equal(seen.size, IPS.length, 'every address has an owner');
  t.notOk([...seen].some(([ip, node]) => ip.includes(':') && node === 'worker-5'), 'worker-5 owns no IPv6 address');
  t.strictSame(ownedBy('nobody', IPS, eligibleFor), []);
});

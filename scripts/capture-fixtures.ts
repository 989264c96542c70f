// Captures real BGP messages exchanged by FRR, GoBGP and BIRD and writes them
// as fixtures: fixtures/captured/<sender>/<nn>-<type>-<what>.hex (lowercase hex,
// whole message with its 19-byte header) and fixtures/captured/index.json.
//
// Run (as root; about 10 s; it replaces the previous capture):
//   cd /work/main && npx tap scripts/capture-fixtures.ts
// It is a tap file so it runs TypeScript the same way as the tests and can
// check what it captured; it is not matched by tap's default test patterns,
// so the normal test suite does not run it.
//
// Topology: three namespaces on one bridge, tcpdump on the bridge.
//   frr   192.0.2.1  AS 64512       (FRR bgpd, no zebra)
//   gobgp 192.0.2.2  AS 4200000000  (a 4-octet AS: its OPEN says AS_TRANS 23456)
//   bird  192.0.2.3  AS 64514
// Sessions (all over IPv4, each carrying IPv4 and IPv6 unicast):
//   frr   <-> gobgp  4-octet AS
//   gobgp <-> bird   4-octet AS; IPv6 routes carry an IPv4-mapped IPv6 next hop
//                    (::ffff:192.0.2.x) both ways (BIRD: `extended next hop on`)
//   bird  <-> frr    BIRD `enable as4 off`: a 2-octet session, so routes from
//                    AS 4200000000 carry AS_TRANS in AS_PATH plus an AS4_PATH
// Each router originates an IPv4 and an IPv6 route with communities, large
// communities and a MED, later withdraws one, and finally shuts one session
// down with an RFC 9003 message (NOTIFICATION Cease/Administrative Shutdown).

import t from 'tap';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Lab } from '../test/lab/netns.js';
import { FrrRouter } from '../test/lab/frr.js';
import { GobgpRouter } from '../test/lab/gobgp.js';
import { BirdRouter } from '../test/lab/bird.js';
import { sleep } from '../test/lab/proc.js';
import { PacketCapture, readTcpSegments, reassemble, splitBgpMessages } from '../test/lab/capture.js';
import { describeMessage, messageType } from '../test/lab/describe-message.js';
import type { MessageTypeName } from '../test/lab/describe-message.js';

const OUT = fileURLToPath(new URL('../fixtures/captured/', import.meta.url));
/** Keep the fixture set small. */
const MAX_MESSAGES = 42;
/** Announcing UPDATEs kept per sender and session kind (2- or 4-octet AS). */
const ANNOUNCES_PER_SESSION_KIND = 4;

const FRR = { name: 'frr', address: '192.0.2.1', ipv6: '2001:db8::1', asn: 64512 } as const;
const GOBGP = { name: 'gobgp', address: '192.0.2.2', ipv6: '2001:db8::2', asn: 4_200_000_000 } as const;
const BIRD = { name: 'bird', address: '192.0.2.3', ipv6: '2001:db8::3', asn: 64514 } as const;
const ROUTERS = [FRR, GOBGP, BIRD];

interface IndexEntry {
  file: string;
  sender: string;
  senderVersion: string;
  receiver: string;
  type: MessageTypeName;
  length: number;
  /** Whether the session this message was sent on negotiated 4-octet AS numbers (RFC 6793). */
  fourOctetAs: boolean;
  description: string;
}

t.test('capture BGP fixtures from FRR, GoBGP and BIRD', async (t) => {
  const lab = await Lab.create(t);
  const { nodes, bridge } = await lab.segmentOf(
    ROUTERS.map((r) => ({ name: r.name, addresses: [`${r.address}/24`, `${r.ipv6}/64`] })),
  );
  const [frrNode, gobgpNode, birdNode] = nodes;
  if (frrNode === undefined || gobgpNode === undefined || birdNode === undefined) throw new Error('lab nodes missing');
  const capture = await PacketCapture.start(bridge, 'br0', await lab.tempDir('capture'));

  const frr = new FrrRouter();
  const gobgp = new GobgpRouter();
  const bird = new BirdRouter();
  await frr.announce('198.51.100.0/24', { communities: ['64512:100', '64512:200'], largeCommunities: ['64512:1:1'], med: 10 });
  await frr.announce('2001:db8:100::/48', { communities: ['64512:600'], largeCommunities: ['64512:6:6'], med: 11 });
  await gobgp.announce('198.51.101.0/24', { communities: ['65000:101'], largeCommunities: ['4200000000:1:2'], med: 20 });
  await gobgp.announce('2001:db8:200::/48', { nextHop: GOBGP.ipv6, communities: ['65000:201'], largeCommunities: ['4200000000:2:2'] });
  await bird.announce('198.51.102.0/24', { communities: ['64514:100', 'no-export'], largeCommunities: ['64514:5:6'], med: 30 });
  await bird.announce('2001:db8:300::/48', { communities: ['64514:600'], largeCommunities: ['64514:6:6'], med: 31 });

  await frr.start({
    runner: frrNode, name: 'frr', asn: FRR.asn, routerId: FRR.address, ipv6NextHop: FRR.ipv6,
    neighbors: [
      { address: GOBGP.address, asn: GOBGP.asn },
      { address: BIRD.address, asn: BIRD.asn, multihop: true },
    ],
  });
  await gobgp.start({
    runner: gobgpNode, name: 'gobgp', asn: GOBGP.asn, routerId: GOBGP.address,
    neighbors: [
      { address: FRR.address, asn: FRR.asn },
      { address: BIRD.address, asn: BIRD.asn },
    ],
  });
  await bird.start({
    runner: birdNode, name: 'bird', asn: BIRD.asn, routerId: BIRD.address,
    neighbors: [
      { address: GOBGP.address, asn: GOBGP.asn, extendedNextHop: true },
      // multihop: no IPv6 link-local next hop, which FRR without zebra cannot take.
      { address: FRR.address, asn: FRR.asn, as4: false, multihop: true },
    ],
  });
  await Promise.all([
    frr.waitEstablished(GOBGP.address),
    frr.waitEstablished(BIRD.address),
    bird.waitEstablished(GOBGP.address),
  ]);

  // Every route reaches every router (a relayed one shows the AS4_PATH handling).
  await bird.waitRoute('ipv4', '198.51.101.0/24', 20_000, (r) => r.peer === FRR.address);
  await frr.waitRoute('ipv4', '198.51.101.0/24', 20_000, (r) => r.peer === BIRD.address);
  await frr.waitRoute('ipv4', '198.51.102.0/24');
  await frr.waitRoute('ipv6', '2001:db8:300::/48');
  await gobgp.waitRoute('ipv6', '2001:db8:300::/48');
  await bird.waitRoute('ipv6', '2001:db8:100::/48');
  await bird.waitRoute('ipv6', '2001:db8:200::/48');
  const relayed = await frr.waitRoute('ipv4', '198.51.101.0/24', 5_000, (r) => r.peer === BIRD.address);
  t.same(relayed.asPath, [BIRD.asn, GOBGP.asn], 'FRR rebuilt the 4-octet path from BIRD\'s AS_PATH + AS4_PATH');

  // Withdrawals: a plain IPv4 withdrawn-routes field and MP_UNREACH_NLRI.
  await frr.withdraw('198.51.100.0/24');
  await gobgp.withdraw('2001:db8:200::/48');
  await bird.withdraw('198.51.102.0/24');
  await gobgp.waitNoRoute('ipv4', '198.51.100.0/24');
  await bird.waitNoRoute('ipv6', '2001:db8:200::/48');
  await frr.waitNoRoute('ipv4', '198.51.102.0/24');

  // Administrative shutdowns with an RFC 9003 message, one per sender.
  await frr.disableNeighbor(GOBGP.address, 'FRR maintenance: fixture capture');
  await gobgp.disableNeighbor(BIRD.address, 'GoBGP maintenance: fixture capture');
  await bird.disableNeighbor(FRR.address, 'BIRD maintenance: fixture capture');
  await sleep(1_500);
  await capture.stop();

  const versions: Record<string, string> = {
    frr: await frr.version(),
    gobgp: await gobgp.version(),
    bird: await bird.version(),
  };
  const { entries, files, sessions } = await collect(capture.file, versions);

  await rm(OUT, { recursive: true, force: true });
  for (const r of ROUTERS) await mkdir(join(OUT, r.name), { recursive: true });
  for (const [file, hex] of files) await writeFile(join(OUT, file), `${hex}\n`);
  const index = {
    about:
      'Real BGP messages captured between FRR, GoBGP and BIRD in network namespaces by scripts/capture-fixtures.ts. ' +
      'Each .hex file is one whole message (marker, length, type, body) in lowercase hex. ' +
      'fourOctetAs says whether the session negotiated 4-octet AS numbers (RFC 6793), i.e. how to read AS_PATH. ' +
      'No session negotiated ADD-PATH or extended messages.',
    routers: Object.fromEntries(ROUTERS.map((r) => [r.name, { version: versions[r.name], asn: r.asn, address: r.address }])),
    sessions,
    messages: entries,
  };
  await writeFile(join(OUT, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);

  // What the capture must hold for the fixtures to be worth having.
  const has = (sender: string, type: MessageTypeName, text = ''): boolean =>
    entries.some((e) => e.sender === sender && e.type === type && e.description.includes(text));
  for (const r of ROUTERS) {
    t.ok(has(r.name, 'OPEN'), `${r.name} OPEN captured`);
    t.ok(has(r.name, 'KEEPALIVE'), `${r.name} KEEPALIVE captured`);
    t.ok(has(r.name, 'UPDATE', 'MP_REACH AFI 2'), `${r.name} IPv6 UPDATE captured`);
    t.ok(has(r.name, 'NOTIFICATION', 'shutdown communication'), `${r.name} Cease with message captured`);
  }
  t.ok(has('gobgp', 'OPEN', 'four-octet-as(4200000000)'), 'GoBGP OPEN carries AS 4200000000 in the capability');
  t.ok(has('frr', 'UPDATE', 'AS4_PATH'), 'FRR sent AS4_PATH on the 2-octet session');
  t.ok(has('bird', 'UPDATE', 'AS4_PATH'), 'BIRD sent AS4_PATH on the 2-octet session');
  t.ok(entries.some((e) => e.type === 'UPDATE' && e.description.includes('withdraws')), 'a withdrawal captured');
  t.ok(entries.length <= MAX_MESSAGES, `at most ${MAX_MESSAGES} fixtures (${entries.length})`);
  t.ok(sessions.some((s) => !s.fourOctetAs) && sessions.some((s) => s.fourOctetAs), 'both 2- and 4-octet sessions');
});

/** A distinct captured message before the final selection. */
interface Candidate {
  sender: string;
  receiver: string;
  message: Buffer;
  slug: string;
  summaryType: MessageTypeName;
  description: string;
  fourOctetAs: boolean;
  /** Capture order. */
  order: number;
}

interface SessionInfo {
  connection: string;
  fourOctetAs: boolean;
  /** Capabilities both OPENs carried (by name). */
  negotiated: string[];
}

/** Reads the pcap and picks the distinct messages per sender. */
async function collect(
  pcap: string,
  versions: Record<string, string>,
): Promise<{ entries: IndexEntry[]; files: [string, string][]; sessions: SessionInfo[] }> {
  const flows = reassemble(await readTcpSegments(pcap));
  const nameOf = (address: string): string => ROUTERS.find((r) => r.address === address || r.ipv6 === address)?.name ?? address;

  // Per connection: the OPEN each side sent, to know what was negotiated.
  const opens = new Map<number, Map<string, Buffer>>();
  const split = new Map<(typeof flows)[number], Buffer[]>();
  for (const flow of flows) {
    if (flow.gaps > 0) throw new Error(`capture missed bytes in ${flow.src} -> ${flow.dst}`);
    const { messages } = splitBgpMessages(flow.bytes);
    split.set(flow, messages);
    const open = messages.find((m) => messageType(m) === 'OPEN');
    if (open === undefined) continue;
    const byStream = opens.get(flow.stream) ?? new Map<string, Buffer>();
    byStream.set(flow.src, open);
    opens.set(flow.stream, byStream);
  }
  const sessions: SessionInfo[] = [];
  const sessionFacts = new Map<number, SessionInfo>();
  for (const [stream, byPeer] of opens) {
    const [a, b] = [...byPeer.entries()];
    if (a === undefined || b === undefined) continue;
    const capsA = capabilityNames(a[1]);
    const capsB = capabilityNames(b[1]);
    const negotiated = capsA.filter((c) => capsB.includes(c));
    const info = {
      connection: `${nameOf(a[0])} <-> ${nameOf(b[0])}`,
      fourOctetAs: negotiated.includes('four-octet-as'),
      negotiated,
    };
    sessionFacts.set(stream, info);
    if (!sessions.some((s) => s.connection === info.connection)) sessions.push(info);
  }

  // One fixture per sender and message shape: the third UPDATE that differs
  // only in its prefix teaches a decoder nothing. Shapes that hold an AS
  // number (OPEN, announcing UPDATEs) are kept once per session kind
  // (2- or 4-octet AS); identical bytes are kept once.
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const flow of flows) {
    const facts = sessionFacts.get(flow.stream);
    if (facts === undefined) continue; // a connection without both OPENs (e.g. refused by a collision)
    const sender = nameOf(flow.src);
    for (const message of split.get(flow) ?? []) {
      const hex = message.toString('hex');
      const summary = describeMessage(message, facts.fourOctetAs);
      const asDependent = summary.type === 'OPEN' || summary.slug.includes('-announce');
      const key = `${sender}|${asDependent ? String(facts.fourOctetAs) : '*'}|${summary.slug}`;
      if (seen.has(key) || seen.has(`${sender}|${hex}`)) continue;
      seen.add(key);
      seen.add(`${sender}|${hex}`);
      candidates.push({
        sender, receiver: nameOf(flow.dst), message, slug: summary.slug, summaryType: summary.type,
        description: summary.description, fourOctetAs: facts.fourOctetAs, order: candidates.length,
      });
    }
  }

  // Which routes get relayed where depends on timing; to keep the set small and
  // stable, keep at most ANNOUNCES_PER_SESSION_KIND announcing UPDATEs per sender
  // and session kind, AS4_PATH ones first, then the sender's own routes (with MED).
  const rank = (c: Candidate): number => (c.slug.includes('as4path') ? 0 : c.slug.includes('-med') ? 1 : 2);
  const keep = new Set<Candidate>(candidates.filter((c) => !c.slug.includes('-announce')));
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates.filter((c) => c.slug.includes('-announce'))) {
    const key = `${c.sender}|${c.fourOctetAs}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const group of groups.values()) {
    for (const c of [...group].sort((a, b) => rank(a) - rank(b) || a.order - b.order).slice(0, ANNOUNCES_PER_SESSION_KIND)) keep.add(c);
  }

  const counters = new Map<string, number>();
  const entries: IndexEntry[] = [];
  const files: [string, string][] = [];
  for (const c of candidates.filter((c) => keep.has(c))) {
    const n = (counters.get(c.sender) ?? 0) + 1;
    counters.set(c.sender, n);
    const file = `${c.sender}/${String(n).padStart(2, '0')}-${c.slug}.hex`;
    files.push([file, c.message.toString('hex')]);
    entries.push({
      file,
      sender: c.sender,
      senderVersion: versions[c.sender] ?? 'unknown',
      receiver: c.receiver,
      type: c.summaryType,
      length: c.message.length,
      fourOctetAs: c.fourOctetAs,
      description: c.description,
    });
  }
  return { entries, files, sessions };
}

/** Capability names of an OPEN, with multiprotocol per AFI/SAFI ("mp(2/1)"). */
function capabilityNames(open: Buffer): string[] {
  const summary = describeMessage(open, false).description;
  const list = summary.slice(summary.indexOf('capabilities: ') + 'capabilities: '.length);
  // "four-octet-as(4200000000)" -> "four-octet-as"; "mp(2/1)" stays.
  return list.split(', ').map((c) => c.replace(/\(\d+\)$/, '')).filter((c) => c !== '');
}

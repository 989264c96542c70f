/**
 * The metrics over a real HTTP socket on 127.0.0.1, parsed as Prometheus would, against
 * MetalLB's names, types, labels and help texts as written in its source (see metallb-metrics.ts).
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import t from 'tap';
import type { Test } from 'tap';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { SpeakerMetrics } from './speaker-metrics.js';
import type { SpeakerMetricsOptions } from './speaker-metrics.js';
import { MetricsServerError, startMetricsServer } from './server.js';
import type { PeerStats } from './peer-stats.js';

// ---------------------------------------------------------------------------------------------
// What MetalLB exports, written out independently of the implementation's table.

interface Expected {
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly value: (peer: PeerStats) => number;
}

const EXPECTED: Record<string, Expected> = {
  metallb_bgp_session_up: { type: 'gauge', help: 'BGP session state (1 is up, 0 is down)', value: (p) => (p.sessionUp ? 1 : 0) },
  metallb_bgp_updates_total: { type: 'counter', help: 'Number of BGP UPDATE messages sent', value: (p) => p.sent.update },
  metallb_bgp_announced_prefixes_total: {
    type: 'gauge',
    help: 'Number of prefixes currently being advertised on the BGP session',
    value: (p) => p.announcedPrefixes,
  },
  metallb_bgp_pending_prefixes_total: {
    type: 'gauge',
    help: 'Number of prefixes that should be advertised on the BGP session',
    value: (p) => p.pendingPrefixes,
  },
  metallb_bgp_opens_sent: { type: 'counter', help: 'Number of BGP open messages sent', value: (p) => p.sent.open },
  metallb_bgp_opens_received: { type: 'counter', help: 'Number of BGP open messages received', value: (p) => p.received.open },
  metallb_bgp_notifications_sent: { type: 'counter', help: 'Number of BGP notification messages sent', value: (p) => p.sent.notification },
  metallb_bgp_updates_total_received: { type: 'counter', help: 'Number of BGP UPDATE messages received', value: (p) => p.received.update },
  metallb_bgp_keepalives_sent: { type: 'counter', help: 'Number of BGP keepalive messages sent', value: (p) => p.sent.keepalive },
  metallb_bgp_keepalives_received: { type: 'counter', help: 'Number of BGP keepalive messages received', value: (p) => p.received.keepalive },
  metallb_bgp_route_refresh_sent: { type: 'counter', help: 'Number of BGP route refresh messages sent', value: (p) => p.sent.routeRefresh },
  metallb_bgp_total_sent: { type: 'counter', help: 'Number of total BGP messages sent', value: (p) => p.sent.total },
  metallb_bgp_total_received: { type: 'counter', help: 'Number of total BGP messages received', value: (p) => p.received.total },
};
const COUNTERS = Object.keys(EXPECTED).filter((name) => EXPECTED[name]!.type === 'counter');

// ---------------------------------------------------------------------------------------------
// A fake speaker

function counts(base: number) {
  return { open: base + 1, update: base + 2, notification: base + 3, keepalive: base + 4, routeRefresh: base + 5, total: 5 * base + 15 };
}

function peers(): PeerStats[] {
  return [
    {
      address: '192.0.2.1',
      port: 179,
      asn: 64512,
      state: 'Established',
      sessionUp: true,
      sent: counts(10),
      received: counts(100),
      announcedPrefixes: 7,
      pendingPrefixes: 2,
      receivedPrefixes: 0,
    },
    {
      address: '2001:db8::2',
      port: 1179,
      asn: 64513,
      state: 'Active',
      sessionUp: false,
      sent: counts(20),
      received: counts(200),
      announcedPrefixes: 0,
      pendingPrefixes: 9,
      receivedPrefixes: 3,
    },
  ];
}

class FakeSpeaker {
  stats: PeerStats[] = peers();
  calls = 0;
  peerStats(): PeerStats[] {
    this.calls++;
    return this.stats;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP and the exposition format

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function fetchPath(server: Server, path: string, method = 'GET'): Promise<Response> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.end();
  });
}

interface Family {
  help?: string;
  type?: string;
  readonly samples: { readonly labels: Record<string, string>; readonly value: number }[];
}

/** The Prometheus text format (version 0.0.4), as much of it as these tests need. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (found === undefined) families.set(name, (found = { samples: [] }));
    return found;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      if (comment[1] === 'HELP') family(comment[2]!).help = comment[3]!;
      else family(comment[2]!).type = comment[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    family(sample[1]!).samples.push({ labels, value: Number(sample[3]) });
  }
  return families;
}

function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string>): number | undefined {
  const samples = families.get(name)?.samples ?? [];
  const wanted = Object.entries(labels);
  const match = samples.filter((s) => wanted.length === Object.keys(s.labels).length && wanted.every(([k, v]) => s.labels[k] === v));
  if (match.length > 1) throw new Error(`${match.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return match[0]?.value;
}

async function serve(t: Test, options: SpeakerMetricsOptions = {}) {
  const source = new FakeSpeaker();
  const metrics = new SpeakerMetrics(source, new Registry(), options);
  const server = await startMetricsServer(metrics, { address: '127.0.0.1', port: 0 });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const scrape = async () => {
    const response = await fetchPath(server, '/metrics');
    if (response.status !== 200) throw new Error(`scrape answered ${response.status}`);
    return parseExposition(response.body);
  };
  return { source, metrics, server, scrape };
}

const PEER_V4 = '192.0.2.1:179';
const PEER_V6 = '[2001:db8::2]:1179';

// ---------------------------------------------------------------------------------------------

t.test('GET /metrics: every MetalLB metric with its type, help, label and value for both peers', async (t) => {
  const { server, source } = await serve(t);
  const response = await fetchPath(server, '/metrics');
  t.equal(response.status, 200);
  t.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8', 'the Prometheus text format');
  const families = parseExposition(response.body);
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const family = families.get(name);
    t.ok(family, `${name} is exported`);
    t.equal(family?.type, expected.type, `${name} is a ${expected.type}`);
    t.equal(family?.help, expected.help, `${name} has MetalLB's help text`);
    t.equal(family?.samples.length, 2, `${name}: one series per peer`);
    t.equal(valueOf(families, name, { peer: PEER_V4 }), expected.value(source.stats[0]!), `${name}{peer="${PEER_V4}"}`);
    t.equal(valueOf(families, name, { peer: PEER_V6 }), expected.value(source.stats[1]!), `${name}{peer="${PEER_V6}"}`);
  }
  const ours = [...families.keys()].filter((name) => name.startsWith('metallb_'));
  t.same(ours.sort(), Object.keys(EXPECTED).sort(), 'no metallb_ metric beyond MetalLB\'s');
  t.equal(source.calls, 1, 'one peerStats() call for the whole scrape');
});

t.test('values follow the source between scrapes, and a removed peer disappears', async (t) => {
  const { source, scrape } = await serve(t);
  const first = await scrape();
  t.equal(valueOf(first, 'metallb_bgp_session_up', { peer: PEER_V6 }), 0);

  const [v4, v6] = source.stats as [PeerStats, PeerStats];
  source.stats = [
    { ...v4, sessionUp: false, state: 'Idle', announcedPrefixes: 0, pendingPrefixes: 7 },
    {
      ...v6,
      sessionUp: true,
      state: 'Established',
      announcedPrefixes: 9,
      pendingPrefixes: 0,
      sent: { ...v6.sent, update: v6.sent.update + 4, total: v6.sent.total + 4 },
    },
  ];
  const second = await scrape();
  t.equal(valueOf(second, 'metallb_bgp_session_up', { peer: PEER_V4 }), 0, 'the IPv4 session went down');
  t.equal(valueOf(second, 'metallb_bgp_session_up', { peer: PEER_V6 }), 1, 'the IPv6 session came up');
  t.equal(valueOf(second, 'metallb_bgp_announced_prefixes_total', { peer: PEER_V6 }), 9);
  t.equal(valueOf(second, 'metallb_bgp_pending_prefixes_total', { peer: PEER_V4 }), 7);
  t.equal(valueOf(second, 'metallb_bgp_updates_total', { peer: PEER_V6 }), v6.sent.update + 4);
  t.equal(valueOf(second, 'metallb_bgp_total_sent', { peer: PEER_V6 }), v6.sent.total + 4);

  source.stats = [source.stats[1]!];
  const third = await scrape();
  for (const name of Object.keys(EXPECTED)) {
    t.equal(valueOf(third, name, { peer: PEER_V4 }), undefined, `${name}: the removed peer's series is gone`);
    t.not(valueOf(third, name, { peer: PEER_V6 }), undefined, `${name}: the remaining peer's series stays`);
  }
});

t.test('counters never decrease: repeated scrapes do not add up, growing counts only grow', async (t) => {
  const { source, scrape } = await serve(t);
  let previous = await scrape();
  const again = await scrape();
  for (const name of COUNTERS) {
    const first = valueOf(previous, name, { peer: PEER_V4 });
    t.equal(valueOf(again, name, { peer: PEER_V4 }), first, `${name}: a second scrape of unchanged counts is equal, not doubled`);
  }
  for (let round = 1; round <= 5; round++) {
    source.stats = source.stats.map((peer) => ({
      ...peer,
      sent: { ...peer.sent, keepalive: peer.sent.keepalive + round, update: peer.sent.update + (round % 2), total: peer.sent.total + round + (round % 2) },
      received: { ...peer.received, keepalive: peer.received.keepalive + 1, total: peer.received.total + 1 },
    }));
    const current = await scrape();
    for (const name of COUNTERS) {
      for (const peer of [PEER_V4, PEER_V6]) {
        const before = valueOf(previous, name, { peer })!;
        const now = valueOf(current, name, { peer })!;
        if (now < before) t.fail(`${name}{peer="${peer}"} went down from ${before} to ${now} in round ${round}`);
      }
    }
    t.equal(valueOf(current, 'metallb_bgp_keepalives_sent', { peer: PEER_V4 }), source.stats[0]!.sent.keepalive, `round ${round}: the cumulative count`);
    previous = current;
  }
  t.equal(valueOf(previous, 'metallb_bgp_keepalives_sent', { peer: PEER_V4 }), counts(10).keepalive + 15, 'five rounds added 1+2+3+4+5');
});

t.test('process metrics are on the same registry and endpoint', async (t) => {
  const { scrape } = await serve(t);
  const families = await scrape();
  const names = [
    'process_cpu_user_seconds_total',
    'process_cpu_seconds_total',
    'process_start_time_seconds',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes',
  ];
  for (const name of names) {
    t.ok(families.has(name), `${name} is exported`);
  }
  t.equal(families.get('process_cpu_seconds_total')?.type, 'counter');
  t.ok((families.get('process_resident_memory_bytes')?.samples[0]?.value ?? 0) > 0, 'with real values');
});

t.test('a registry that already has the default metrics gets ours added, not the defaults twice', async (t) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new SpeakerMetrics(new FakeSpeaker(), registry);
  t.equal(metrics.registry, registry);
  const families = parseExposition(await metrics.metrics());
  t.ok(families.has('metallb_bgp_session_up'));
  t.equal(families.get('process_cpu_user_seconds_total')?.samples.length, 1);
});

t.test("the 'frr' label style: peer as MetalLB's FRR mode writes it, and vrf", async (t) => {
  const { scrape } = await serve(t, { labelStyle: 'frr' });
  const families = await scrape();
  t.equal(valueOf(families, 'metallb_bgp_session_up', { peer: '192.0.2.1:179', vrf: 'default' }), 1);
  t.equal(valueOf(families, 'metallb_bgp_opens_sent', { peer: '2001:db8::2:1179', vrf: 'default' }), counts(20).open, 'no brackets, as fmt.Sprintf("%s:%d")');
  t.equal(valueOf(families, 'metallb_bgp_session_up', { peer: PEER_V4 }), undefined, 'no series without vrf');
});

t.test('other paths are 404, other methods on /metrics 405, HEAD and a query string work', async (t) => {
  const { server } = await serve(t);
  t.equal((await fetchPath(server, '/')).status, 404);
  t.equal((await fetchPath(server, '/metricsx')).status, 404);
  const post = await fetchPath(server, '/metrics', 'POST');
  t.equal(post.status, 405);
  t.equal(post.headers['allow'], 'GET, HEAD');
  const head = await fetchPath(server, '/metrics', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '', 'HEAD has no body');
  const query = await fetchPath(server, '/metrics?name[]=metallb_bgp_session_up');
  t.equal(query.status, 200);
  t.match(query.body, /^metallb_bgp_session_up\{peer="192\.0\.2\.1:179"\} 1$/m);
});

t.test('a port in use is a clear error naming the address and the reason', async (t) => {
  const { server } = await serve(t);
  const { port } = server.address() as AddressInfo;
  const second = startMetricsServer(new SpeakerMetrics(new FakeSpeaker()), { address: '127.0.0.1', port });
  const error = await second.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof MetricsServerError, 'a MetricsServerError');
  t.equal((error as MetricsServerError).code, 'EADDRINUSE');
  t.match((error as Error).message, `metrics server cannot listen on 127.0.0.1:${port}`);
  t.match((error as Error).message, /already in use/);
  t.equal(((error as Error).cause as NodeJS.ErrnoException).code, 'EADDRINUSE', 'the system error is kept as the cause');
});

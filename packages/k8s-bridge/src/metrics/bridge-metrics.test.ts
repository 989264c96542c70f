import t from 'tap';
import type { Layer2Stats } from '@metallb-ts/l2-announcer';
import { createBridgeMetrics, parseListenAddress } from './bridge-metrics.js';

t.test('MetalLB layer2 metrics: per ip, from the cumulative counts at scrape time', async (t) => {
  const stats = new Map<string, Layer2Stats>([['192.0.2.200', { requestsReceived: 3, responsesSent: 2, gratuitousSent: 10 }]]);
  const metrics = createBridgeMetrics({ peerStats: () => [], layer2: { addressStats: () => stats } });
  let text = await metrics.metrics();
  t.match(text, '# HELP metallb_layer2_requests_received Number of layer2 requests received for owned IPs');
  t.match(text, '# TYPE metallb_layer2_gratuitous_sent counter');
  t.match(text, 'metallb_layer2_requests_received{ip="192.0.2.200"} 3\n');
  t.match(text, 'metallb_layer2_responses_sent{ip="192.0.2.200"} 2\n');
  t.match(text, 'metallb_layer2_gratuitous_sent{ip="192.0.2.200"} 10\n');
  t.match(text, '# TYPE metallb_bgp_session_up gauge', "MetalLB's BGP metrics on the same registry");
  stats.set('2001:db8::5', { requestsReceived: 1, responsesSent: 1, gratuitousSent: 5 });
  stats.set('192.0.2.200', { requestsReceived: 4, responsesSent: 3, gratuitousSent: 10 });
  text = await metrics.metrics();
  t.match(text, 'metallb_layer2_requests_received{ip="192.0.2.200"} 4\n', 'not added twice: rebuilt from the counts');
  t.match(text, 'metallb_layer2_gratuitous_sent{ip="2001:db8::5"} 5\n');
});

t.test('--metrics ADDRESS:PORT', async (t) => {
  t.same(parseListenAddress('127.0.0.1:7472'), { address: '127.0.0.1', port: 7472 });
  t.same(parseListenAddress('[::1]:7472'), { address: '::1', port: 7472 });
  t.same(parseListenAddress(':7472'), { address: '::', port: 7472 });
  t.throws(() => parseListenAddress('7472'), /--metrics "7472": expected ADDRESS:PORT/);
  t.throws(() => parseListenAddress('127.0.0.1:0'), /expected ADDRESS:PORT/);
  t.throws(() => parseListenAddress('::1:7472'), /expected ADDRESS:PORT/, 'IPv6 needs brackets');
  t.throws(() => parseListenAddress('metrics.local:7472'), /metrics.local is not an IP address/);
});

/**
 * RFC 6793 against a real 2-octet speaker: BIRD with `enable as4 off`. It must see AS_TRANS
 * (23456) as our AS, in the OPEN and in AS_PATH, and still get our real path from AS4_PATH.
 * What crossed the wire is read by tshark's BGP dissector, not by our own decoder.
 */
import t from 'tap';
import { PacketCapture } from '../lab/capture.js';
import { run } from '../lab/proc.js';
import { BirdRouter } from '../lab/bird.js';
import { AS_TRANS, NODE_IP, OUR_ASN, OUR_ROUTES, ROUTER_IP, startTopology } from '../support/interop-suite.js';

t.test('a BIRD peer with 4-octet AS support off sees AS_TRANS and gets the real path in AS4_PATH', async (t) => {
  const { lab, router, routerNode, speaker } = await startTopology(t, 'bird', { as4: false, announceRouterRoutes: false });
  const captureDir = await lab.tempDir('capture');
  // The speaker is already up; restart it under capture so the OPEN and the UPDATEs are seen.
  await speaker.kill();
  const capture = await PacketCapture.start(routerNode, routerNode.interfaces[0] ?? 'eth0', captureDir);
  await speaker.restart();
  await speaker.waitEstablished(ROUTER_IP, 30_000);
  await router.waitEstablished(NODE_IP, 30_000);
  await router.waitRoute('ipv4', OUR_ROUTES.v4.prefix, 20_000);
  await capture.stop();

  const view = await (router as BirdRouter).as4PathView('ipv4', OUR_ROUTES.v4.prefix);
  t.ok(view, 'BIRD holds our route');
  t.same(view?.asPath, [OUR_ASN], 'BIRD rebuilt the real path [4200000000] from AS_PATH and AS4_PATH');

  const fields = await run('tshark', [
    '-r', capture.file, '-d', 'tcp.port==179,bgp', '-Y', `bgp && ip.src == ${NODE_IP}`, '-T', 'fields', '-E', 'separator=|',
    '-e', 'bgp.type', '-e', 'bgp.open.myas', '-e', 'bgp.update.path_attribute.type_code',
    '-e', 'bgp.update.path_attribute.as_path_segment.as2', '-e', 'bgp.update.path_attribute.as_path_segment.as4',
  ]);
  const lines = fields.stdout.trim().split('\n').map((line) => line.split('|'));
  const open = lines.find((f) => f[0]?.split(',').includes('1'));
  t.equal(open?.[1], String(AS_TRANS), 'our OPEN says My AS 23456 (AS_TRANS)');
  const update = lines.find((f) => f[0]?.split(',').includes('2') && (f[2] ?? '').split(',').includes('17'));
  t.ok(update, 'an UPDATE from us carries AS4_PATH (type 17)');
  // One frame may carry several UPDATEs (a flush batch leaves in one writev); tshark then joins
  // their fields with commas. Every AS_PATH ASN of them must be AS_TRANS, and every AS4_PATH one
  // our real ASN, one for one.
  const as2 = update?.[3]?.split(',') ?? [];
  const as4 = update?.[4]?.split(',') ?? [];
  t.ok(as2.length > 0 && as2.every((asn) => asn === String(AS_TRANS)), `its AS_PATH holds AS_TRANS as a 2-octet ASN (${as2.join(', ')})`);
  t.ok(as4.length === as2.length && as4.every((asn) => asn === String(OUR_ASN)), `its AS4_PATH holds our real ASN 4200000000 (${as4.join(', ')})`);
});

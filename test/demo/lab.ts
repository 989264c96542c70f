/**
 * The README's main job: the seed's BGP example, for real, on this machine.
 *
 * A router namespace holds 192.0.2.1 and runs FRR as AS 64512; a node namespace holds 192.0.2.100
 * and runs our bgp-speaker as AS 4200000000 with the seed's MD5 password. The speaker announces
 * service IPs from the seed's range 10.5.0.0/16 (and an IPv6 one), and the router's BGP table is
 * printed with them in it. Everything is removed afterwards (`--keep` waits for Ctrl-C first).
 */
import { Lab } from '../lab/netns.js';
import { FrrRouter } from '../lab/frr.js';
import { SpeakerProcess } from '../support/speaker.js';

const SEED = {
  router: { address: '192.0.2.1', address6: '2001:db8::1', asn: 64512 },
  node: { address: '192.0.2.100', asn: 4200000000 },
  password: 'changeme',
  serviceIps: ['10.5.0.1/32', '10.5.0.2/32', '10.5.0.3/32'],
  serviceIps6: ['2001:db8:5::1/128'],
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
    say('lab: building the seed topology (router 192.0.2.1 <-> node 192.0.2.100) in network namespaces');
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

    say(`lab: starting bgp-speaker as AS ${SEED.node.asn} at ${SEED.node.address}, announcing ${[...SEED.serviceIps, ...SEED.serviceIps6].join(', ')}`);
    const speaker = new SpeakerProcess(node);
    await speaker.start({
      asn: SEED.node.asn,
      routerId: SEED.node.address,
      listen: { address: SEED.node.address },
      peers: [{ address: SEED.router.address, asn: SEED.router.asn, password: SEED.password }],
      announce: [
        ...SEED.serviceIps.map((prefix) => ({ prefix, nextHop: 'self', communities: ['64512:100'] })),
        ...SEED.serviceIps6.map((prefix) => ({ prefix, nextHop: 'self' })),
      ],
    });
    await speaker.waitEstablished(SEED.router.address, 30_000);
    for (const prefix of SEED.serviceIps) await frr.waitRoute('ipv4', prefix, 20_000);
    for (const prefix of SEED.serviceIps6) await frr.waitRoute('ipv6', prefix, 20_000);

    say('\n=== bgp-speaker neighbors (on the node) ===');
    process.stdout.write(await speaker.cli(['neighbors']));
    say('\n=== FRR: show bgp summary (on the router) ===');
    process.stdout.write(await frr.vtysh('show bgp summary'));
    say('\n=== FRR: show bgp ipv4 unicast: the service IPs, from AS 4200000000 ===');
    process.stdout.write(await frr.vtysh('show bgp ipv4 unicast'));
    say('\n=== FRR: show bgp ipv6 unicast ===');
    process.stdout.write(await frr.vtysh('show bgp ipv6 unicast'));

    if (keep) {
      say(`\nlab: running; namespaces ${lab.namespaceNames.join(', ')}. Ctrl-C removes everything.`);
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

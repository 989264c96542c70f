import t from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLinks, readLink, selectInterfaces } from './interfaces.js';

/** A fake /sys/class/net with the files interfaces.ts reads. */
function fakeSys(root: string, links: { name: string; ifindex: number; mac: string; flags: string; type?: number; master?: boolean }[]): void {
  for (const link of links) {
    const dir = join(root, link.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ifindex'), `${link.ifindex}\n`);
    writeFileSync(join(dir, 'address'), `${link.mac}\n`);
    writeFileSync(join(dir, 'flags'), `${link.flags}\n`);
    writeFileSync(join(dir, 'type'), `${link.type ?? 1}\n`);
    if (link.master === true) symlinkSync('../br0', join(dir, 'master'));
  }
}

t.test('reads sysfs and picks the default interfaces', async (t) => {
  const root = t.testdir({});
  fakeSys(root, [
    { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', flags: '0x9', type: 772 }, // UP|LOOPBACK
    { name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:0A', flags: '0x1003' }, // UP|BROADCAST|MULTICAST
    { name: 'eth1', ifindex: 3, mac: '02:00:00:00:00:0b', flags: '0x1002' }, // down
    { name: 'eth2', ifindex: 4, mac: '02:00:00:00:00:0c', flags: '0x1003', master: true }, // bridge port
    { name: 'br0', ifindex: 5, mac: '02:00:00:00:00:0d', flags: '0x1003' },
    { name: 'tun0', ifindex: 6, mac: '', flags: '0x1091', type: 65534 }, // point-to-point
  ]);
  t.same(readLink('eth0', root), {
    name: 'eth0', ifindex: 2, mac: '02:00:00:00:00:0a', up: true, broadcast: true, loopback: false, ethernet: true, hasMaster: false,
  });
  t.equal(readLink('eth2', root).hasMaster, true);
  t.equal(listLinks(root).length, 6);
  t.same(selectInterfaces(undefined, root).map((l) => l.name), ['br0', 'eth0']);
  t.same(selectInterfaces(['eth1'], root).map((l) => l.ifindex), [3], 'named interfaces are taken as given');
  t.throws(() => selectInterfaces(['eth9'], root), /eth9 does not exist/);
  t.throws(() => readLink('../etc', root), TypeError);
});

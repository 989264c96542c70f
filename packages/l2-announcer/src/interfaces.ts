/**
 * The interfaces Layer 2 mode answers on, read from sysfs (/sys/class/net/<name>/...).
 * Default choice, like MetalLB's speaker: every interface that is up, Ethernet, can broadcast,
 * is not the loopback and is not enslaved to a bond or bridge (the master answers instead).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SYS_CLASS_NET = '/sys/class/net';

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
/** include/uapi/linux/if_arp.h */
const ARPHRD_ETHER = 1;

export interface LinkInfo {
  readonly name: string;
  readonly ifindex: number;
  /** Lower-case, colon separated. */
  readonly mac: string;
  readonly up: boolean;
  readonly broadcast: boolean;
  readonly loopback: boolean;
  readonly ethernet: boolean;
  /** Enslaved to a bond or a bridge (sysfs has a `master` link). */
  readonly hasMaster: boolean;
}

function readText(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

/** One interface's facts; throws when it does not exist. */
export function readLink(name: string, sysRoot = SYS_CLASS_NET): LinkInfo {
  if (name.includes('/') || name === '.' || name === '..') throw new TypeError(`bad interface name ${JSON.stringify(name)}`);
  const dir = join(sysRoot, name);
  if (!existsSync(dir)) throw new Error(`interface ${name} does not exist`);
  const flags = Number.parseInt(readText(dir, 'flags'), 16);
  return {
    name,
    ifindex: Number.parseInt(readText(dir, 'ifindex'), 10),
    mac: readText(dir, 'address').toLowerCase(),
    up: (flags & IFF_UP) !== 0,
    broadcast: (flags & IFF_BROADCAST) !== 0,
    loopback: (flags & IFF_LOOPBACK) !== 0,
    ethernet: Number.parseInt(readText(dir, 'type'), 10) === ARPHRD_ETHER,
    hasMaster: existsSync(join(dir, 'master')),
  };
}

export function listLinks(sysRoot = SYS_CLASS_NET): LinkInfo[] {
  return readdirSync(sysRoot)
    .sort()
    .flatMap((name) => {
      try {
        return [readLink(name, sysRoot)];
      } catch {
        return []; // vanished while we looked, or not an interface folder
      }
    });
}

/** The default filter described above. */
export function isDefaultAnnounceInterface(link: LinkInfo): boolean {
  return link.up && link.broadcast && link.ethernet && !link.loopback && !link.hasMaster;
}

/** The named interfaces (each must exist), or by default every link passing the filter. */
export function selectInterfaces(names?: readonly string[], sysRoot = SYS_CLASS_NET): LinkInfo[] {
  if (names !== undefined) return names.map((name) => readLink(name, sysRoot));
  return listLinks(sysRoot).filter(isDefaultAnnounceInterface);
}

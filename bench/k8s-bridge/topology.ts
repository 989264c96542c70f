/**
 * The k8s-bridge benchmark's topology: two network namespaces the benchmark creates and deletes,
 * joined by one veth pair:
 *   - the router: FRR's bgpd alone (-Z, no zebra), 192.0.2.1/24, AS 64512, one neighbour (the
 *     node) with the seed's password (TCP-MD5), as fixtures/k8s-bridge/kubespray-bgp-password.yaml
 *     expects;
 *   - the node: 192.0.2.101/24, where `k8s-bridge standalone` runs as Kubernetes node "node-1".
 * Two namespaces rather than one loopback (as full-table does): the bridge's configuration names
 * no source address, so on a shared loopback its connection to 192.0.2.1 would come from
 * 192.0.2.1 itself, which FRR would not take for its neighbour.
 * The password is read from the fixture and goes only into bgpd.conf (mode 0640, a temp folder
 * removed afterwards); it is never printed.
 */
import { chown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, runCommand, sleep } from '../full-table/proc.js';

export const ROUTER = { address: '192.0.2.1', asn: 64512 } as const;
export const NODE = { address: '192.0.2.101' } as const;
/** The seed's my_asn (kubespray-bgp-password.yaml). */
export const BRIDGE_ASN = 4200000000;

async function ip(args: readonly string[]): Promise<void> {
  const out = await runCommand('ip', args);
  if (out.code !== 0) throw new Error(`ip ${args.join(' ')}: ${out.stderr.trim()}`);
}

export class Topology {
  private deleted = false;

  private constructor(
    readonly routerNs: string,
    readonly nodeNs: string,
  ) {}

  static async create(): Promise<Topology> {
    const id = `k8sb-bench-${process.pid}`;
    const topo = new Topology(`${id}-r`, `${id}-n`);
    try {
      await ip(['netns', 'add', topo.routerNs]);
      await ip(['netns', 'add', topo.nodeNs]);
      for (const ns of [topo.routerNs, topo.nodeNs]) await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      const routerIf = `kbr${process.pid}`;
      const nodeIf = `kbn${process.pid}`;
      await ip(['-n', topo.routerNs, 'link', 'add', routerIf, 'type', 'veth', 'peer', 'name', nodeIf, 'netns', topo.nodeNs]);
      await ip(['-n', topo.routerNs, 'address', 'add', `${ROUTER.address}/24`, 'dev', routerIf]);
      await ip(['-n', topo.nodeNs, 'address', 'add', `${NODE.address}/24`, 'dev', nodeIf]);
      await ip(['-n', topo.routerNs, 'link', 'set', routerIf, 'up']);
      await ip(['-n', topo.nodeNs, 'link', 'set', nodeIf, 'up']);
    } catch (error) {
      await topo.delete();
      throw error;
    }
    return topo;
  }

  wrap(ns: string, cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
    return { cmd: 'ip', args: ['netns', 'exec', ns, cmd, ...args] };
  }

  /** Removes both namespaces (idempotent; the veth pair goes with them). */
  async delete(): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    await runCommand('ip', ['netns', 'delete', this.routerNs]);
    await runCommand('ip', ['netns', 'delete', this.nodeNs]);
  }
}

/** The seed's password, from the fixture (never printed). */
export async function fixturePassword(fixture: string): Promise<string> {
  const match = /^\s*password:\s*"?([^"\n]+)"?\s*$/m.exec(await readFile(fixture, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`${fixture}: no peer password`);
  return match[1];
}

export interface FrrPeerSummary {
  readonly state: string | undefined;
  readonly pfxRcd: number | undefined;
}

export interface RunningFrr {
  readonly daemon: Daemon;
  readonly version: string;
  /** `show bgp ipv4 unicast summary json` -> peers[node]: state and pfxRcd (one vtysh process). */
  peer(): Promise<FrrPeerSummary | undefined>;
}

const READY_TIMEOUT_MS = 20_000;

/** Starts bgpd in the router namespace with its own folder `dir`; resolves once vtysh answers. */
export async function startFrr(topo: Topology, dir: string, password: string): Promise<RunningFrr> {
  const n = NODE.address;
  const config = [
    'frr defaults traditional',
    'hostname bench-tor',
    '!',
    `router bgp ${ROUTER.asn}`,
    ` bgp router-id ${ROUTER.address}`,
    // RFC 8212 default: without this, eBGP accepts nothing.
    ' no bgp ebgp-requires-policy',
    ` neighbor ${n} remote-as ${BRIDGE_ASN}`,
    ` neighbor ${n} password ${password}`,
    // Without zebra FRR knows no connected networks; an eBGP peer must then be multihop.
    ` neighbor ${n} ebgp-multihop 2`,
    ` neighbor ${n} timers connect 1`,
    ' address-family ipv4 unicast',
    `  neighbor ${n} activate`,
    ' exit-address-family',
    '!',
    '',
  ].join('\n');
  const uid = Number((await runCommand('id', ['-u', 'frr'])).stdout.trim());
  const gid = Number((await runCommand('id', ['-g', 'frr'])).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('FRR: no user frr (is the frr package installed?)');
  // bgpd drops to the frr user and exits at start when it cannot write its pid file.
  await chown(dir, uid, gid);
  const file = join(dir, 'bgpd.conf');
  await writeFile(file, config, { mode: 0o640 });
  await chown(file, uid, gid);
  const command = topo.wrap(topo.routerNs, '/usr/lib/frr/bgpd', [
    '-Z',
    '-l', ROUTER.address,
    '-p', '179',
    '-f', file,
    '-i', join(dir, 'bgpd.pid'),
    '--vty_socket', dir,
    '-A', '127.0.0.1',
    '-P', '0',
  ]);
  const daemon = new Daemon('frr-bgpd', command.cmd, command.args, { cwd: dir });
  const summary = async (): Promise<{ peers?: Record<string, { state?: string; pfxRcd?: number }> } | undefined> => {
    const out = await runCommand('vtysh', ['--vty_socket', dir, '-c', 'show bgp ipv4 unicast summary json']);
    return out.code === 0 && out.stdout.trim().startsWith('{') ? (JSON.parse(out.stdout) as { peers?: Record<string, { state?: string; pfxRcd?: number }> }) : undefined;
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!daemon.running) throw new Error(`bgpd exited while starting (${daemon.exitStatus}):\n${daemon.tail()}`);
    if ((await summary().catch(() => undefined)) !== undefined) break;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`bgpd did not answer within ${READY_TIMEOUT_MS} ms:\n${daemon.tail()}`);
    }
    await sleep(100);
  }
  const versionOut = await runCommand('/usr/lib/frr/bgpd', ['--version']);
  return {
    daemon,
    version: `FRR ${/version\s+(\S+)/.exec(versionOut.stdout)?.[1] ?? '?'}`,
    async peer() {
      const p = (await summary())?.peers?.[n];
      return p === undefined ? undefined : { state: p.state, pfxRcd: p.pfxRcd };
    },
  };
}

/**
 * Several hosts on one L2 segment, the way a cluster meets its routers: router namespaces and
 * speaker "nodes" (each its own namespace, its own addresses, its own bgp-speaker process), all
 * behind one bridge. To capture a session, listen on an end's interface (e.g. the router's eth0):
 * the bridge forwards learned unicast from port to port, and its `br0` does not see those frames.
 */
import type { Test } from 'tap';
import type { Lab, LabNode } from '../lab/netns.js';
import { SpeakerProcess } from './speaker.js';
import type { SpeakerOptions } from './speaker.js';

export interface HostSpec {
  /** Namespace short name, [a-z0-9]{1,12}. */
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** The node addresses of the production tests: 192.0.2.101-103 and 2001:db8::101-103. */
export function speakerNodeSpecs(count: number): HostSpec[] {
  return Array.from({ length: count }, (_, i) => ({ name: `n${i + 1}`, ipv4: `192.0.2.${101 + i}`, ipv6: `2001:db8::${101 + i}` }));
}

export interface Segment {
  /** Every host by its short name. */
  readonly hosts: ReadonlyMap<string, LabNode>;
  /** The bridge's namespace. */
  readonly bridge: LabNode;
  host(name: string): LabNode;
}

/** All hosts on one bridge, /24 and /64 each. */
export async function buildSegment(lab: Lab, specs: readonly HostSpec[]): Promise<Segment> {
  const { nodes, bridge } = await lab.segmentOf(specs.map((s) => ({ name: s.name, addresses: [`${s.ipv4}/24`, `${s.ipv6}/64`] })));
  const hosts = new Map<string, LabNode>();
  specs.forEach((spec, i) => {
    const node = nodes[i];
    if (node === undefined) throw new Error(`segment: no namespace for ${spec.name}`);
    hosts.set(spec.name, node);
  });
  return {
    hosts,
    bridge,
    host(name: string): LabNode {
      const node = hosts.get(name);
      if (node === undefined) throw new Error(`segment: no host ${name}`);
      return node;
    },
  };
}

/**
 * Starts one bgp-speaker per node, each with the options built for it; every one is killed on
 * teardown (the lab then removes the namespaces).
 */
export async function startSpeakers(
  t: Test,
  nodes: readonly LabNode[],
  options: (node: LabNode, index: number) => SpeakerOptions,
): Promise<SpeakerProcess[]> {
  const speakers: SpeakerProcess[] = [];
  t.teardown(async () => {
    for (const speaker of speakers) await speaker.kill();
  });
  for (const [index, node] of nodes.entries()) {
    const speaker = new SpeakerProcess(node);
    speakers.push(speaker);
    await speaker.start(options(node, index));
  }
  return speakers;
}

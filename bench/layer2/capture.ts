/**
 * An ARP capture at one member of the segment: `tcpdump -l -n -e -tt --immediate-mode -i eth0 arp`
 * inside its namespace, each line parsed as it comes. The times are the kernel's receive
 * timestamps (-tt: seconds since the epoch with microseconds, CLOCK_REALTIME), so they compare
 * with Date.now() taken by the benchmark, whatever the delay of the pipe. --immediate-mode hands
 * over each frame at once instead of when libpcap's buffer block fills or times out, so waiting
 * for a frame takes as long as the frame takes, not up to a second more.
 *
 * tcpdump 4.99 prints (with -e -n):
 *   1795690081.116104 1a:fe:c5:7a:b0:a9 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.11 (ff:ff:ff:ff:ff:ff) tell 192.0.2.11, length 28
 *   1795690082.128635 1a:fe:c5:7a:b0:a9 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Reply 192.0.2.11 is-at 1a:fe:c5:7a:b0:a9, length 28
 * A reply's target address is not printed, so a gratuitous reply is recognised by its broadcast
 * destination (a reply to a question is unicast to the asker).
 */
import { Daemon, sleep } from '../full-table/proc.js';

export interface ArpEvent {
  /** Kernel receive time at the capturing interface, epoch milliseconds (microsecond precision). */
  readonly time: number;
  /** Ethernet source and destination MACs, lower case. */
  readonly source: string;
  readonly destination: string;
  readonly operation: 'request' | 'reply';
  readonly senderIp: string;
  /** Requests only: tcpdump does not print a reply's target. */
  readonly targetIp: string | undefined;
  /** Replies only: the MAC the sender says it is at. */
  readonly senderMac: string | undefined;
}

const HEADER = /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype ARP \(0x0806\), length \d+: (.*)$/i;
const REQUEST = /^Request who-has (\S+)(?: \([0-9a-f:]{17}\))? tell (\S+?),/i;
const REPLY = /^Reply (\S+) is-at ([0-9a-f:]{17}),/i;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** One line of `tcpdump -n -e -tt arp`, or undefined for anything else. */
export function parseTcpdumpArpLine(line: string): ArpEvent | undefined {
  const header = HEADER.exec(line.trim());
  if (header === null) return undefined;
  const [, seconds = '', source = '', destination = '', rest = ''] = header;
  const time = Number(seconds) * 1000;
  const request = REQUEST.exec(rest);
  if (request !== null) {
    return { time, source: source.toLowerCase(), destination: destination.toLowerCase(), operation: 'request', targetIp: request[1], senderIp: request[2] ?? '', senderMac: undefined };
  }
  const reply = REPLY.exec(rest);
  if (reply !== null) {
    return { time, source: source.toLowerCase(), destination: destination.toLowerCase(), operation: 'reply', senderIp: reply[1] ?? '', targetIp: undefined, senderMac: reply[2]?.toLowerCase() };
  }
  return undefined;
}

/**
 * A gratuitous ARP for `ip` (RFC 5227 section 3, "ARP Announcement"): a request whose sender and
 * target are both `ip`, or a reply from `ip` sent to everyone.
 */
export function isAnnouncement(event: ArpEvent, ip: string): boolean {
  if (event.senderIp !== ip) return false;
  if (event.operation === 'request') return event.targetIp === ip;
  return event.destination === BROADCAST;
}

const LISTENING_TIMEOUT_MS = 5_000;
/** Frames kept for waitFor: far more than a round of the failover benchmark sees. */
const KEPT_EVENTS = 20_000;

export class ArpCapture {
  private readonly events: ArpEvent[] = [];
  /** How many events were dropped from the front of `events` (indices stay absolute). */
  private dropped = 0;
  private carry = '';
  private listening = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly daemon: Daemon) {
    daemon.child.stdout?.on('data', (chunk: string | Buffer) => this.onData(chunk.toString()));
    daemon.child.stderr?.on('data', (chunk: string | Buffer) => {
      if (chunk.toString().includes('listening on')) this.listening = true;
      this.wake();
    });
    void daemon.exited.then(() => this.wake());
  }

  /** Starts tcpdump in `ns` on `iface`; resolves once it says it is listening. */
  static async start(ns: string, iface = 'eth0'): Promise<ArpCapture> {
    const daemon = new Daemon('tcpdump', 'ip', ['netns', 'exec', ns, 'tcpdump', '-l', '-n', '-e', '-tt', '--immediate-mode', '-i', iface, 'arp']);
    const capture = new ArpCapture(daemon);
    const deadline = Date.now() + LISTENING_TIMEOUT_MS;
    while (!capture.listening) {
      if (!daemon.running) throw new Error(`tcpdump exited (${daemon.exitStatus ?? '?'}): ${daemon.tail()}`);
      if (Date.now() > deadline) {
        await daemon.stop(1_000);
        throw new Error(`tcpdump did not say "listening on" within ${LISTENING_TIMEOUT_MS} ms: ${daemon.tail()}`);
      }
      await sleep(10);
    }
    return capture;
  }

  /** The index the next event will get (pass it to waitFor to skip what was seen so far). */
  get position(): number {
    return this.dropped + this.events.length;
  }

  private onData(text: string): void {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    let added = false;
    for (const line of lines) {
      const event = parseTcpdumpArpLine(line);
      if (event === undefined) continue;
      this.events.push(event);
      added = true;
    }
    if (this.events.length > KEPT_EVENTS) {
      const excess = this.events.length - KEPT_EVENTS;
      this.events.splice(0, excess);
      this.dropped += excess;
    }
    if (added) this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Events from index `from` on (those still kept). */
  since(from: number): ArpEvent[] {
    return this.events.slice(Math.max(0, from - this.dropped));
  }

  /**
   * The first event from index `from` on that matches, waiting up to `timeoutMs` for it;
   * undefined on timeout or when tcpdump has exited.
   */
  async waitFor(from: number, match: (event: ArpEvent) => boolean, timeoutMs: number): Promise<ArpEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    let next = from;
    for (;;) {
      for (const event of this.since(next)) if (match(event)) return event;
      next = this.position;
      const left = deadline - Date.now();
      if (left <= 0 || !this.daemon.running) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  async stop(): Promise<void> {
    await this.daemon.stop(1_000);
  }
}

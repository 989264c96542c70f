/**
 * Why a TCP-MD5 session does not come up is invisible to the application: the kernel drops
 * segments with a wrong or missing signature (RFC 2385 section 2.1) and only counts them. Linux
 * keeps the counts per network namespace in /proc/net/netstat (TcpExt: TCPMD5NotFound,
 * TCPMD5Unexpected, TCPMD5Failure); reading them turns "no answer" into "the passwords differ".
 */
import { readFileSync } from 'node:fs';

const COUNTERS = ['TCPMD5NotFound', 'TCPMD5Unexpected', 'TCPMD5Failure'];

/** The sum of the kernel's TCP-MD5 drop counters, or undefined where they cannot be read. */
export function md5FailureCounters(netstatText?: string): number | undefined {
  let text = netstatText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/net/netstat', 'utf8');
    } catch {
      return undefined;
    }
  }
  // The file holds pairs of lines: "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ...".
  const lines = text.split('\n').filter((line) => line.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/).slice(1);
  const values = lines[1]?.split(/\s+/).slice(1);
  if (names === undefined || values === undefined) return undefined;
  let total = 0;
  let found = false;
  names.forEach((name, index) => {
    if (COUNTERS.includes(name)) {
      total += Number(values[index] ?? 0);
      found = true;
    }
  });
  return found ? total : undefined;
}

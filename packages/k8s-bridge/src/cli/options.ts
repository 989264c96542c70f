/** Command-line values shared by the k8s-bridge commands. */

/** A TCP/UDP port given as `--option PORT`; the error names the option. */
export function parsePortOption(option: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !(port >= 1 && port <= 65535)) throw new RangeError(`--${option} ${JSON.stringify(text)}: expected a port number 1..65535`);
  return port;
}

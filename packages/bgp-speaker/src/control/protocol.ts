/**
 * The control socket speaks newline-delimited JSON: one request object per line, one reply per line.
 * Kept tiny and explicit so `socat` or `nc -U` can drive it by hand too.
 */
export type ControlRequest =
  | { readonly command: 'neighbors' }
  | { readonly command: 'routes'; readonly received?: string };

export type ControlReply =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string };

export const DEFAULT_CONTROL_PATH = '/run/bgp-speaker.sock';

export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('request is not valid JSON');
  }
  if (value === null || typeof value !== 'object') throw new Error('request must be a JSON object');
  const request = value as Record<string, unknown>;
  switch (request['command']) {
    case 'neighbors':
      return { command: 'neighbors' };
    case 'routes': {
      const received = request['received'];
      if (received !== undefined && typeof received !== 'string') throw new Error('"received" must be a peer address');
      return received === undefined ? { command: 'routes' } : { command: 'routes', received };
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(request['command'])} (known: neighbors, routes)`);
  }
}

/**
 * The commands that talk to a running speaker over its control socket: neighbors, routes, announce,
 * withdraw, neighbor. Each builds one request, checks it with the same validation the server uses
 * (so a bad prefix is a usage error, exit 2, before any socket is opened), sends it and prints the
 * answer; a refusal from the speaker surfaces as ControlClientError (exit 1).
 */
import { ControlRequestError, DEFAULT_CONTROL_PATH, NEIGHBOR_ACTIONS, sendControlRequest, validateControlRequest } from '../control/index.js';
import type { ControlRequest, NeighborAction } from '../control/index.js';
import type { NeighborView } from '../speaker.js';
import type { RouteView } from '../rib/route-view.js';
import { UsageError, command, decimalOption, options } from './args.js';
import { formatNeighborsTable, formatRoutesTable } from './tables.js';

/** Reads answer at once; a neighbor action waits for the NOTIFICATION to go out and the session to close. */
const READ_TIMEOUT_MS = 5_000;
const ACTION_TIMEOUT_MS = 15_000;

const CONTROL_OPTION = { control: { type: 'string' } } as const;
const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** The request in canonical form (validation keeps the command, so its type narrows as given). */
function checked<R extends ControlRequest>(request: R): R {
  try {
    return validateControlRequest(request) as R;
  } catch (error) {
    if (error instanceof ControlRequestError) throw new UsageError(error.message);
    throw error;
  }
}

/** Sends a request that went through checked(). */
function ask(path: string | undefined, request: ControlRequest, timeoutMs = READ_TIMEOUT_MS): Promise<unknown> {
  return sendControlRequest(path ?? DEFAULT_CONTROL_PATH, request, timeoutMs);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export async function neighbors(args: readonly string[]): Promise<number> {
  const values = options(args, { ...JSON_OPTION, ...CONTROL_OPTION });
  const result = (await ask(values.control, checked({ command: 'neighbors' }))) as NeighborView[];
  if (values.json === true) printJson(result);
  else process.stdout.write(formatNeighborsTable(result));
  return 0;
}

export async function routes(args: readonly string[]): Promise<number> {
  const values = options(args, { ...JSON_OPTION, received: { type: 'string' }, advertised: { type: 'string' }, ...CONTROL_OPTION });
  if (values.received !== undefined && values.advertised !== undefined) throw new UsageError('routes takes --received PEER or --advertised PEER, not both');
  const request = checked<ControlRequest>(
    values.received !== undefined ? { command: 'routes', received: values.received }
    : values.advertised !== undefined ? { command: 'routes', advertised: values.advertised }
    : { command: 'routes' });
  const result = (await ask(values.control, request)) as RouteView[];
  if (values.json === true) printJson(result);
  else process.stdout.write(formatRoutesTable(result));
  return 0;
}

export async function announce(args: readonly string[]): Promise<number> {
  const { values, positionals } = command(args, {
    community: { type: 'string', multiple: true },
    'large-community': { type: 'string', multiple: true },
    'next-hop': { type: 'string' },
    'local-pref': { type: 'string' },
    med: { type: 'string' },
    ...JSON_OPTION,
    ...CONTROL_OPTION,
  }, ['PREFIX']);
  const localPref = decimalOption(values['local-pref'], 'local-pref');
  const med = decimalOption(values.med, 'med');
  const request = checked({
    command: 'announce',
    route: {
      prefix: positionals[0] as string,
      ...(values['next-hop'] === undefined ? {} : { nextHop: values['next-hop'] }),
      ...(values.community === undefined ? {} : { communities: values.community }),
      ...(values['large-community'] === undefined ? {} : { largeCommunities: values['large-community'] }),
      ...(localPref === undefined ? {} : { localPref }),
      ...(med === undefined ? {} : { med }),
    },
  } as const);
  const result = await ask(values.control, request);
  if (values.json === true) printJson(result);
  else process.stdout.write(`announced ${field(result, 'announced') ?? request.route.prefix}\n`);
  return 0;
}

export async function withdraw(args: readonly string[]): Promise<number> {
  const { values, positionals } = command(args, { ...JSON_OPTION, ...CONTROL_OPTION }, ['PREFIX']);
  const request = checked({ command: 'withdraw', prefix: positionals[0] as string } as const);
  const result = await ask(values.control, request);
  if (values.json === true) printJson(result);
  else process.stdout.write(`withdrew ${field(result, 'withdrawn') ?? request.prefix}\n`);
  return 0;
}

const DONE: Record<NeighborAction, string> = { reset: 'reset', shutdown: 'shut down', enable: 'enabled' };

export async function neighbor(args: readonly string[]): Promise<number> {
  const { values, positionals } = command(args, { message: { type: 'string' }, ...JSON_OPTION, ...CONTROL_OPTION }, ['ADDRESS', 'ACTION']);
  const [address, action] = positionals as [string, string];
  if (!(NEIGHBOR_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown neighbor action ${JSON.stringify(action)} (known: ${NEIGHBOR_ACTIONS.join(', ')})`);
  }
  if (values.message !== undefined && action !== 'shutdown') throw new UsageError('--message goes with shutdown only');
  const request = checked<ControlRequest>({
    command: 'neighbor',
    address,
    action: action as NeighborAction,
    ...(values.message === undefined ? {} : { message: values.message }),
  });
  const result = await ask(values.control, request, ACTION_TIMEOUT_MS);
  if (values.json === true) printJson(result);
  else process.stdout.write(`neighbor ${address} ${DONE[action as NeighborAction]}\n`);
  return 0;
}

/** A string field of a reply object, if the speaker sent one. */
function field(value: unknown, name: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const found = (value as Record<string, unknown>)[name];
  return typeof found === 'string' ? found : undefined;
}

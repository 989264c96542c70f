/**
 * bgp-speaker run | neighbors | routes. `run` holds the sessions in the foreground; the others ask
 * a running speaker over its control socket.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { DEFAULT_CONTROL_PATH, sendControlRequest, startControlServer } from '../control/index.js';
import { createLogger } from '../log.js';
import { Speaker } from '../speaker.js';
import { formatNeighborsTable, formatRoutesTable } from './tables.js';
import type { NeighborView } from '../speaker.js';
import type { RouteView } from '../rib/route-view.js';

const USAGE = `usage:
  bgp-speaker run --config FILE [--control PATH]
  bgp-speaker neighbors [--json] [--control PATH]
  bgp-speaker routes [--json] [--received PEER] [--control PATH]

The control socket defaults to ${DEFAULT_CONTROL_PATH}.`;

class UsageError extends Error {}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest);
      case 'neighbors':
        return await neighbors(rest);
      case 'routes':
        return await routes(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bgp-speaker: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`bgp-speaker: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function options<T extends Record<string, { type: 'string' | 'boolean' }>>(args: readonly string[], spec: T) {
  try {
    return parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function run(args: readonly string[]): Promise<number> {
  const values = options(args, { config: { type: 'string' }, control: { type: 'string' } });
  if (values.config === undefined) throw new UsageError('run needs --config FILE');
  const log = createLogger();
  let config;
  try {
    config = loadConfigFile(values.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error({ problems: error.problems }, error.message);
      log.flush();
      process.stderr.write(`bgp-speaker: ${error.message}\n`);
      return 1;
    }
    throw error;
  }

  const speaker = new Speaker(config, { logger: log });
  const controlPath = values.control ?? DEFAULT_CONTROL_PATH;
  const control = await startControlServer(controlPath, (request) => {
    switch (request.command) {
      case 'neighbors':
        return speaker.neighbors();
      case 'routes':
        return request.received === undefined ? speaker.advertisedRoutes() : speaker.receivedRoutes(request.received);
    }
  });
  await speaker.start();
  log.info({ control: controlPath, peers: config.peers.length, announce: config.announce.length }, 'bgp-speaker running');

  return await new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void speaker.stop(`bgp-speaker stopped (${signal})`).finally(() => {
        control.close();
        log.flush();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

async function neighbors(args: readonly string[]): Promise<number> {
  const values = options(args, { json: { type: 'boolean' }, control: { type: 'string' } });
  const result = (await sendControlRequest(values.control ?? DEFAULT_CONTROL_PATH, { command: 'neighbors' })) as NeighborView[];
  process.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatNeighborsTable(result));
  return 0;
}

async function routes(args: readonly string[]): Promise<number> {
  const values = options(args, { json: { type: 'boolean' }, received: { type: 'string' }, control: { type: 'string' } });
  const request = values.received === undefined ? { command: 'routes' as const } : { command: 'routes' as const, received: values.received };
  const result = (await sendControlRequest(values.control ?? DEFAULT_CONTROL_PATH, request)) as RouteView[];
  process.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatRoutesTable(result));
  return 0;
}

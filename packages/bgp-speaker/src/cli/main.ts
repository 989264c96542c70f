/**
 * bgp-speaker run | neighbors | routes | announce | withdraw | neighbor. `run` holds the sessions in
 * the foreground; the others ask a running speaker over its control socket (cli/control-commands.ts).
 */
import type { Server } from 'node:http';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { DEFAULT_CONTROL_PATH, MAX_SHUTDOWN_MESSAGE_OCTETS, startControlServer } from '../control/index.js';
import { createLogger } from '../log.js';
import { Speaker } from '../speaker.js';
import { SpeakerMetrics, startMetricsServer } from '../metrics/index.js';
import { watchConfig } from './reload.js';

/** SIGTERM to exit: the issue allows two seconds. */
const SHUTDOWN_DEADLINE_MS = 1800;
import { UsageError, options } from './args.js';
import { handleControlRequest } from './control-handler.js';
import { announce, neighbor, neighbors, routes, withdraw } from './control-commands.js';

const USAGE = `usage:
  bgp-speaker run --config FILE [--control PATH]
  bgp-speaker neighbors [--json] [--control PATH]
  bgp-speaker routes [--json] [--received PEER | --advertised PEER] [--control PATH]
  bgp-speaker announce PREFIX [--community C]... [--large-community L]... [--next-hop ADDRESS|self]
                              [--local-pref N] [--med N] [--json] [--control PATH]
  bgp-speaker withdraw PREFIX [--json] [--control PATH]
  bgp-speaker neighbor ADDRESS reset|shutdown|enable [--message TEXT] [--json] [--control PATH]

routes shows what we originate; --received PEER what that peer sent us, --advertised PEER what we
sent that peer. announce and withdraw change the running speaker only (the config file is not
edited). --community takes ASN:value or a well-known name (no-export, no-advertise, ...);
--large-community takes global:local1:local2; both may be repeated. neighbor reset ends the session
with Cease/Administrative Reset and reconnects; shutdown sends Cease/Administrative Shutdown with
--message (RFC 9003, at most ${MAX_SHUTDOWN_MESSAGE_OCTETS} octets) and stays down until enable.

The control socket defaults to ${DEFAULT_CONTROL_PATH}.
Exit status: 0 done, 1 the speaker refused or could not be reached, 2 usage error.`;

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
      case 'announce':
        return await announce(rest);
      case 'withdraw':
        return await withdraw(rest);
      case 'neighbor':
        return await neighbor(rest);
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
  const control = await startControlServer(controlPath, (request) => handleControlRequest(speaker, request));
  const metrics = new SpeakerMetrics(speaker);
  let metricsServer: Server | undefined;
  try {
    // Before any session: a metrics port in use must not leave a half-started speaker behind.
    metricsServer = config.metrics === undefined ? undefined : await startMetricsServer(metrics, config.metrics);
    await speaker.start();
  } catch (error) {
    control.close();
    await new Promise((resolve) => (metricsServer === undefined ? resolve(undefined) : metricsServer.close(resolve)));
    throw error;
  }
  log.info({ control: controlPath, peers: config.peers.length, announce: config.announce.length, metrics: config.metrics }, 'bgp-speaker running');

  // The config as the file last said it: reloads diff against this, not against what was
  // announced at run time through the control socket.
  let fileConfig = config;
  const reloader = watchConfig({
    path: values.config,
    current: () => fileConfig,
    logger: log,
    apply: async (next, diff) => {
      await speaker.reconfigure(next, diff);
      if (diff.metricsChanged) {
        await new Promise((resolve) => (metricsServer === undefined ? resolve(undefined) : metricsServer.close(resolve)));
        metricsServer = next.metrics === undefined ? undefined : await startMetricsServer(metrics, next.metrics);
      }
      fileConfig = next;
    },
  });

  return await new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      // RFC 4724: peers that negotiated graceful restart get no NOTIFICATION, so they keep our
      // routes while we restart; the others get Cease/Administrative Shutdown (RFC 9003 text).
      const done = () => {
        reloader.close();
        control.close();
        metricsServer?.close();
        log.flush();
        resolve(0);
      };
      // Exit within 2 seconds whatever a peer does with its half of the connection.
      setTimeout(done, SHUTDOWN_DEADLINE_MS).unref();
      void speaker.stop(`bgp-speaker stopped (${signal})`, { gracefulRestart: true }).finally(done);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}


/**
 * k8s-bridge allocate --config FILE --services FILE [--json]: a dry run of the allocator on a
 * YAML file of Service objects, with the configuration's pools. Nothing is written anywhere.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from 'bgp-speaker';
import { loadConfigFile } from '../config/index.js';
import { allocateAll, parseServices } from '../ipam/index.js';
import { allocatorOptions, poolSpecs } from '../ipam/from-config.js';

export const ALLOCATE_USAGE = 'usage: k8s-bridge allocate --config FILE --services FILE [--json]';

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function allocate(args: readonly string[], output: Output = processOutput): Promise<number> {
  let values: { config?: string; services?: string; json?: boolean };
  try {
    values = parseArgs({ args: [...args], options: { config: { type: 'string' }, services: { type: 'string' }, json: { type: 'boolean' } }, strict: true }).values;
  } catch (error) {
    output.stderr(`k8s-bridge allocate: ${(error as Error).message}\n${ALLOCATE_USAGE}\n`);
    return 2;
  }
  if (values.config === undefined || values.services === undefined) {
    output.stderr(`k8s-bridge allocate: --config and --services are required\n${ALLOCATE_USAGE}\n`);
    return 2;
  }
  try {
    const config = loadConfigFile(values.config);
    const services = parseServices(readFileSync(values.services, 'utf8'), values.services);
    const entries = allocateAll(poolSpecs(config), services, allocatorOptions(config));
    if (values.json === true) {
      output.stdout(`${JSON.stringify(entries, null, 2)}\n`);
    } else {
      for (const entry of entries) {
        const name = `${entry.namespace}/${entry.name}`;
        output.stdout('error' in entry ? `${name}: pending: ${entry.error.message}\n` : `${name}: ${entry.ips.join(', ')} (pool ${entry.pool})\n`);
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      output.stderr(`k8s-bridge allocate: ${error.message}\n`);
      return 1;
    }
    // ServiceFileError and IpamConfigError list their problems in the message already.
    output.stderr(`k8s-bridge allocate: ${(error as Error).message}\n`);
    return 1;
  }
}

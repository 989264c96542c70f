/**
 * k8s-bridge check --config FILE: validates a kubespray vars file or MetalLB CRDs and prints the
 * resolved model as JSON (passwords masked) on stdout, warnings also on stderr, exit 0; or every
 * problem as "path: reason" on stderr, exit 1. A wrong command line is exit 2.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from 'bgp-speaker';
import { loadConfigFile, redactSecrets } from '../config/index.js';

export const CHECK_USAGE = 'usage: k8s-bridge check --config FILE';

/** Where check writes; the process streams unless a test passes its own. */
export interface CheckOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processOutput: CheckOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function check(args: readonly string[], output: CheckOutput = processOutput): Promise<number> {
  let config: string | undefined;
  let help = false;
  try {
    const parsed = parseArgs({ args: [...args], options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    config = parsed.values.config;
    help = parsed.values.help === true;
  } catch (error) {
    output.stderr(`k8s-bridge check: ${(error as Error).message}\n${CHECK_USAGE}\n`);
    return 2;
  }
  if (help) {
    output.stdout(`${CHECK_USAGE}\n\nReads kubespray variables (flat or metallb_config) or MetalLB CRDs and prints the\nresolved model as JSON (passwords masked), or every problem with its key path.\nExit status: 0 valid, 1 invalid, 2 usage error.\n`);
    return 0;
  }
  if (config === undefined || config === '') {
    output.stderr(`k8s-bridge check: --config FILE is required\n${CHECK_USAGE}\n`);
    return 2;
  }
  try {
    const model = loadConfigFile(config);
    output.stdout(`${JSON.stringify(redactSecrets(model), null, 2)}\n`);
    for (const warning of model.warnings) output.stderr(`warning: ${warning}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      output.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

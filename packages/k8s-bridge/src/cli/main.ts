/** k8s-bridge check | allocate. */
import { allocate, ALLOCATE_USAGE } from './allocate.js';
import { check } from './check.js';
import { controller, CONTROLLER_USAGE } from './controller.js';
import { speaker, SPEAKER_USAGE } from './speaker.js';
import { standalone, STANDALONE_USAGE } from './standalone.js';

const USAGE = `usage:
  k8s-bridge check --config FILE
  ${ALLOCATE_USAGE.replace('usage: ', '')}
  ${STANDALONE_USAGE.replace('usage: ', '')}
  ${CONTROLLER_USAGE.replace('usage: ', '')}
  ${SPEAKER_USAGE.replace('usage: ', '')}`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return check(rest);
    case 'allocate':
      return allocate(rest);
    case 'standalone':
      return standalone(rest);
    case 'controller':
      return controller(rest);
    case 'speaker':
      return speaker(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`k8s-bridge: unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
      return 2;
  }
}

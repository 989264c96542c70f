/**
 * A Layer2Announcer driven over stdin, for the namespace test (started inside a node's network
 * namespace as compiled JS: `ip netns exec NS node runner.js eth0`).
 * Commands, one per line: `own IP`, `disown IP`, `stats`, `frames` (frames the sockets delivered), `quit`. Every command is answered
 * with one line: `ok <command>`, the stats as JSON, or `error <message>`. Prints `ready` first.
 */
import { createInterface } from 'node:readline';
import { Layer2Announcer } from '../responder.js';

const names = process.argv[2]?.split(',').filter((n) => n !== '');
const announcer = new Layer2Announcer(names === undefined || names.length === 0 ? {} : { interfaces: names });
process.stdout.write('ready\n');

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/);
  try {
    if (command === 'own' && argument !== undefined) announcer.own(argument);
    else if (command === 'disown' && argument !== undefined) announcer.disown(argument);
    else if (command === 'stats') {
      process.stdout.write(`${JSON.stringify(announcer.stats)}\n`);
      return;
    } else if (command === 'frames') {
      process.stdout.write(`${announcer.framesReceived}\n`);
      return;
    } else if (command === 'quit') {
      announcer.close();
      lines.close();
      process.stdout.write('ok quit\n');
      return;
    } else throw new Error(`unknown command ${JSON.stringify(line)}`);
    process.stdout.write(`ok ${line.trim()}\n`);
  } catch (err) {
    process.stdout.write(`error ${err instanceof Error ? err.message : String(err)}\n`);
  }
});
// stdin closed (the test ended or died): stop, so no runner outlives its test.
lines.on('close', () => announcer.close());

// What every bench script does around its main(): progress on stderr, and when run as a
// script, the exit code from main, or on a crash the namespaces and daemons cleaned up first.
import { fileURLToPath } from 'node:url';
import { cleanUpEverything } from '../testbed/cleanup.js';

export const progress = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/** Runs `main` with the command line when `moduleUrl` is the script node was started with. */
export function runAsScript(moduleUrl: string, what: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      cleanUpEverything();
      progress(`${what} failed: ${error.stack ?? error.message}`);
      process.exitCode = 1;
    },
  );
}

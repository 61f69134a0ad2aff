// What every bench script does around its main(): the check of what it needs, progress on
// stderr, and when run as a script, the exit code from main, or on a crash the namespaces and
// daemons cleaned up first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cleanUpEverything } from '../testbed/cleanup.js';
import { DEBIAN_FASTD } from './daemon.js';

const DIST_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** What a bench of both daemons lacks: root, Debian's fastd, a build, and the named tools (iperf3, …). */
export function missingPrerequisites(tools: readonly string[] = []): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (namespaces, TAP devices)');
  if (!existsSync(DEBIAN_FASTD)) missing.push(`Debian's fastd at ${DEBIAN_FASTD}`);
  for (const tool of tools) if (![`/usr/bin/${tool}`, `/bin/${tool}`].some(existsSync)) missing.push(tool);
  if (!existsSync(DIST_MAIN)) missing.push('a build of fastd-ts (npm run build)');
  return missing;
}

/** The number after `name` on the command line, or `fallback` when `name` is not there. */
export function numberOption(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

/** Every value given for `name` on the command line, in order (an option given more than once). */
export function optionValues(argv: readonly string[], name: string): string[] {
  return argv.flatMap((arg, i) => (arg === name && i + 1 < argv.length ? [argv[i + 1]!] : []));
}

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

// Everything the harness creates outside this process (namespaces, daemons, iperf3) is
// recorded here, so it is removed even when a test throws, the worker is interrupted or a
// hook is never reached. Names carry our pid, so leftovers of a crashed earlier run can be
// told apart from a concurrently running suite's and removed.
import { execFileSync } from 'node:child_process';

/** Namespace names look like fts<n>-<pid>-<side>. */
const NAMESPACE_PATTERN = /^fts\d+-(\d+)-/;

const namespaces = new Set<string>();
const pids = new Set<number>();
let handlersInstalled = false;

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // already gone
  }
}

export function deleteNamespace(name: string): void {
  quietly(() => execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' }));
  namespaces.delete(name);
}

export function trackNamespace(name: string): void {
  installHandlers();
  namespaces.add(name);
}

export function trackPid(pid: number): void {
  installHandlers();
  pids.add(pid);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

/** Synchronous, so it also works from an 'exit' handler. */
export function cleanUpEverything(): void {
  for (const pid of pids) quietly(() => process.kill(pid, 'SIGKILL'));
  pids.clear();
  for (const name of [...namespaces]) deleteNamespace(name);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces left by harness processes that no longer exist. */
export function sweepStaleNamespaces(): void {
  let listing = '';
  quietly(() => {
    listing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  });
  for (const line of listing.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = NAMESPACE_PATTERN.exec(name);
    if (owner && !isAlive(Number(owner[1]))) deleteNamespace(name);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', cleanUpEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUpEverything();
      process.kill(process.pid, signal);
    });
  }
}

// `--daemon`. Node cannot fork, so the daemon starts itself again, detached, with its
// standard streams closed, and the first process exits 0 only once the second one reports
// that start-up succeeded (fastd's status pipe) — exit 1 if it dies first.
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { EXIT_FAILURE } from '../../log/logger.js';

/** Set in the re-started process; its value is the fd of the readiness pipe. */
const CHILD_MARK = 'FASTD_TS_DAEMON_READY_FD';
/** The pipe's place in the child's stdio array. */
const READY_FD = 3;

export function isDaemonChild(): boolean {
  return process.env[CHILD_MARK] !== undefined;
}

/** In the first process: start the daemon and exit when it is ready (never returns). */
export function becomeDaemon(): Promise<never> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    // Same directory, so relative paths on the command line mean the same; the daemon itself moves to / later.
    env: { ...process.env, [CHILD_MARK]: String(READY_FD) },
  });
  return new Promise<never>(() => {
    const pipe = child.stdio[READY_FD]!;
    pipe.once('data', () => process.exit(0));
    child.once('exit', () => process.exit(EXIT_FAILURE));
    child.once('error', () => process.exit(EXIT_FAILURE));
  });
}

/** In the daemon: start-up is complete; let the first process go. */
export function reportReady(): void {
  const fd = Number(process.env[CHILD_MARK]);
  delete process.env[CHILD_MARK];
  if (!Number.isInteger(fd)) return;
  try {
    writeSync(fd, Buffer.of(0));
    closeSync(fd);
  } catch {
    // The first process is gone; nobody is waiting.
  }
}

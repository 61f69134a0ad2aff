// `user` / `group` (fastd's set_groups + set_user): after the interfaces and sockets exist,
// the daemon continues as the configured user, with that user's groups.
import { execFileSync } from 'node:child_process';
import type { Config } from '../config/types.js';
import { log } from '../log/logger.js';

/** The user's primary group id, as getpwnam reports it (through NSS, like the config check). */
function primaryGroup(user: string): number | undefined {
  try {
    const entry = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split('\n')[0]!;
    const gid = Number(entry.split(':')[3]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

/** Switches user and group; throws with fastd's wording of the failed step. */
export function switchUser(config: Config): void {
  const { user, group } = config;
  if (user === undefined && group === undefined) return;
  const posix = process as NodeJS.Process & { initgroups?: (user: string, group: string | number) => void };
  const gid = group ?? (user !== undefined ? primaryGroup(user) : undefined);
  try {
    if (user !== undefined && gid !== undefined) posix.initgroups?.(user, gid);
  } catch (error) {
    // fastd ignores EPERM from setgroups.
    log.debug(`setgroups: ${(error as Error).message}`);
  }
  try {
    if (gid !== undefined) posix.setgid?.(gid);
  } catch (error) {
    throw new Error(`setresgid: ${(error as Error).message}`);
  }
  try {
    if (user !== undefined) posix.setuid?.(user);
  } catch (error) {
    throw new Error(`setresuid: ${(error as Error).message}`);
  }
  log.info(`changed to UID ${process.getuid?.()}, GID ${process.getgid?.()}`);
}

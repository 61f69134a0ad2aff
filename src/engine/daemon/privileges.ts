// `user` / `group` (fastd's configure_user, set_groups and set_user): after the interfaces and
// sockets exist, the daemon continues as the configured user, with that user's groups. Before
// that, the status socket and the PID file are created as that user, as fastd creates them, so
// that whoever may read them with fastd may with fastd-ts.
import { execFileSync } from 'node:child_process';
import type { Config } from '../../config/types.js';
import { setThreadGroups, withoutEffectiveCapabilities, type ThreadIds } from '../../io/capabilities.js';
import { errno, strerror, syscall, Syscall } from '../../io/libc.js';
import { log } from '../../log/logger.js';

/** The ids `user` and `group` stand for (fastd's conf.uid, conf.gid and conf.groups). */
export type Account = ThreadIds;

/** A numeric field of a passwd or group entry, looked up through NSS like getpwnam/getgrnam. */
function entryId(database: 'passwd' | 'group', name: string, field: number): number | undefined {
  try {
    const entry = execFileSync('getent', [database, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!;
    const id = Number(entry.split(':')[field]);
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** getgrouplist(user, gid): `gid` and the groups that list the user as a member. */
function groupList(user: string, gid: number, primary: number | undefined): number[] {
  let ids: number[] = [];
  try {
    ids = execFileSync('id', ['-G', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(/\s+/).map(Number);
  } catch {
    // no member groups known: the primary one alone
  }
  return [gid, ...ids.filter((id) => Number.isInteger(id) && id !== primary && id !== gid)];
}

/** fastd's configure_user: the user's uid and gid, the gid replaced by `group`'s; undefined when neither is set. */
export function configuredAccount(config: Config): Account | undefined {
  const { user, group } = config;
  if (user === undefined && group === undefined) return undefined;
  const uid = user === undefined ? process.getuid!() : entryId('passwd', user, 2);
  if (uid === undefined) throw new Error(`config error: unable to find user \`${user}'.`);
  const gid = group !== undefined ? entryId('group', group, 2) : user !== undefined ? entryId('passwd', user, 3) : process.getgid!();
  if (gid === undefined) throw new Error(`config error: unable to find group \`${group}'.`);
  const groups = user === undefined ? [gid] : groupList(user, gid, entryId('passwd', user, 3));
  return { uid, gid, groups };
}

/**
 * fastd's set_groups: the user's groups, or only `group` without a user; fastd ignores a
 * refusal. For the control plane's thread: the datapath workers set their own.
 */
export function setGroups(account: Account): void {
  if (!setThreadGroups(account.groups)) log.debug(`setgroups: ${strerror(errno())}`);
}

function setEffective(call: number, id: number, what: string): void {
  if (syscall(call, -1, id, -1) < 0) log.debug(`${what}: ${strerror(errno())}`);
}

/**
 * Runs `create` with the calling thread's effective uid and gid switched to `account`, as fastd
 * switches them around creating its status socket and PID file. Only this thread's: glibc's
 * seteuid would switch the datapath workers too, and leaving uid 0 clears a thread's effective
 * capabilities, which a worker still setting up may need.
 */
export function createAs<T>(account: Account | undefined, create: () => T): T {
  if (!account) return create();
  const euid = process.geteuid!();
  const egid = process.getegid!();
  setEffective(Syscall.setresgid, account.gid, 'setegid');
  setEffective(Syscall.setresuid, account.uid, 'seteuid');
  try {
    return create();
  } finally {
    setEffective(Syscall.setresuid, euid, 'seteuid');
    setEffective(Syscall.setresgid, egid, 'setegid');
  }
}

/**
 * Runs `read` with the rights this thread will have once `dropPrivileges` or `changeUser` ran
 * (fastd reads its peer directories only then): as the user with the user's groups, and
 * without effective capabilities unless `drop capabilities no` leaves them to root. Only this
 * thread changes, and only for the call, so the daemon can read while its workers start.
 */
export function readAsDropped<T>(config: Config, account: Account | undefined, read: () => T): T {
  if (account) setGroups(account);
  return createAs(account, () => (config.dropCapabilities === 'no' ? read() : withoutEffectiveCapabilities(read)));
}

/**
 * Switches user and group; throws with fastd's wording of the failed step. The workers have
 * become the user already (a worker without capabilities could not follow glibc's setgid to
 * ids it does not have); Node's other threads follow glibc's setgid and setuid.
 */
export function switchUser(account: Account | undefined): void {
  if (!account) return;
  setGroups(account);
  const posix = process as NodeJS.Process & { setgid?: (id: number) => void; setuid?: (id: number) => void };
  try {
    posix.setgid?.(account.gid);
  } catch (error) {
    throw new Error(`setresgid: ${(error as Error).message}`);
  }
  try {
    posix.setuid?.(account.uid);
  } catch (error) {
    throw new Error(`setresuid: ${(error as Error).message}`);
  }
  log.info(`changed to UID ${process.getuid?.()}, GID ${process.getgid?.()}`);
}

// Whether the `user`/`group` a configuration names exist, asked the way getpwnam/getgrnam
// would answer (through NSS via getent, so LDAP or systemd users count too). fastd fails
// at start-up with "unable to find user"; fastd-ts finds out when it loads the config.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

type AccountDatabase = 'passwd' | 'group';

const DATABASE_FILES: Record<AccountDatabase, string> = { passwd: '/etc/passwd', group: '/etc/group' };
/** getent's exit status for "key not found". */
const GETENT_NOT_FOUND = 2;

function firstFieldMatches(lines: string, name: string): boolean {
  return lines.split('\n').some((line) => line.split(':')[0] === name);
}

/** True when the account exists; getpwnam looks names up, so a numeric id is not a name. */
export function accountExists(database: AccountDatabase, name: string): boolean {
  if (name === '') return false;
  try {
    const output = execFileSync('getent', [database, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return firstFieldMatches(output, name);
  } catch (error) {
    if ((error as { status?: number }).status === GETENT_NOT_FOUND) return false;
  }
  try {
    return firstFieldMatches(readFileSync(DATABASE_FILES[database], 'utf8'), name);
  } catch {
    return false;
  }
}

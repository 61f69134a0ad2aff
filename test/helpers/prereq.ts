// Prerequisites of the tests that need the real world (root, namespaces, Debian's fastd).
// In CI (.ci/run sets FASTD_TS_REQUIRE_SYSTEM=1) a missing prerequisite is a failure; on a
// developer's laptop those tests are skipped and the reason is printed once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const systemTestsRequired = process.env.FASTD_TS_REQUIRE_SYSTEM === '1';

function probe(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

export const DEBIAN_FASTD = '/usr/bin/fastd';

export const haveDebianFastd = probe(() => existsSync(DEBIAN_FASTD));
export const isRoot = process.getuid?.() === 0;
export const haveNetns = isRoot && probe(() => {
  execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  return true;
});

/**
 * Returns true when the named prerequisites hold. When they do not: throws in CI (so the
 * suite fails loudly), and otherwise prints why the caller's tests are skipped.
 */
export function requireSystem(what: string, checks: Record<string, boolean>): boolean {
  const missing = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  if (missing.length === 0) return true;
  const reason = `${what}: missing ${missing.join(', ')}`;
  if (systemTestsRequired) throw new Error(`${reason} (required because FASTD_TS_REQUIRE_SYSTEM=1)`);
  process.stderr.write(`SKIPPED ${reason}\n`);
  return false;
}

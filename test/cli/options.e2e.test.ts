// fastd's command line next to Debian's fastd: the same --help and the same usage errors.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { usageText } from '../../src/cli/options.ts';
import { DEBIAN_FASTD, haveDebianFastd, requireSystem } from '../helpers/prereq.ts';
import { usageError } from './usage-error.ts';

const withFastd = requireSystem("comparing --help with Debian's fastd", { fastd: haveDebianFastd });

describe('usage text', () => {
  it.runIf(withFastd)("matches Debian fastd's --help apart from the version", () => {
    const debian = execFileSync(DEBIAN_FASTD, ['--help'], { encoding: 'utf8' });
    expect(usageText(false).replace(/\) v\d+ usage/, ') vN usage')).toBe(debian.replace(/\) v\d+ usage/, ') vN usage'));
  });
});

describe.runIf(withFastd)("usage errors compared with Debian's fastd", () => {
  const cases = [
    ['--bogus'], ['-c'], ['--mtu', '0x600'], ['--mode', 'tunnel'], ['--log-level', 'trace'], ['-b', '::1'],
    ['-b', '[::1'], ['-b', '[::x]:1'], ['-b', '1.2.3.4:70000'], ['-b', '300.1.1.1'], ['-p', 'other'],
  ];
  it.each(cases)('fastd %s', (...argv) => {
    let debian = '';
    try {
      execFileSync(DEBIAN_FASTD, argv, { stdio: 'pipe' });
    } catch (error) {
      debian = (error as { stderr: Buffer }).stderr.toString().trim().replace(/^.* --- Error: /, '');
    }
    expect(usageError(argv)).toBe(debian);
  });
});

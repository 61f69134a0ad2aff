// The example configurations in conf/ are valid for Debian's fastd too, and it derives the
// same public keys from their secrets.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/loader.ts';
import { DEBIAN_FASTD, haveDebianFastd, requireSystem } from '../helpers/prereq.ts';
import { CONF, EXAMPLES, publicKeyOf } from './helpers.ts';

const withFastd = requireSystem("checking conf/ with Debian's fastd", { fastd: haveDebianFastd });

describe.runIf(withFastd)("shipped examples with Debian's fastd", () => {
  it.each(EXAMPLES)('fastd --verify-config accepts %s', (name) => {
    expect(() => execFileSync(DEBIAN_FASTD, ['--verify-config', '-c', join(CONF, name)], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(EXAMPLES)('fastd --show-key derives the same public key for %s', (name) => {
    const { config } = loadConfigFile(join(CONF, name));
    const shown = execFileSync(DEBIAN_FASTD, ['-c', join(CONF, name), '--show-key', '--machine-readable'], { encoding: 'utf8' });
    expect(shown.trim()).toBe(publicKeyOf(config.secret!));
  });
});

// Curve25519 keys next to Debian's fastd: the public keys it shows for our secrets, and the
// secrets and peer keys it accepts or refuses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  derivePublicKey,
  generateSecretKey,
  isValidPublicKey,
  isValidSecretKey,
  keyToHex,
  parseKeyHex,
} from '../../../src/crypto/ec25519/keys.ts';
import { DEBIAN_FASTD, haveDebianFastd, requireSystem } from '../../helpers/prereq.ts';
import { random32 } from './bigint.ts';

describe.runIf(requireSystem('Debian fastd key checks', { fastd: haveDebianFastd }))('keys against Debian fastd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runFastd(config: string, ...args: string[]) {
    const file = join(dir, 'fastd.conf');
    writeFileSync(file, config);
    return spawnSync(DEBIAN_FASTD, [...args, '-c', file], { encoding: 'utf8' });
  }

  /** What `fastd --show-key` prints for a configured secret, or undefined when fastd refuses it. */
  function fastdPublicKey(secret: Uint8Array): string | undefined {
    const run = runFastd(`secret "${keyToHex(secret)}";\n`, '--machine-readable', '--show-key');
    if (run.status !== 0) {
      expect(run.stderr).toContain('invalid secret key');
      return undefined;
    }
    return run.stdout.trim();
  }

  it('derives the public key fastd shows for 100 generated secrets', () => {
    for (let i = 0; i < 100; i++) {
      const secret = generateSecretKey();
      expect(keyToHex(derivePublicKey(secret)), keyToHex(secret)).toBe(fastdPublicKey(secret));
    }
  });

  it('derives what fastd shows for unclamped secrets, which fastd uses unchanged', () => {
    for (let i = 0; i < 30; i++) {
      const secret = random32();
      secret[0] &= 0xf8; // bits 254 and 255 stay random
      expect(keyToHex(derivePublicKey(secret)), keyToHex(secret)).toBe(fastdPublicKey(secret));
    }
    for (const edge of ['00'.repeat(32), 'f8' + 'ff'.repeat(31)]) {
      const secret = parseKeyHex(edge)!;
      expect(keyToHex(derivePublicKey(secret))).toBe(fastdPublicKey(secret));
    }
  });

  it('refuses the secrets fastd refuses', () => {
    for (let low = 1; low < 8; low++) {
      const secret = generateSecretKey();
      secret[0] |= low;
      expect(isValidSecretKey(secret)).toBe(false);
      expect(fastdPublicKey(secret)).toBeUndefined();
    }
  });

  it('accepts the peer keys fastd accepts', () => {
    const own = keyToHex(generateSecretKey());
    const candidates = [
      '00'.repeat(32), // the point of order 2: fastd takes it
      '00'.repeat(31) + '80', // the identity: refused
      'ed' + 'ff'.repeat(30) + '7f', // x = p, read as 0
      'ff'.repeat(32),
      ...Array.from({ length: 20 }, () => keyToHex(random32())),
    ];
    for (const key of candidates) {
      const run = runFastd(
        `secret "${own}";\nmethod "null";\nmode tap;\npeer "p" { key "${key}"; }\n`,
        '--verify-config',
      );
      expect(isValidPublicKey(parseKeyHex(key)!), key).toBe(run.status === 0);
    }
  });
});

// --generate-key and --show-key as a user sees them, compared with Debian's fastd.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_FASTD, haveDebianFastd, requireSystem } from '../helpers/prereq.js';
import { mapLimit, runCli, runCommand } from './run-cli.js';

const HEX64 = /^[0-9a-f]{64}$/;
const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-keys-'));

/**
 * A random secret fastd accepts: any 256 bits that are a multiple of 8 (fastd divides the
 * secret by the cofactor for the handshake and refuses it otherwise), not otherwise clamped.
 */
function randomSecretHex(): string {
  const secret = randomBytes(32);
  secret[0] &= 0xf8;
  return secret.toString('hex');
}

function secretConfig(secretHex: string, name: string): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, `secret "${secretHex}";\n`);
  return path;
}

describe('--generate-key', () => {
  it('prints Secret and Public lines whose public key matches --show-key', async () => {
    const generated = await runCli(['--generate-key']);
    expect(generated.status).toBe(0);
    const match = /^Secret: ([0-9a-f]{64})\nPublic: ([0-9a-f]{64})\n$/.exec(generated.stdout);
    expect(match, generated.stdout).not.toBeNull();
    const shown = await runCli(['--show-key', '--machine-readable', '-c', secretConfig(match![1], 'generated')]);
    expect(shown.stdout).toBe(`${match![2]}\n`);
  });

  it('prints only the secret with --machine-readable, different every time', async () => {
    const [a, b] = await Promise.all([
      runCli(['--generate-key', '--machine-readable']),
      runCli(['--machine-readable', '--generate-key']),
    ]);
    expect(a.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(b.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

describe('--show-key', () => {
  it('prints "Public: <hex>" without --machine-readable', async () => {
    const shown = await runCli(['-c', secretConfig(randomSecretHex(), 'plain'), '--show-key']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^Public: [0-9a-f]{64}\n$/);
  });

  it('fails clearly without a secret', async () => {
    const path = join(dir, 'nosecret.conf');
    writeFileSync(path, 'mode tap;\n');
    const shown = await runCli(['-c', path, '--show-key']);
    expect(shown.status).not.toBe(0);
    expect(shown.stderr).toMatch(/secret/);
    expect(shown.stderr).not.toMatch(/\n\s+at /);
  });

  const ok = requireSystem("--show-key against Debian's fastd", { fastd: haveDebianFastd });
  it.runIf(ok)('equals Debian fastd --show-key for 100 random secrets', async () => {
    const secrets = Array.from({ length: 100 }, randomSecretHex);
    const results = await mapLimit(secrets, 4, async (secret) => {
      const path = secretConfig(secret, secret.slice(0, 16));
      const [ours, theirs] = await Promise.all([
        runCli(['--machine-readable', '--show-key', '-c', path]),
        runCommand(DEBIAN_FASTD, ['--machine-readable', '--show-key', '-c', path]),
      ]);
      return { secret, ours: ours.stdout.trim(), theirs: theirs.stdout.trim() };
    });
    for (const { secret, ours, theirs } of results) {
      expect(theirs, `Debian fastd for ${secret}`).toMatch(HEX64);
      expect(ours, `secret ${secret}`).toBe(theirs);
    }
  }, 180_000);

  it.runIf(ok)('refuses a secret that is not a multiple of 8, as Debian fastd does', async () => {
    const secret = randomBytes(32);
    secret[0] |= 0x05;
    const path = secretConfig(secret.toString('hex'), 'not-multiple-of-8');
    const [ours, theirs] = await Promise.all([
      runCli(['--show-key', '-c', path]),
      runCommand(DEBIAN_FASTD, ['--show-key', '-c', path]),
    ]);
    expect(theirs.status).not.toBe(0);
    expect(theirs.stderr).toMatch(/invalid secret key/);
    expect(ours.status).not.toBe(0);
    expect(ours.stderr).toMatch(/invalid secret key/);
    expect(ours.stdout).toBe('');
  });
});

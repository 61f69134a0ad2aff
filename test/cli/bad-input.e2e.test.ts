// Bad configuration input ends in one clear error line and a non-zero exit, before anything
// starts, and never in a stack trace.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-bad-'));
const SECRET = `secret "${'11'.repeat(32)}";\n`;

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function expectConfigError(args: string[], pattern: RegExp, input?: string) {
  const result = await runCli(args, input);
  expect(result.status, result.stderr).not.toBe(0);
  expect(result.stderr).toMatch(/Error: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
  return result;
}

describe('bad configuration input', () => {
  it('names file, line and column of a syntax error', async () => {
    const path = file('syntax.conf', `${SECRET}mode tap;\nfoo bar;\n`);
    await expectConfigError(['--verify-config', '-c', path], new RegExp(`config error: .* at ${path}:3:1`));
  });

  it('rejects a missing file', async () => {
    await expectConfigError(['--verify-config', '-c', join(dir, 'does-not-exist.conf')], /does-not-exist\.conf/);
  });

  it('rejects a directory given as a config file', async () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expectConfigError(['--verify-config', '-c', sub], /a-directory/);
  });

  it('rejects binary garbage', async () => {
    const path = file('garbage.conf', randomBytes(4096));
    await expectConfigError(['--verify-config', '-c', path], /garbage\.conf/);
  });

  it('rejects a 10 MB file', async () => {
    const path = file('huge.conf', `${SECRET}${'# padding padding padding padding\n'.repeat(300_000)}mode tap;\n`.padEnd(10 * 1024 * 1024, 'x'));
    await expectConfigError(['--verify-config', '-c', path], /huge\.conf/);
  });

  it('rejects an include loop', async () => {
    const a = join(dir, 'loop-a.conf');
    const b = join(dir, 'loop-b.conf');
    writeFileSync(a, `${SECRET}include "${b}";\n`);
    writeFileSync(b, `include "${a}";\n`);
    await expectConfigError(['--verify-config', '-c', a], /include/);
  });

  it('rejects a config read from stdin with an error at its line', async () => {
    await expectConfigError(['--verify-config', '-c', '-'], /config error: .*:2:1/, `${SECRET}bogus;\n`);
  });

  it('rejects an unknown option as fastd does', async () => {
    const result = await runCli(['--no-such-option']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/no-such-option/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

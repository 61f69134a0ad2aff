// Input that must end in a clear ConfigError, never in an exception of another kind.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfigFile, loadConfigText } from '../../src/config/loader.ts';
import { MAX_GROUP_NESTING } from '../../src/config/parser.ts';
import { MAX_CONFIG_FILE_BYTES } from '../../src/config/sources.ts';
import { makeTree, withBasics } from './helpers.ts';

function failure(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('the configuration was accepted');
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function garbage(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

describe('bad input', () => {
  it('reports binary garbage as a ConfigError, whatever the bytes', () => {
    const dir = makeTree({});
    for (let seed = 1; seed <= 200; seed++) {
      writeFileSync(join(dir, 'g.conf'), garbage(64 + seed, seed));
      const error = failure(() => loadConfigFile(join(dir, 'g.conf')));
      // Mostly a syntax error at the first bad byte; a seed may also yield only comments.
      expect(error.message).toMatch(/^config error: [^\n]+$/);
    }
  });

  it('refuses a file larger than the limit without parsing it', () => {
    const dir = makeTree({ 'big.conf': Buffer.alloc(10 * 1024 * 1024, 0x23) });
    expect(failure(() => loadConfigFile(join(dir, 'big.conf'))).what).toBe(
      `config file \`${join(dir, 'big.conf')}' is larger than ${MAX_CONFIG_FILE_BYTES} bytes`,
    );
  });

  it('reads a large but allowed file of comments', () => {
    const dir = makeTree({ 'long.conf': `${'# filler line\n'.repeat(200_000)}${withBasics('mtu 1400;')}` });
    expect(loadConfigFile(join(dir, 'long.conf')).config.mtu).toBe(1400);
  });

  it('reports files that cannot be opened or read', () => {
    const dir = makeTree({ 'main.conf': 'include "sub";\n', 'sub/x': '' });
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    expect(failure(() => loadConfigFile(join(dir, 'missing.conf'))).message).toMatch(/can't open config file .*no such file or directory \(ENOENT\)$/);
    expect(failure(() => loadConfigFile(join(dir, 'loop-a'))).message).toMatch(/can't open config file .*\(ELOOP\)$/);
    expect(failure(() => loadConfigFile(dir)).message).toMatch(/can't read config file .*: it is a directory$/);
    expect(failure(() => loadConfigFile(join(dir, 'main.conf'))).message).toBe(
      "config error: can't read config file `sub': it is a directory at " + `${join(dir, 'main.conf')}:1:9`,
    );
  });

  it('stops include loops at fastd include depth', () => {
    const dir = makeTree({ 'a.conf': 'include "b.conf";\n', 'b.conf': '\n include "a.conf";\n' });
    const error = failure(() => loadConfigFile(join(dir, 'a.conf')));
    expect(error.message).toBe('config error: maximum config include depth exceeded at b.conf:2:10');
  });

  it('allows ten nested files, as fastd does', () => {
    const files: Record<string, string> = { 'f9.conf': withBasics('') };
    for (let i = 0; i < 9; i++) files[`f${i}.conf`] = `include "f${i + 1}.conf";`;
    const dir = makeTree(files);
    expect(() => loadConfigFile(join(dir, 'f0.conf'))).not.toThrow();
    files['f9.conf'] = 'include "f10.conf";';
    files['f10.conf'] = withBasics('');
    const deeper = makeTree(files);
    expect(failure(() => loadConfigFile(join(deeper, 'f0.conf'))).what).toBe('maximum config include depth exceeded');
  });

  it('nests peer groups as deep as fastd, and fails cleanly beyond', () => {
    const nest = (levels: number) => withBasics(`${'peer group "g" {'.repeat(levels)}${'}'.repeat(levels)}`);
    const config = loadConfigText(nest(MAX_GROUP_NESTING)).config;
    let depth = 0;
    for (let group = config.peerGroup; group.children.length > 0; group = group.children[0]) depth++;
    expect(depth).toBe(MAX_GROUP_NESTING);
    expect(failure(() => loadConfigText(nest(MAX_GROUP_NESTING + 1))).what).toBe(
      `peer groups nested deeper than ${MAX_GROUP_NESTING} levels`,
    );
  });
});

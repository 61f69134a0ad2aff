// The configuration corpus: every file under corpus/accept must load with the start-up
// checks, every file under corpus/reject must fail with the error its first line names
// ("# expect: <what> @ [file:]line:col"). corpus.e2e.test.ts has Debian's fastd judge the
// same files.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfigFile } from '../../src/config/loader.ts';
import { corpusFiles, ourError } from './helpers.ts';

interface Expectation {
  what: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Reads `# expect: what @ [file:]line:col` from the first line. */
function expectationOf(path: string): Expectation | 'accept' {
  const first = readFileSync(path, 'latin1').split('\n')[0];
  const match = /^# expect: (.*?)(?: @ (?:(.+):)?(\d+):(\d+))?$/.exec(first);
  if (!match) throw new Error(`${path}: first line must be "# expect: …"`);
  if (match[1] === 'accept') return 'accept';
  return {
    what: match[1],
    file: match[2],
    line: match[3] === undefined ? undefined : Number(match[3]),
    column: match[4] === undefined ? undefined : Number(match[4]),
  };
}

describe('configuration corpus', () => {
  it('is large enough to cover the language', () => {
    expect(corpusFiles('accept').length + corpusFiles('reject').length).toBeGreaterThanOrEqual(60);
  });

  describe.each(corpusFiles('accept'))('accepts %s', (path) => {
    it('loads with the start-up checks', () => {
      expect(expectationOf(path)).toBe('accept');
      expect(() => loadConfigFile(path)).not.toThrow();
    });
  });

  describe.each(corpusFiles('reject'))('rejects %s', (path) => {
    it('with the expected error and position', () => {
      const expected = expectationOf(path);
      expect(expected).not.toBe('accept');
      if (expected === 'accept') return;
      const configError = ourError(path);
      expect(configError).toBeInstanceOf(ConfigError);
      if (!configError) return;
      expect(configError.what).toBe(expected.what);
      expect(configError.line).toBe(expected.line);
      expect(configError.column).toBe(expected.column);
      if (expected.line !== undefined) {
        expect(configError.file).toBeDefined();
        expect(expected.file ?? basename(path)).toBe(expected.file ? configError.file : basename(configError.file ?? ''));
      }
    });
  });
});

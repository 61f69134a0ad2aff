// `workers <N>;` and --workers N: the fastd-ts extension that sets how many datapath
// threads the peers are spread over (undefined: one per core, decided by the daemon).
import { describe, expect, it } from 'vitest';
import { UsageError, usageText } from '../../src/cli/options.ts';
import { MAX_WORKERS } from '../../src/config/types.ts';
import { commandLineWith, configErrorOf, loadWithBasics } from './helpers.ts';

const load = loadWithBasics;
const configError = (text: string) => configErrorOf(() => load(text))!;

describe('workers statement', () => {
  it('is unset by default, so the daemon picks one per core', () => {
    expect(load('').workers).toBeUndefined();
  });

  it('takes a count, the last statement winning', () => {
    expect(load('workers 2;').workers).toBe(2);
    expect(load(`workers 3;\nworkers ${MAX_WORKERS};`).workers).toBe(MAX_WORKERS);
  });

  it('rejects 0, counts past the limit and non-numbers at the value', () => {
    for (const bad of ['0', String(MAX_WORKERS + 1)]) {
      const error = configError(`workers ${bad};`);
      expect(error.message).toMatch(/invalid worker count .* at .*:3:9$/);
    }
    expect(configError('workers "2";').message).toMatch(/syntax error/);
  });
});

describe('--workers', () => {
  it('sets the count', () => {
    expect(commandLineWith(['--workers', '3']).config.workers).toBe(3);
  });

  it('refuses counts outside 1..MAX_WORKERS and words', () => {
    for (const bad of ['0', 'two', String(MAX_WORKERS + 1)]) {
      expect(() => commandLineWith(['--workers', bad])).toThrow(UsageError);
    }
  });

  it('is listed among the extensions, not in the part of --help that matches fastd', () => {
    expect(usageText(false)).not.toContain('--workers');
    expect(usageText(true)).toMatch(/fastd-ts extensions:[^]*--workers N/);
  });
});

// The handshake bench's command line: --help answers without running the bench, and a
// command line it does not take is refused rather than half read.
import { describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/bench/handshakes.ts';

describe('bench:handshakes command line', () => {
  it('answers --help and -h with the usage, whatever else is given', () => {
    expect(benchOptions(['--help'])).toBe('help');
    expect(benchOptions(['--routers', '20', '-h'])).toBe('help');
  });

  it('refuses unknown options, missing values and bad numbers', () => {
    expect(benchOptions(['--bogus', '1'])).toBeUndefined();
    expect(benchOptions(['--routers'])).toBeUndefined();
    expect(benchOptions(['--seconds', 'ten'])).toBeUndefined();
    expect(benchOptions(['--only', 'wireguard'])).toBeUndefined();
    expect(benchOptions(['--flood-keys', 'random'])).toBeUndefined();
  });

  it('floods with the same handshake key unless asked for fresh ones', () => {
    expect(benchOptions([])).toMatchObject({ turn: { freshKeys: false } });
    expect(benchOptions(['--flood-keys', 'fixed'])).toMatchObject({ turn: { freshKeys: false } });
    expect(benchOptions(['--flood-keys', 'fresh'])).toMatchObject({ turn: { freshKeys: true } });
  });

  it('passes --node-option flags and the profiler to fastd-ts', () => {
    const options = benchOptions(['--node-option', '--trace-deopt', '--cpu-prof', '/tmp/p', '--node-option', '--trace-opt', '--only', 'fastd-ts']);
    expect(options).toMatchObject({
      routers: 200,
      kinds: ['fastd-ts'],
      turn: { seconds: 20, profiling: true, nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--trace-deopt', '--trace-opt'] },
    });
  });
});

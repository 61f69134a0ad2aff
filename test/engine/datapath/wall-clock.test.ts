// The wall clock CoDel's sojourn times are taken on: CLOCK_REALTIME to a fraction of a
// millisecond, where Date.now() gives whole ones, and a step of the wall clock followed on
// the next check.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WallClock } from '../../../src/engine/datapath/wall-clock.js';

describe('WallClock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads the wall clock to a fraction of a millisecond', () => {
    const clock = new WallClock();
    const readings = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const before = Date.now();
      const now = clock.now();
      expect(now).toBeGreaterThanOrEqual(before - 1);
      expect(now).toBeLessThan(Date.now() + 2);
      readings.add(now % 1);
    }
    // Date.now() would give whole milliseconds only
    expect(readings.size).toBeGreaterThan(1);
  });

  it('keeps its offset while Date.now() agrees, and follows a step on the next check', () => {
    const clock = new WallClock();
    clock.check();
    const before = clock.now();
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 60_000);
    expect(clock.now() - before).toBeLessThan(30_000);
    clock.check();
    expect(clock.now() - before).toBeGreaterThan(59_000);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(2);
    vi.restoreAllMocks();
    clock.check();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(2);
  });
});

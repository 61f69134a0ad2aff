// The soak's verdict per series: flat within the tolerance, growing or falling beyond it,
// samples of the warm-up and single outliers left out; and the least-squares slope.
import { describe, expect, it } from 'vitest';
import { slope, verdict, type Point } from '../../src/chaos/soak-verdict.ts';

const EXACT = { absolute: 0, relative: 0 };
const series = (values: readonly number[], stepSeconds = 10): Point[] => values.map((value, i) => ({ seconds: i * stepSeconds, value }));

describe('slope', () => {
  it('is the least-squares slope per second', () => {
    expect(slope(series([1, 2, 3, 4], 1))).toBeCloseTo(1);
    expect(slope(series([0, 2, 0, 2, 0, 2], 1))).toBeCloseTo(6 / 35);
    expect(slope(series([5, 5, 5]))).toBe(0);
  });

  it('is 0 without two distinct times', () => {
    expect(slope([])).toBe(0);
    expect(slope([{ seconds: 3, value: 9 }])).toBe(0);
    expect(slope([{ seconds: 3, value: 1 }, { seconds: 3, value: 9 }])).toBe(0);
  });
});

describe('verdict', () => {
  it('calls a constant series flat', () => {
    expect(verdict(series([42, 42, 42, 42, 42, 42]), 0, EXACT)).toEqual({ firstMedian: 42, lastMedian: 42, slopePerHour: 0, trend: 'flat' });
  });

  it('calls one descriptor more in the last third growing, and one less falling', () => {
    expect(verdict(series([42, 42, 42, 42, 43, 43]), 0, EXACT).trend).toBe('growing');
    expect(verdict(series([42, 42, 42, 42, 41, 41]), 0, EXACT).trend).toBe('falling');
  });

  it('is not moved by a single sample taken in the middle of a cycle', () => {
    expect(verdict(series([42, 42, 42, 42, 42, 42, 42, 43, 42]), 0, EXACT).trend).toBe('flat');
  });

  it('leaves the warm-up out', () => {
    const points = series([100, 110, 120, 130, 130, 130, 130, 130, 130]);
    expect(verdict(points, 0, EXACT).trend).toBe('growing');
    const judged = verdict(points, 30, EXACT);
    expect(judged.trend).toBe('flat');
    expect(judged.firstMedian).toBe(130);
  });

  it('allows the larger of the absolute and the relative tolerance', () => {
    const points = series([100, 100, 100, 100, 104, 104]);
    expect(verdict(points, 0, { absolute: 4, relative: 0 }).trend).toBe('flat');
    expect(verdict(points, 0, { absolute: 3, relative: 0 }).trend).toBe('growing');
    expect(verdict(points, 0, { absolute: 0, relative: 0.05 }).trend).toBe('flat');
    expect(verdict(points, 0, { absolute: 0, relative: 0.03 }).trend).toBe('growing');
  });

  it('gives the slope per hour', () => {
    // one unit a minute
    expect(verdict(series([0, 1, 2, 3, 4, 5], 60), 0, EXACT).slopePerHour).toBeCloseTo(60);
  });

  it('judges nothing with fewer than three samples after the warm-up', () => {
    expect(verdict(series([1, 50]), 0, EXACT).trend).toBe('too few samples');
    expect(verdict(series([1, 2, 3, 4]), 25, EXACT).trend).toBe('too few samples');
  });

  it('ignores samples that are not numbers', () => {
    expect(verdict([...series([7, 7, 7]), { seconds: 30, value: Number.NaN }], 0, EXACT).trend).toBe('flat');
  });
});

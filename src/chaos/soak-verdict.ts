// Whether a series sampled over a long run is flat, growing or falling: after a warm-up, the
// median of its last third against that of its first third (medians, so a sample taken in the
// middle of a reconnect or a flood does not decide), and a least-squares slope per hour beside
// it for the report. A change within the series' tolerance is flat.
import { median } from '../bench/report.js';

export interface Point {
  /** Seconds since the run began. */
  readonly seconds: number;
  readonly value: number;
}

/** How much change is still flat: the larger of `absolute` and `relative` × the first third's median. */
export interface Tolerance {
  readonly absolute: number;
  readonly relative: number;
}

export type Trend = 'flat' | 'growing' | 'falling' | 'too few samples';

export interface Verdict {
  readonly firstMedian: number;
  readonly lastMedian: number;
  /** Least-squares slope over the samples after the warm-up, in the series' unit per hour. */
  readonly slopePerHour: number;
  readonly trend: Trend;
}

/** Fewer samples after the warm-up than this judge nothing: a third must hold at least one. */
const MIN_SAMPLES = 3;
const SECONDS_PER_HOUR = 3_600;

/** The least-squares slope of `points` (value per second); 0 for fewer than two distinct times. */
export function slope(points: readonly Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanT = points.reduce((sum, p) => sum + p.seconds, 0) / n;
  const meanV = points.reduce((sum, p) => sum + p.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.seconds - meanT) * (p.value - meanV);
    variance += (p.seconds - meanT) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** The trend of `points` (in time order), ignoring those before `warmupSeconds`. */
export function verdict(points: readonly Point[], warmupSeconds: number, tolerance: Tolerance): Verdict {
  const judged = points.filter((p) => p.seconds >= warmupSeconds && Number.isFinite(p.value));
  const third = Math.floor(judged.length / 3);
  const firstMedian = median(judged.slice(0, third).map((p) => p.value));
  const lastMedian = median(judged.slice(judged.length - third).map((p) => p.value));
  const slopePerHour = slope(judged) * SECONDS_PER_HOUR;
  if (judged.length < MIN_SAMPLES) return { firstMedian, lastMedian, slopePerHour, trend: 'too few samples' };
  const allowed = Math.max(tolerance.absolute, tolerance.relative * Math.abs(firstMedian));
  const change = lastMedian - firstMedian;
  const trend: Trend = change > allowed ? 'growing' : change < -allowed ? 'falling' : 'flat';
  return { firstMedian, lastMedian, slopePerHour, trend };
}

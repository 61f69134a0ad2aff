// What the soak takes and prints: its command line, the series sampled from each daemon under
// test, the table of them over time, a verdict per series (soak-verdict.ts) and the descriptor
// counts after each reconnect/reload cycle; and the samples as CSV. Pure functions, so parsing
// and layout are tested without namespaces.
import { alignedTable, type DaemonKind } from '../bench/report.js';
import { type Point, type Tolerance, type Verdict, verdict } from './soak-verdict.js';

export interface SoakOptions {
  readonly minutes: number;
  /** Seconds between samples. */
  readonly intervalSeconds: number;
  readonly kinds: readonly DaemonKind[];
  /** Where the samples go as <out>.csv and <out>.json; none: printed only. */
  readonly out: string | undefined;
  /** Seconds of each iperf3 burst. */
  readonly iperfSeconds: number;
  /** Garbage datagrams of each flood (garbage-mix.ts's mix) and their rate a second. */
  readonly garbageDatagrams: number;
  readonly garbageRate: number;
  /** Spoofed inits a second, and for how long. */
  readonly initRate: number;
  readonly initSeconds: number;
}

const KINDS: readonly DaemonKind[] = ['fastd-ts', 'fastd'];
const DEFAULTS: SoakOptions = { minutes: 60, intervalSeconds: 10, kinds: KINDS, out: undefined, iperfSeconds: 5, garbageDatagrams: 200_000, garbageRate: 100_000, initRate: 5_000, initSeconds: 2 };
const MAX_MINUTES = 24 * 60;

export const USAGE = 'usage: npm run soak [-- --minutes N] [--interval S] [--only fastd|fastd-ts] [--out PATH]  (writes PATH.csv and PATH.json)';

/** The command line; a string says what is wrong with it. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions | string {
  let options = DEFAULTS;
  for (let i = 0; i < argv.length; i += 2) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const number = Number(next);
    if (arg === '--minutes') {
      if (!(number > 0 && number <= MAX_MINUTES)) return `--minutes takes a number above 0, up to ${MAX_MINUTES}, not ${next ?? 'nothing'}`;
      options = { ...options, minutes: number };
    } else if (arg === '--interval') {
      if (!(Number.isInteger(number) && number >= 1 && number <= 600)) return `--interval takes whole seconds from 1 to 600, not ${next ?? 'nothing'}`;
      options = { ...options, intervalSeconds: number };
    } else if (arg === '--only') {
      if (next !== 'fastd' && next !== 'fastd-ts') return `--only takes fastd or fastd-ts, not ${next ?? 'nothing'}`;
      options = { ...options, kinds: [next] };
    } else if (arg === '--out') {
      if (!next) return '--out takes a path';
      options = { ...options, out: next };
    } else {
      return `unknown option ${arg}`;
    }
  }
  return options;
}

/** What one sample reads from a daemon under test. */
export interface Reading {
  readonly rssMiB: number;
  /** RSS less the packet pools' bytes (fastd-ts only): the heaps and the rest, which the traffic does not size. */
  readonly rssBesidePoolsMiB: number | undefined;
  /** Entries of /proc/<pid>/fd. */
  readonly fds: number;
  /** Of those, io_uring instances (anon_inode:[io_uring]). */
  readonly rings: number;
  readonly threads: number;
  /** The status JSON's buffer_pool.bytes and receive_pool.bytes in MiB (fastd-ts only). */
  readonly bufferPoolMiB: number | undefined;
  readonly receivePoolMiB: number | undefined;
  /** Peers the status socket lists as connected. */
  readonly peers: number;
}

export type SeriesKey = keyof Reading;

/** One sampling tick: seconds since the run began, and each daemon's reading. */
export interface Sample {
  readonly seconds: number;
  readonly readings: Partial<Record<DaemonKind, Reading>>;
}

interface SeriesSpec {
  readonly key: SeriesKey;
  readonly title: string;
  readonly digits: number;
  readonly tolerance: Tolerance;
  /** Judged for Debian fastd too (it has no buffer pools, nor io_uring). */
  readonly fastd: boolean;
}

/**
 * The series and how much change is still flat: descriptors, rings and threads not one more;
 * RSS a few MiB (V8's heaps breathe); the pools follow the traffic (the receive pool's 64 KiB
 * buffers are held for 30 s after the last pressure), and the peers dip while they reconnect.
 */
export const SERIES: readonly SeriesSpec[] = [
  { key: 'rssMiB', title: 'RSS MiB', digits: 1, tolerance: { absolute: 4, relative: 0.05 }, fastd: true },
  { key: 'rssBesidePoolsMiB', title: 'RSS-pools', digits: 1, tolerance: { absolute: 4, relative: 0.05 }, fastd: false },
  { key: 'fds', title: 'fds', digits: 0, tolerance: { absolute: 0, relative: 0 }, fastd: true },
  { key: 'rings', title: 'io_uring', digits: 0, tolerance: { absolute: 0, relative: 0 }, fastd: false },
  { key: 'threads', title: 'threads', digits: 0, tolerance: { absolute: 0, relative: 0 }, fastd: true },
  { key: 'bufferPoolMiB', title: 'pool MiB', digits: 1, tolerance: { absolute: 8, relative: 0.25 }, fastd: false },
  { key: 'receivePoolMiB', title: 'rx pool MiB', digits: 1, tolerance: { absolute: 8, relative: 0.25 }, fastd: false },
  { key: 'peers', title: 'peers', digits: 0, tolerance: { absolute: 1, relative: 0.25 }, fastd: true },
];

/** A daemon's descriptors once every peer was back after a reconnect/reload cycle (cycle 0: before the first). */
export interface Checkpoint {
  readonly cycle: number;
  readonly seconds: number;
  readonly fds: number;
  readonly rings: number;
  readonly peers: number;
}

export interface SeriesVerdict extends Verdict {
  readonly kind: DaemonKind;
  readonly series: SeriesKey;
}

/** Samples before this are not judged: V8's code and the pools settle in the first minutes. */
export function warmupSeconds(options: SoakOptions): number {
  return Math.max(2 * options.intervalSeconds, options.minutes * 6);
}

export function seriesOf(samples: readonly Sample[], kind: DaemonKind, key: SeriesKey): Point[] {
  return samples.flatMap(({ seconds, readings }) => {
    const value = readings[kind]?.[key];
    return value === undefined ? [] : [{ seconds, value }];
  });
}

export function verdicts(samples: readonly Sample[], kinds: readonly DaemonKind[], warmup: number): SeriesVerdict[] {
  return kinds.flatMap((kind) =>
    SERIES.filter((spec) => kind === 'fastd-ts' || spec.fastd).map((spec) => ({ kind, series: spec.key, ...verdict(seriesOf(samples, kind, spec.key), warmup, spec.tolerance) })),
  );
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));
/** Rows of the table over time; a longer run prints every n-th sample (the CSV has them all). */
const MAX_TABLE_ROWS = 30;

/** The table over time: a row per sample (thinned), each daemon's series in columns. */
export function formatTimeTable(samples: readonly Sample[], kinds: readonly DaemonKind[]): string {
  const columns = kinds.flatMap((kind) => SERIES.filter((spec) => kind === 'fastd-ts' || spec.fastd).map((spec) => ({ kind, spec })));
  const step = Math.max(1, Math.ceil(samples.length / MAX_TABLE_ROWS));
  const shown = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  const short = (kind: DaemonKind) => (kind === 'fastd' ? 'fastd' : 'ts');
  return alignedTable(
    ['min', ...columns.map(({ kind, spec }) => `${short(kind)} ${spec.title}`)],
    shown.map((sample) => [(sample.seconds / 60).toFixed(1), ...columns.map(({ kind, spec }) => fixed(sample.readings[kind]?.[spec.key], spec.digits))]),
  );
}

export function formatVerdicts(list: readonly SeriesVerdict[]): string {
  const digits = (key: SeriesKey) => SERIES.find((spec) => spec.key === key)!.digits;
  return alignedTable(
    ['daemon', 'series', 'first third', 'last third', 'slope / h', 'verdict'],
    list.map((v) => [
      v.kind,
      SERIES.find((spec) => spec.key === v.series)!.title,
      fixed(v.firstMedian, digits(v.series)),
      fixed(v.lastMedian, digits(v.series)),
      fixed(v.slopePerHour, 1),
      v.trend,
    ]),
  );
}

/** Values in order, a run of equal ones as `value ×count`: an hour's checkpoints on one line. */
export function runs(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let end = i + 1;
    while (end < values.length && values[end] === values[i]) end++;
    parts.push(end - i === 1 ? `${values[i]}` : `${values[i]} ×${end - i}`);
    i = end;
  }
  return parts.join(', ');
}

/** Per daemon: descriptors and rings before the first cycle and after each one. */
export function formatCheckpoints(checkpoints: Readonly<Partial<Record<DaemonKind, readonly Checkpoint[]>>>): string {
  return Object.entries(checkpoints)
    .map(([kind, list]) => {
      const cycles = list!.length - 1;
      return `${kind}: ${cycles} cycles; fds before and after each: ${runs(list!.map((c) => c.fds))}; io_uring rings: ${runs(list!.map((c) => c.rings))}`;
    })
    .join('\n');
}

/** One line per sample and daemon; a series a daemon does not have is empty. */
export function samplesCsv(samples: readonly Sample[]): string {
  const lines = [['seconds', 'daemon', ...SERIES.map((spec) => spec.key)].join(',')];
  for (const { seconds, readings } of samples) {
    for (const [kind, reading] of Object.entries(readings)) {
      lines.push([seconds.toFixed(1), kind, ...SERIES.map((spec) => reading![spec.key] ?? '')].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

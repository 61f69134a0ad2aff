// The soak's command line, its verdicts per daemon and series, the tables and the CSV.
import { describe, expect, it } from 'vitest';
import {
  formatCheckpoints,
  formatTimeTable,
  formatVerdicts,
  parseSoakOptions,
  type Reading,
  runs,
  type Sample,
  samplesCsv,
  type SoakOptions,
  verdicts,
  warmupSeconds,
} from '../../src/chaos/soak-report.ts';

const reading = (rssMiB: number, fds = 42): Reading => ({ rssMiB, rssBesidePoolsMiB: rssMiB - 10, fds, rings: 4, threads: 13, bufferPoolMiB: 4, receivePoolMiB: 6, peers: 6 });
const fastdReading: Reading = { rssMiB: 3.9, rssBesidePoolsMiB: undefined, fds: 12, rings: 0, threads: 1, bufferPoolMiB: undefined, receivePoolMiB: undefined, peers: 6 };
const samples: Sample[] = Array.from({ length: 9 }, (_, i) => ({
  seconds: i * 10,
  readings: { 'fastd-ts': reading(120 + i * 5, i >= 6 ? 43 : 42), fastd: fastdReading },
}));

describe('parseSoakOptions', () => {
  it('defaults to an hour of both daemons, a sample every 10 s', () => {
    const options = parseSoakOptions([]) as SoakOptions;
    expect(options).toMatchObject({ minutes: 60, intervalSeconds: 10, kinds: ['fastd-ts', 'fastd'], out: undefined });
  });

  it('takes the minutes, the interval, one daemon and the output path', () => {
    expect(parseSoakOptions(['--minutes', '0.5', '--interval', '2', '--only', 'fastd-ts', '--out', '/tmp/s'])).toMatchObject({
      minutes: 0.5,
      intervalSeconds: 2,
      kinds: ['fastd-ts'],
      out: '/tmp/s',
    });
  });

  it('says what is wrong', () => {
    expect(parseSoakOptions(['--minutes', '0'])).toMatch(/--minutes/);
    expect(parseSoakOptions(['--interval', '1.5'])).toMatch(/--interval/);
    expect(parseSoakOptions(['--only', 'wireguard'])).toMatch(/--only/);
    expect(parseSoakOptions(['--out'])).toMatch(/--out/);
    expect(parseSoakOptions(['--hours', '1'])).toBe('unknown option --hours');
  });
});

describe('warmupSeconds', () => {
  it('is a tenth of the run, at least two samples', () => {
    const options = parseSoakOptions([]) as SoakOptions;
    expect(warmupSeconds(options)).toBe(360);
    expect(warmupSeconds({ ...options, minutes: 1, intervalSeconds: 5 })).toBe(10);
  });
});

describe('verdicts', () => {
  it('judges every series of fastd-ts and those Debian fastd has', () => {
    const list = verdicts(samples, ['fastd-ts', 'fastd'], 0);
    const of = (kind: string, series: string) => list.find((v) => v.kind === kind && v.series === series)?.trend;
    expect(of('fastd-ts', 'rssMiB')).toBe('growing');
    expect(of('fastd-ts', 'fds')).toBe('growing');
    expect(of('fastd-ts', 'rings')).toBe('flat');
    expect(of('fastd-ts', 'rssBesidePoolsMiB')).toBe('growing');
    expect(of('fastd-ts', 'receivePoolMiB')).toBe('flat');
    expect(of('fastd', 'rssMiB')).toBe('flat');
    expect(of('fastd', 'bufferPoolMiB')).toBeUndefined();
    expect(of('fastd', 'rssBesidePoolsMiB')).toBeUndefined();
    expect(of('fastd', 'rings')).toBeUndefined();
    expect(list).toHaveLength(8 + 4);
  });
});

describe('the tables', () => {
  it('prints a row per sample with each daemon in columns, and a line per verdict', () => {
    const table = formatTimeTable(samples, ['fastd-ts', 'fastd']).split('\n');
    expect(table[0]).toMatch(/^min\s+ts RSS MiB\s+ts RSS-pools\s+ts fds\s+ts io_uring\s+ts threads\s+ts pool MiB\s+ts rx pool MiB\s+ts peers\s+fastd RSS MiB\s+fastd fds\s+fastd threads\s+fastd peers$/);
    expect(table).toHaveLength(2 + 9);
    expect(table[2]!.split(/\s+/)).toEqual(['0.0', '120.0', '110.0', '42', '4', '13', '4.0', '6.0', '6', '3.9', '12', '1', '6']);
    const lines = formatVerdicts(verdicts(samples, ['fastd-ts'], 0)).split('\n');
    expect(lines[2]).toMatch(/^fastd-ts\s+RSS MiB\s+125\.0\s+155\.0\s+1800\.0\s+growing$/);
  });

  it('thins a long run to at most 30 rows, keeping the last sample', () => {
    const long: Sample[] = Array.from({ length: 361 }, (_, i) => ({ seconds: i * 10, readings: { fastd: fastdReading } }));
    const rows = formatTimeTable(long, ['fastd']).split('\n').slice(2);
    expect(rows.length).toBeLessThanOrEqual(31);
    expect(rows.at(-1)).toMatch(/^60\.0\s/);
  });

  it('lists the descriptors at each checkpoint', () => {
    const checkpoint = (cycle: number, fds: number) => ({ cycle, seconds: cycle * 30, fds, rings: 4, peers: 6 });
    expect(formatCheckpoints({ 'fastd-ts': [checkpoint(0, 42), checkpoint(1, 42), checkpoint(2, 43)] })).toBe(
      'fastd-ts: 2 cycles; fds before and after each: 42 ×2, 43; io_uring rings: 4 ×3',
    );
  });

  it('writes runs of equal values once, with their count', () => {
    expect(runs([])).toBe('');
    expect(runs([7])).toBe('7');
    expect(runs([42, 42, 42, 43, 42])).toBe('42 ×3, 43, 42');
  });
});

describe('samplesCsv', () => {
  it('has a line per sample and daemon, empty where a daemon has no such series', () => {
    const lines = samplesCsv(samples.slice(0, 1)).trimEnd().split('\n');
    expect(lines).toEqual([
      'seconds,daemon,rssMiB,rssBesidePoolsMiB,fds,rings,threads,bufferPoolMiB,receivePoolMiB,peers',
      '0.0,fastd-ts,120,110,42,4,13,4,6,6',
      '0.0,fastd,3.9,,12,0,1,,,6',
    ]);
  });
});

// The chaos suite's command line and table (src/chaos/options.ts, report.ts), without a lab.
import { describe, expect, it } from 'vitest';
import { type ChaosOptions, ISSUE_IMPAIRMENT, parseChaosOptions } from '../../src/chaos/options.ts';
import type { ImpairmentFigures } from '../../src/chaos/impairment-scenario.ts';
import { describeImpairment, formatChaosTable, impairmentSection, restartSection } from '../../src/chaos/report.ts';
import type { RestartFigures } from '../../src/chaos/restart-scenario.ts';

describe('parseChaosOptions', () => {
  it('takes the impairment in percent and milliseconds, and --quick drops the floods', () => {
    const options = parseChaosOptions(['--quick', '--loss', '10', '--duplicate', '0.5', '--delay', '3', '--seed', '7']) as ChaosOptions;
    expect(options.impairment).toEqual({ ...ISSUE_IMPAIRMENT, loss: 0.1, duplicate: 0.005, delayMs: 3, seed: 7 });
    expect(options.floods).toBeUndefined();
    expect(options.restartsBeside).toBe(true);
    expect((parseChaosOptions(['--quick', '--floods']) as ChaosOptions).floods).toBeDefined();
    expect((parseChaosOptions([]) as ChaosOptions).floods).toBeDefined();
    expect((parseChaosOptions(['--only', 'fastd-ts']) as ChaosOptions).kinds).toEqual(['fastd-ts']);
  });

  it('says what is wrong with a command line', () => {
    expect(parseChaosOptions(['--loss', '120'])).toMatch(/--loss takes a number from 0 to 100/);
    expect(parseChaosOptions(['--loss'])).toMatch(/not nothing/);
    expect(parseChaosOptions(['--only', 'wireguard'])).toMatch(/--only takes fastd or fastd-ts/);
    expect(parseChaosOptions(['--fast'])).toBe('unknown option --fast');
  });
});

describe('the chaos table', () => {
  const pings = { sent: 100, answered: 90, duplicates: 0, lost: 10, avgMs: 1.5 };
  const counters = { received: 0, lost: 0, duplicated: 0, reordered: 0, sent: 0, sendDropped: 0 };
  const impaired = (replayDrops: number | undefined, mbit: number | undefined): ImpairmentFigures => ({
    mbit,
    retransmits: 12,
    ...(mbit === undefined ? { iperfError: 'iperf3 failed (1)' } : {}),
    pings,
    replayDrops,
    duplicatedTowardsDaemon: 40,
    relayPps: { received: 20_000, sent: 19_000 },
    relay: { up: counters, down: counters, seconds: 1 },
  });

  it('puts each daemon in its column, a section title in bold, and escapes pipes', () => {
    const section = impairmentSection(ISSUE_IMPAIRMENT, new Map([['fastd', impaired(undefined, 150)], ['fastd-ts', impaired(40, undefined)]]));
    const lines = formatChaosTable([{ ...section, rows: [...section.rows, { figure: 'a | b', cells: { 'fastd-ts': 'x' } }] }]).split('\n');
    expect(lines[0]).toBe('| scenario / figure | Debian fastd | fastd-ts |');
    expect(lines[2]).toContain(`**impairment relay (${describeImpairment(ISSUE_IMPAIRMENT)}`);
    expect(lines[2]).toContain('relay took 20 kpps, sent 19 kpps');
    expect(lines[3]).toBe('| iperf3 a → b | completes, 150 Mbit/s, 12 retransmits | did not complete: iperf3 failed (1) |');
    expect(lines[4]).toBe('| pings | 10/100 lost, avg 1.50 ms | 10/100 lost, avg 1.50 ms |');
    expect(lines[6]).toBe('| duplicates dropped as replay / duplicated towards b | - / 40 | 40 / 40 |');
    expect(lines.at(-1)).toBe('| a \\| b |  | x |');
  });

  it('says when a restart did not recover within the deadline', () => {
    const figures: RestartFigures = {
      underTest: { startSeconds: 0.3, pingSeconds: 1.25, statusSeconds: undefined },
      router: { startSeconds: 0.2, pingSeconds: 0.4, statusSeconds: 0.4 },
    };
    const rows = restartSection(new Map([['fastd-ts', figures]]), 16, false, '60 s').rows;
    expect(rows.map((row) => row.cells['fastd-ts'])).toEqual(['0.3 s', '1.3 s', 'not within 60 s', '0.2 s', '0.4 s', '0.4 s']);
  });
});

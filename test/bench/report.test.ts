// The tunnel bench's arithmetic and layout: medians, the alternating order of the setups,
// the goals as ratios between rows, and a table whose columns line up.
import { describe, expect, it } from 'vitest';
import { formatGoals, formatTable, goals, median, pingCell, roundOrder, type Row, type Setup, summarize, summarizePings } from '../../src/bench/report.ts';

const setup = (kinds: Setup['kinds'], extra: Partial<Setup> = {}): Setup => ({ id: kinds.join('-'), kinds, method: 'null', ...extra });

function row(kinds: Setup['kinds'], mbit: number, cpu: [number, number], rtt: number): Row {
  return summarize(setup(kinds), { mbit: [mbit], cpuPerGb: [cpu], retransmits: [0], udpDrops: [0], rttMs: [rtt], loadPings: [{ sent: 2, times: [rtt * 4, rtt * 8] }], rssMiB: [10, 20], backends: ['-', '-'] });
}

describe('bench report', () => {
  it('takes the median of odd and even counts, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('summarizes runs per column, sender and receiver apart', () => {
    const summary = summarize(setup(['fastd', 'fastd-ts']), {
      mbit: [700, 500, 600],
      cpuPerGb: [[9, 1], [7, 3], [8, 2]],
      retransmits: [40, 0, 7],
      udpDrops: [3, 100, 5],
      rttMs: [0.3, 0.1, 0.2, 0.9, 0.25],
      loadPings: [
        { sent: 3, times: [1, 2, 6] },
        { sent: 2, times: [3] },
        { sent: 3, times: [4, 5, 7] },
      ],
      rssMiB: [5, 50],
      backends: ['-', 'io_uring'],
    });
    expect(summary).toMatchObject({ mbit: 600, cpuPerGb: [8, 2], retransmits: 7, udpDrops: 5, rttMs: 0.25, runs: 3 });
    // the pings under load pooled over the runs, not a median of per-run figures
    expect(summary.loadPing).toEqual({ avgMs: 4, maxMs: 7, answered: 7, sent: 8 });
  });

  it('summarizes pings, counting the lost ones', () => {
    expect(summarizePings([1, 2, 6], 5)).toEqual({ avgMs: 3, maxMs: 6, answered: 3, sent: 5 });
    expect(summarizePings([], 5).avgMs).toBeNaN();
    expect(pingCell(summarizePings([1, 2, 6], 5))).toBe('3.00 / 6.0 (2 lost)');
  });

  it('alternates the order of the setups from round to round', () => {
    expect(roundOrder(['A', 'B', 'C'], 0)).toEqual(['A', 'B', 'C']);
    expect(roundOrder(['A', 'B', 'C'], 1)).toEqual(['C', 'B', 'A']);
    expect(roundOrder(['A', 'B', 'C'], 2)).toEqual(['A', 'B', 'C']);
  });

  it('states the goals as ratios of rows of the same run', () => {
    const base = row(['fastd', 'fastd'], 500, [10, 10], 0.2);
    const mixed = row(['fastd-ts', 'fastd'], 450, [6, 10], 0.25);
    const ours = row(['fastd-ts', 'fastd-ts'], 1100, [5, 4], 0.35);
    const list = goals('null', base, mixed, ours);
    expect(list.map((goal) => [goal.value, goal.met])).toEqual([
      [2.2, true],
      [0.9, false],
      [0.45, true],
      [expect.closeTo(0.15, 10), false],
    ]);
    expect(formatGoals(list).split('\n')).toHaveLength(4);
    expect(formatGoals(list)).toContain('NOT met');
  });

  it('lines up the columns of the table', () => {
    const rows = [row(['fastd', 'fastd'], 512.4, [12.345, 9.8], 0.1234), row(['fastd-ts', 'fastd-ts'], 1234.5, [3, 2], 0.05)];
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines[2]).toMatch(/^fastd → fastd null\s+512\s+0\s+0\s+12\.35\s+9\.80\s+0\.123\s+0\.74 \/ 1\.0\s/);
  });
});

// The RTT bench's report: hop medians, differences to fastd → fastd's row, the floor's
// difference row and the goal line, all computed from the samples.
import { describe, expect, it } from 'vitest';
import type { Setup } from '../../src/bench/report.ts';
import { formatFloorTable, formatHopTable, formatRttTable, goalLine, hopMedians, type TunnelSamples } from '../../src/bench/rtt-report.ts';

const setup = (kinds: Setup['kinds']): Setup => ({ id: kinds.join('-'), kinds, method: 'salsa2012+umac' });
const round = (seq: number, aOut: number, bRound: number, aIn: number) => ({ seq, aOut, bRound, aIn });

const rtt = (warm: number[], idle: number[]) => new Map([[2, warm], [50, idle]]);
const fastd: TunnelSamples = { setup: setup(['fastd', 'fastd']), rttMs: rtt([0.08], [0.3, 0.2, 0.25]), hops: [round(1, 60, 100, 20), round(2, 70, 90, 30), round(3, 900, 900, 900)] };
const mixed: TunnelSamples = { setup: setup(['fastd-ts', 'fastd']), rttMs: rtt([0.1], [0.31, 0.33]), hops: [round(1, 150, 100, 90)] };
const ours: TunnelSamples = { setup: setup(['fastd-ts', 'fastd-ts']), rttMs: new Map([[2, [0.2]], [10, [0.4]], [50, [0.7]]]), hops: [] };

describe('RTT bench report', () => {
  it('takes each hop median on its own and the whole round as the median of the sums', () => {
    expect(hopMedians(fastd.hops)).toEqual({ aOut: 70, bRound: 100, aIn: 30, total: 190 });
    expect(hopMedians([])).toMatchObject({ aOut: Number.NaN, total: Number.NaN });
  });

  it('states each setup next to fastd → fastd', () => {
    const rtt = formatRttTable([fastd, mixed, ours]).split('\n');
    // columns: every gap any setup was pinged at, in order; a gap a setup lacks is n/a
    expect(rtt[0]).toMatch(/gap between pings:\s+2 ms\s+10 ms\s+50 ms\s+pings$/);
    expect(rtt[2]).toMatch(/^fastd → fastd salsa2012\+umac\s+0\.080\s+n\/a\s+0\.250\s+1\/0\/3$/);
    expect(rtt[3]).toMatch(/0\.100 \(\+0\.020\)\s+n\/a\s+0\.320 \(\+0\.070\)\s+1\/0\/2$/);
    expect(rtt[4]).toMatch(/0\.200 \(\+0\.120\)\s+0\.400\s+0\.700 \(\+0\.450\)\s+1\/1\/1$/);
    const hops = formatHopTable([fastd, mixed, ours]).split('\n');
    expect(hops[3]).toMatch(/150\.0 \(\+80\.0\)\s+100\.0 \(\+0\.0\)\s+90\.0 \(\+60\.0\)\s+340\.0 \(\+150\.0\)\s+1$/);
    expect(hops[4]).toMatch(/n\/a\s+0$/);
  });

  it('puts the Node echo next to the native one', () => {
    const table = formatFloorTable([
      { kind: 'socat', coldUs: [90, 80, 100], warmUs: [20] },
      { kind: 'node+koffi', coldUs: [150], warmUs: [15] },
    ]).split('\n');
    expect(table[2]).toMatch(/^socat\s+90\.0\s+20\.0\s+70\.0\s+3\/1$/);
    expect(table.at(-1)).toMatch(/^node\+koffi − socat\s+\+60\.0\s+−5\.0\s+\+65\.0\s*$/);
  });

  it('computes the goal figure for each setup with fastd-ts in it', () => {
    expect(goalLine([fastd, mixed, ours])).toBe('goal, idle RTT (50 ms gaps) − fastd → fastd\'s ≤ 0.10 ms: fastd-ts → fastd +0.070 ms (met), fastd-ts → fastd-ts +0.450 ms (NOT met)');
    expect(goalLine([mixed])).toMatch(/no fastd → fastd row/);
  });
});

// Counters of removed I/O objects stay in the sum, and the list holds only the live ones.
import { describe, expect, it } from 'vitest';
import { CounterTotals } from '../../../../src/engine/datapath/tables/counter-totals.ts';

const sum = (totals: CounterTotals<{ packets: number; bytes: number }>) =>
  totals.list.reduce((all, c) => ({ packets: all.packets + c.packets, bytes: all.bytes + c.bytes }), { packets: 0, bytes: 0 });

describe('CounterTotals', () => {
  it('keeps a removed object\'s figures in the total and drops it from the list', () => {
    const totals = new CounterTotals({ packets: 0, bytes: 0 });
    const a = { packets: 3, bytes: 300 };
    const b = { packets: 5, bytes: 500 };
    totals.add(a);
    totals.add(b);
    expect(sum(totals)).toEqual({ packets: 8, bytes: 800 });
    totals.remove(a);
    expect(totals.list).toHaveLength(2);
    expect(totals.list).not.toContain(a);
    expect(sum(totals)).toEqual({ packets: 8, bytes: 800 });
    b.packets++;
    expect(sum(totals).packets).toBe(9);
  });

  it('ignores counters it does not hold, so a second removal counts nothing twice', () => {
    const totals = new CounterTotals({ packets: 0, bytes: 0 });
    const a = { packets: 2, bytes: 20 };
    totals.add(a);
    totals.remove(a);
    totals.remove(a);
    totals.remove({ packets: 7, bytes: 70 });
    expect(totals.list).toHaveLength(1);
    expect(sum(totals)).toEqual({ packets: 2, bytes: 20 });
  });
});

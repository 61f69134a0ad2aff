import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compactHeap } from '../../src/engine/heap-compaction.js';

const oldSpaceBytes = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_size;

describe('compactHeap', () => {
  it('gives back the old-generation pages a burst left behind, keeping what is live; not again while the heap has not grown', () => {
    compactHeap();
    // a burst's leftovers: objects promoted to the old generation, of which every 16th stays
    let burst: { n: number; s: string }[] | null = Array.from({ length: 400_000 }, (_, n) => ({ n, s: `x${n}` }));
    const kept = burst.filter((_, i) => i % 16 === 0);
    burst = null;
    const before = oldSpaceBytes();
    expect(compactHeap()).toBe(true);
    const after = oldSpaceBytes();
    expect(after).toBeLessThan(before - 8 * 1024 * 1024);
    expect(kept[kept.length - 1]!.s).toBe(`x${(kept.length - 1) * 16}`);
    // nothing grew since: the pause would buy nothing
    expect(compactHeap()).toBe(false);
  });
});

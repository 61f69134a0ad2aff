// The TUN/TAP offload counters as the worker publishes them: summed over its interfaces
// (removed ones' totals included, as the datapath keeps them), and the frames the offload
// layer refused counted once each as malformed drops, however often the totals are published.
import { describe, expect, it } from 'vitest';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS } from '../../../../src/engine/datapath/messages.ts';
import { DatapathStats, DropReason } from '../../../../src/engine/datapath/tables/stats.ts';
import type { OffloadCounters } from '../../../../src/io/offload/offload-frame-io.ts';

function counters(values: Partial<OffloadCounters>): OffloadCounters {
  return { segmented: 0, segments: 0, checksummed: 0, dropped: 0, coalesced: 0, coalescedFrames: 0, ...values };
}

function statsTables() {
  const global = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT);
  const stats = new DatapathStats(new SharedArrayBuffer(PEER_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT), global);
  return { stats, global: new Float64Array(global) };
}

describe('offload statistics', () => {
  it('publishes the sums of every interface, each counter in its own field', () => {
    const { stats, global } = statsTables();
    const closed = counters({ segmented: 1, segments: 10, checksummed: 2, coalesced: 3, coalescedFrames: 30 });
    const live = counters({ segmented: 4, segments: 100, checksummed: 5, coalesced: 6, coalescedFrames: 60 });
    stats.offloads([closed, live]);
    expect([
      global[GlobalStat.TsoSuperFrames],
      global[GlobalStat.TsoSegments],
      global[GlobalStat.ChecksumsCompleted],
      global[GlobalStat.GroSuperFrames],
      global[GlobalStat.GroFrames],
    ]).toEqual([5, 110, 7, 9, 90]);
  });

  it('counts frames the offload layer dropped as malformed once, beside the other malformed drops', () => {
    const { stats, global } = statsTables();
    const live = counters({ dropped: 2 });
    stats.drop(DropReason.Malformed);
    stats.offloads([live]);
    expect(global[GlobalStat.DropMalformed]).toBe(3);
    // published again with nothing new: nothing counted twice
    stats.offloads([live]);
    expect(global[GlobalStat.DropMalformed]).toBe(3);
    live.dropped = 5;
    stats.drop(DropReason.Malformed);
    stats.offloads([live]);
    expect(global[GlobalStat.DropMalformed]).toBe(7);
  });
});

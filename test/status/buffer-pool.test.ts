// The buffer pools of the datapath workers in the status document: each worker publishes its
// pool's counters into its global statistics row, the daemon sums the rows field by field, and
// the "fastd-ts" object shows the sum as buffer_pool.
import { describe, expect, it } from 'vitest';
import { PacketMemory } from '../../src/bufferpool/packet-memory.js';
import { BufferPool, type BufferPoolOptions } from '../../src/bufferpool/pool.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import { DatapathStats } from '../../src/engine/datapath/tables/stats.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { buildStatus } from '../../src/status/status-json.js';

const MiB = 1 << 20;
const OPTIONS: BufferPoolOptions = { bufferSize: 2048, buffersPerChunk: 256, maxBuffers: 256 * 16, minChunks: 1, idleReleaseMs: 30_000 };

function worker(memory: WebAssembly.Memory, index: number) {
  const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
  const pool = new BufferPool(PacketMemory.window(memory, index * 8 * MiB, 8 * MiB), OPTIONS);
  const stats = new DatapathStats(new SharedArrayBuffer(PEER_STATS_FIELDS * 8), globalStats);
  return { pool, stats, global: new Float64Array(globalStats) };
}

function statusOf(rows: Float64Array[]) {
  const summed = new Float64Array(GLOBAL_STATS_FIELDS);
  for (const row of rows) for (let i = 0; i < GLOBAL_STATS_FIELDS; i++) summed[i] += row[i];
  const document = buildStatus({
    now: 0,
    startedAt: 0,
    mode: 'tap',
    singleInterface: 'fastd0',
    globalStats: summed,
    peerStats: new PeerStatistics([]),
    peers: [],
    ioBackend: 'fallback',
  });
  return document['fastd-ts'].buffer_pool;
}

describe('buffer_pool in the status document', () => {
  it('shows the workers’ pools summed: growth under a burst, shrinkage after an idle period', () => {
    const memory = PacketMemory.createShared(16 * MiB);
    const workers = [worker(memory, 0), worker(memory, 1)];
    const publish = () => {
      for (const w of workers) w.stats.pool(w.pool.stats());
      return statusOf(workers.map((w) => w.global));
    };

    const idle = publish();
    expect(idle).toEqual({ buffers: 512, in_use: 0, hits: 0, misses: 0, exhausted: 0, grows: 2, shrinks: 0, bytes: 2 * 256 * 2048 });

    // A burst: worker 0 holds 1000 buffers at once, worker 1 takes all it may and more.
    const held = workers.map(() => [] as number[]);
    for (let i = 0; i < 1000; i++) held[0].push(workers[0].pool.alloc(1000));
    for (let i = 0; i < 256 * 16 + 3; i++) {
      const index = workers[1].pool.alloc(1000);
      if (index >= 0) held[1].push(index);
    }
    const busy = publish();
    // Worker 0: 4 chunks (1024 buffers); worker 1: its ceiling of 16 chunks.
    expect(busy.buffers).toBe(256 * 4 + 256 * 16);
    expect(busy.in_use).toBe(1000 + 256 * 16);
    expect(busy.grows).toBe(4 + 16);
    expect(busy.exhausted).toBe(3);
    expect(busy.misses).toBe(3 + 15 + 3);
    expect(busy.hits).toBe(1000 + 256 * 16 - 3 - 15);
    expect(busy.bytes).toBe(busy.buffers * 2048);

    for (const [i, w] of workers.entries()) for (const index of held[i]) w.pool.free(index);
    for (const w of workers) w.pool.maintain(1000 + 29_000); // not idle long enough yet
    expect(publish().shrinks).toBe(0);
    for (const w of workers) w.pool.maintain(1000 + 30_000);
    const after = publish();
    expect(after.shrinks).toBe(3 + 15);
    expect(after.buffers).toBe(512);
    expect(after.in_use).toBe(0);
    expect(after.bytes).toBe(2 * 256 * 2048);
  });
});

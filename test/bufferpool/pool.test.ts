import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PacketMemory } from '../../src/bufferpool/packet-memory.js';
import { BufferPool, type BufferPoolOptions } from '../../src/bufferpool/pool.js';

const OPTIONS: BufferPoolOptions = {
  bufferSize: 2048,
  buffersPerChunk: 512, // 1 MiB chunks
  maxBuffers: 512 * 64,
  minChunks: 1,
  idleReleaseMs: 1000,
};

function rssKiB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

function newPool(options = OPTIONS) {
  const memory = new PacketMemory(128 << 20);
  return { memory, pool: new BufferPool(memory, options) };
}

describe('BufferPool', () => {
  it('hands out distinct, non-overlapping buffers inside the memory', () => {
    const { memory, pool } = newPool();
    const offsets = new Set<number>();
    for (let i = 0; i < 1500; i++) {
      const index = pool.alloc(0);
      expect(index).toBeGreaterThanOrEqual(0);
      const offset = pool.offsetOf(index);
      expect(offset % 64).toBe(0);
      expect(offset + pool.bufferSize).toBeLessThanOrEqual(memory.memory.buffer.byteLength);
      offsets.add(offset);
    }
    const sorted = [...offsets].sort((a, b) => a - b);
    expect(sorted).toHaveLength(1500);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(2048);
  });

  it('grows under a burst, then shrinks after an idle period, and really gives memory back', () => {
    const { pool } = newPool();
    expect(pool.stats().size).toBe(512);

    const burst: number[] = [];
    for (let i = 0; i < 512 * 40; i++) burst.push(pool.alloc(i));
    const grown = { ...pool.stats() };
    expect(grown.size).toBe(512 * 40);
    expect(grown.grows).toBe(40);
    expect(grown.misses).toBe(39);
    expect(grown.inUse).toBe(512 * 40);
    expect(grown.bytes).toBe(40 << 20); // 512 × 2048 B per chunk

    // Touch every buffer, as packets would, so the chunks are resident.
    const bytes = new Uint8Array(pool['memory'].memory.buffer);
    for (const index of burst) bytes.fill(0xa5, pool.offsetOf(index), pool.offsetOf(index) + pool.bufferSize);
    const rssBusy = rssKiB();

    for (const index of burst) pool.free(index);
    pool.maintain(512 * 40 + 10); // not idle long enough yet
    expect(pool.stats().shrinks).toBe(0);

    pool.maintain(512 * 40 + 5000);
    const shrunk = pool.stats();
    expect(shrunk.size).toBe(512);
    expect(shrunk.shrinks).toBe(39);
    expect(shrunk.inUse).toBe(0);
    expect(shrunk.bytes).toBe(1 << 20);
    // 39 MiB of touched buffers went back to the OS.
    expect(rssBusy - rssKiB()).toBeGreaterThan(30 * 1024);

    // A new burst reuses the released chunks before reserving new memory.
    const reserved = pool['memory'].reservedBytes;
    for (let i = 0; i < 512 * 10; i++) pool.alloc(10_000);
    expect(pool['memory'].reservedBytes).toBe(reserved);
    expect(pool.stats().size).toBe(512 * 10);
  });

  it('refuses allocation at the ceiling and counts it', () => {
    const { pool } = newPool({ ...OPTIONS, maxBuffers: 1024 });
    for (let i = 0; i < 1024; i++) expect(pool.alloc(0)).toBeGreaterThanOrEqual(0);
    expect(pool.alloc(0)).toBe(-1);
    expect(pool.stats().exhausted).toBe(1);
    pool.free(7);
    expect(pool.alloc(0)).toBe(7);
  });

  it('keeps chunks that still hold a buffer in use', () => {
    const { pool } = newPool();
    const held: number[] = [];
    for (let i = 0; i < 512 * 3; i++) held.push(pool.alloc(0));
    const keep = held[512 + 3]; // a buffer of the second chunk
    const bytes = new Uint8Array(pool['memory'].memory.buffer);
    bytes.fill(0x5a, pool.offsetOf(keep), pool.offsetOf(keep) + pool.bufferSize);
    for (const index of held) if (index !== keep) pool.free(index);
    pool.maintain(100_000);
    // The first and third chunks go (minChunks is met by the one still in use).
    expect(pool.stats().size).toBe(512);
    expect(pool.stats().shrinks).toBe(2);
    expect(bytes.subarray(pool.offsetOf(keep), pool.offsetOf(keep) + pool.bufferSize).every((b) => b === 0x5a)).toBe(true);
  });
});

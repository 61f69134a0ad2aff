import { describe, expect, it } from 'vitest';
import { OS_PAGE_BYTES, PacketMemory, WASM_PAGE_BYTES } from '../../src/bufferpool/packet-memory.js';
import { BufferPool } from '../../src/bufferpool/pool.js';
import { nextMessage, startTsWorker } from '../helpers/ts-worker.js';

const MiB = 1 << 20;

describe('PacketMemory.createShared', () => {
  it('sizes a shared memory once, rounded up to wasm pages, that never grows', () => {
    const memory = PacketMemory.createShared(3 * MiB + 1);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(memory.buffer.byteLength).toBe(3 * MiB + WASM_PAGE_BYTES);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });

  it('refuses a size that is not positive', () => {
    expect(() => PacketMemory.createShared(0)).toThrow(/positive/);
    expect(() => PacketMemory.createShared(Number.NaN)).toThrow(/positive/);
  });
});

describe('PacketMemory.window', () => {
  it('hands out absolute offsets inside its window only, and -1 past its end', () => {
    const memory = PacketMemory.createShared(8 * MiB);
    const window = PacketMemory.window(memory, 2 * MiB, MiB);
    expect(window.memory).toBe(memory);
    expect(window.base).toBe(2 * MiB);
    expect(window.maximumBytes).toBe(3 * MiB);
    const first = window.reserve(100);
    expect(first).toBe(2 * MiB);
    const second = window.reserve(100);
    expect(second).toBe(2 * MiB + OS_PAGE_BYTES);
    expect(window.reservedBytes).toBe(OS_PAGE_BYTES + 100);
    expect(window.reserve(MiB)).toBe(-1);
    // A failed reservation takes nothing: the rest of the window is still there.
    const rest = window.reserve(MiB - 2 * OS_PAGE_BYTES);
    expect(rest).toBe(2 * MiB + 2 * OS_PAGE_BYTES);
    expect(rest + MiB - 2 * OS_PAGE_BYTES).toBe(window.maximumBytes);
    expect(window.reserve(1)).toBe(-1);
    expect(memory.buffer.byteLength).toBe(8 * MiB);
  });

  it('gives two windows of one memory disjoint regions, also through buffer pools', () => {
    const memory = PacketMemory.createShared(4 * MiB);
    const windows = [PacketMemory.window(memory, 0, 2 * MiB), PacketMemory.window(memory, 2 * MiB, 2 * MiB)];
    const options = { bufferSize: 2048, buffersPerChunk: 64, maxBuffers: 4096, minChunks: 1, idleReleaseMs: 1000 };
    const pools = windows.map((w) => new BufferPool(w, options));
    const ranges: [number, number][] = [];
    for (const [i, pool] of pools.entries()) {
      for (;;) {
        const index = pool.alloc(0);
        if (index < 0) break;
        const offset = pool.offsetOf(index);
        expect(offset).toBeGreaterThanOrEqual(windows[i].base);
        expect(offset + pool.bufferSize).toBeLessThanOrEqual(windows[i].maximumBytes);
        ranges.push([offset, offset + pool.bufferSize]);
      }
      expect(pool.stats().exhausted).toBe(1);
    }
    // Each window holds 2 MiB / 2048 B = 1024 buffers.
    expect(ranges).toHaveLength(2048);
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][1]);
  });

  it('releases pages of its own region only', () => {
    const memory = PacketMemory.createShared(2 * MiB);
    const left = PacketMemory.window(memory, 0, MiB);
    const right = PacketMemory.window(memory, MiB, MiB);
    const a = left.reserve(OS_PAGE_BYTES);
    const b = right.reserve(OS_PAGE_BYTES);
    const bytes = new Uint8Array(memory.buffer);
    bytes.fill(7, a, a + OS_PAGE_BYTES);
    bytes.fill(9, b, b + OS_PAGE_BYTES);
    right.release(b, OS_PAGE_BYTES);
    expect(bytes[b]).toBe(0);
    expect(bytes[a + OS_PAGE_BYTES - 1]).toBe(7);
  });

  it('refuses windows that are misaligned, outside the memory, or over an unshared memory', () => {
    const memory = PacketMemory.createShared(MiB);
    expect(() => PacketMemory.window(memory, 100, 4096)).toThrow(/page/);
    expect(() => PacketMemory.window(memory, 0, 0)).toThrow(RangeError);
    expect(() => PacketMemory.window(memory, MiB - 4096, 8192)).toThrow(/exceeds/);
    const unshared = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    expect(() => PacketMemory.window(unshared, 0, 4096)).toThrow(/shared/);
  });

  it('keeps the growable whole-memory constructor working', () => {
    const whole = new PacketMemory(4 * MiB);
    expect(whole.base).toBe(0);
    expect(whole.memory.buffer.byteLength).toBe(WASM_PAGE_BYTES);
    expect(whole.reserve(MiB)).toBe(0);
    expect(whole.memory.buffer.byteLength).toBe(MiB);
    expect(whole.reserve(4 * MiB)).toBe(-1);
  });

  it('is addressed by the same offsets in a real worker thread', async () => {
    const memory = PacketMemory.createShared(4 * MiB);
    const mine = PacketMemory.window(memory, 0, 2 * MiB);
    const mainOffset = mine.reserve(4096);
    const bytes = new Uint8Array(memory.buffer);
    const mainPattern = 0x5a;
    for (let i = 0; i < 4096; i++) bytes[mainOffset + i] = (mainPattern + i) & 0xff;

    const worker = startTsWorker(new URL('./memory-window.worker.ts', import.meta.url), {
      workerData: { memory, base: 2 * MiB, bytes: 2 * MiB, mainOffset, mainPattern },
    });
    try {
      const answer = await nextMessage<{ offset: number; sawMain: boolean }>(worker);
      expect(answer.sawMain).toBe(true);
      expect(answer.offset).toBe(2 * MiB);
      for (let i = 0; i < 4096; i++) expect(bytes[answer.offset + i]).toBe((i * 3) & 0xff);
      // The worker wrote into its own window only.
      for (let i = 0; i < 4096; i++) expect(bytes[mainOffset + i]).toBe((mainPattern + i) & 0xff);
    } finally {
      await worker.terminate();
    }
  });
});

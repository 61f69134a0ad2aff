// Buffer pool chunks registered as io_uring fixed buffers: the registration follows the
// pool's grows and shrinks, writes from registered chunks go out as WRITE_FIXED, and a
// chunk leaves the kernel's table before its pages are released.
import { closeSync, openSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketMemory } from '../../../src/bufferpool/packet-memory.js';
import { BufferPool, type ChunkWatcher } from '../../../src/bufferpool/pool.js';
import { createFrameBatch } from '../../../src/io/batch.js';
import { packetMemory } from '../../../src/io/native-memory.js';
import { Op, Sqe } from '../../../src/io/uring/abi.js';
import { probeUring } from '../../../src/io/uring/availability.js';
import { UringFrameIo } from '../../../src/io/uring/batch-uring.js';
import { FixedBuffers } from '../../../src/io/uring/fixed-buffers.js';
import { Ring } from '../../../src/io/uring/ring.js';

const support = probeUring();
const BUFFER = 2048;
const PER_CHUNK = 64;
const IDLE_MS = 1000;
/** What the kernel answers a fixed op whose slot holds no buffer (errno.h). */
const EFAULT = 14;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function setup() {
  const memory = new PacketMemory(32 << 20, 32 << 20);
  const pool = new BufferPool(memory, { bufferSize: BUFFER, buffersPerChunk: PER_CHUNK, maxBuffers: PER_CHUNK * 32, minChunks: 1, idleReleaseMs: IDLE_MS });
  const packets = packetMemory(memory.memory);
  const ring = new Ring(16);
  const fixed = new FixedBuffers(ring, packets, { base: memory.base, bytes: memory.maximumBytes - memory.base }, pool.chunkCapacity);
  const devNull = openSync('/dev/null', 'w');
  cleanups.push(() => ring.close(), () => fixed.release(), () => closeSync(devNull));
  return { memory, pool, packets, ring, fixed, devNull };
}

/** One WRITE_FIXED of `length` bytes at `offset` naming `slot`, bypassing the table: the kernel's result. */
function writeFixed(ring: Ring, fd: number, address: number, length: number, slot: number): number {
  const at = ring.claim();
  ring.prepare(at, Op.WRITE_FIXED, fd, address, length, 0);
  ring.sqeBytes[at + Sqe.BUF_INDEX] = slot & 0xff;
  ring.sqeBytes[at + Sqe.BUF_INDEX + 1] = slot >> 8;
  ring.submit(1);
  const result = ring.cqeResult(0);
  ring.consume(1);
  return result;
}

describe.runIf(support.available)('buffer pool chunks as io_uring fixed buffers', () => {
  it('registers chunks as the pool grows and unregisters them as it shrinks; writes from them are WRITE_FIXED', () => {
    const { pool, packets, ring, fixed, devNull } = setup();
    pool.watch(fixed);
    expect(fixed.registered).toBe(1);

    const taken: number[] = [];
    for (let i = 0; i < PER_CHUNK * 6; i++) taken.push(pool.alloc(0));
    expect(pool.stats().grows).toBe(6);
    expect(fixed.registered).toBe(6);

    // a batch of frames in pool buffers, written through the frame io: each one fixed
    const io = new UringFrameIo(ring, devNull, packets, fixed);
    const batch = createFrameBatch(16);
    for (let i = 0; i < 16; i++) {
      batch.offsets[i] = pool.offsetOf(taken[i * 20]) + 64;
      batch.lengths[i] = 1400;
    }
    batch.count = 16;
    expect(io.write(batch)).toBe(16);
    expect(fixed.fixedWrites).toBe(16);
    expect(io.counters.packetsOut).toBe(16);

    // the last chunk's slot, as the kernel knows it, before the pool gives it back
    const lastOffset = pool.offsetOf(taken[taken.length - 1]);
    const lastSlot = fixed.slotFor(lastOffset, BUFFER);
    expect(lastSlot).toBeGreaterThanOrEqual(0);
    expect(writeFixed(ring, devNull, packets.base + lastOffset, BUFFER, lastSlot)).toBe(BUFFER);

    for (const index of taken) pool.free(index);
    pool.maintain(IDLE_MS + 1);
    expect(pool.stats().shrinks).toBe(5);
    expect(fixed.registered).toBe(1);
    // released chunks are plain memory again: no slot, and the kernel's slot is empty
    expect(fixed.slotFor(lastOffset, BUFFER)).toBe(-1);
    expect(writeFixed(ring, devNull, packets.base + lastOffset, BUFFER, lastSlot)).toBe(-EFAULT);
    // writes from there go out plain, and still succeed
    batch.offsets[0] = lastOffset;
    batch.count = 1;
    expect(io.write(batch)).toBe(1);
    expect(fixed.fixedWrites).toBe(16);

    // growing again reuses the released chunk and registers it anew
    for (let i = 0; i < PER_CHUNK * 2; i++) pool.alloc(IDLE_MS + 2);
    expect(fixed.registered).toBe(2);
  });

  it('a frame that crosses the end of its registered chunk is written plain', () => {
    const { pool, packets, ring, fixed, devNull } = setup();
    pool.watch(fixed);
    const io = new UringFrameIo(ring, devNull, packets, fixed);
    const last = pool.offsetOf(PER_CHUNK - 1);
    const batch = createFrameBatch(1);
    batch.offsets[0] = last;
    batch.lengths[0] = BUFFER * 4;
    batch.count = 1;
    expect(fixed.slotFor(last, BUFFER * 4)).toBe(-1);
    expect(io.write(batch)).toBe(1);
    expect(fixed.fixedWrites).toBe(0);
  });

  it("takes a chunk out of the kernel's table before its pages are released", () => {
    const { pool, fixed, memory } = setup();
    const bytes = new Uint8Array(memory.memory.buffer);
    const order: string[] = [];
    // a watcher around the real one: it notes whether the chunk's bytes were still there when it was told
    const watcher: ChunkWatcher = {
      chunkAdded: (offset, length) => fixed.chunkAdded(offset, length),
      chunkRemoved: (slot) => {
        order.push(bytes[marked] === 0xa5 ? 'unregistered while resident' : 'unregistered after release');
        fixed.chunkRemoved(slot);
      },
    };
    pool.watch(watcher);
    const taken: number[] = [];
    for (let i = 0; i < PER_CHUNK * 2; i++) taken.push(pool.alloc(0));
    const marked = pool.offsetOf(taken[PER_CHUNK]);
    bytes[marked] = 0xa5;
    for (const index of taken) pool.free(index);
    pool.maintain(IDLE_MS + 1);
    expect(order).toEqual(['unregistered while resident']);
    // and the release did happen afterwards: the page reads as zero
    expect(bytes[marked]).toBe(0);
    expect(fixed.registered).toBe(1);
  });
});

// A pool of fixed-size packet buffers carved from the packet memory in chunks. It grows a
// chunk at a time when it runs dry, and after a period without pressure gives wholly free
// chunks' pages back to the OS (a released chunk is reused before new memory is reserved).
// Buffers are named by index, so they can cross threads and rings as plain integers.
//
// Not safe for concurrent use: one owner (a worker or the main thread) allocates and frees.
import type { PacketMemory } from './packet-memory.js';
import { OS_PAGE_BYTES } from './packet-memory.js';

export interface BufferPoolOptions {
  /** Bytes per buffer; a multiple of 64 so buffers start on cache lines. */
  bufferSize: number;
  /** Buffers per chunk, the unit of growth and release. */
  buffersPerChunk: number;
  /** Ceiling: the pool never holds more buffers than this. */
  maxBuffers: number;
  /** Chunks kept even when idle. */
  minChunks: number;
  /** How long (ms) the pool must go without pressure before it releases free chunks. */
  idleReleaseMs: number;
}

export interface BufferPoolStats {
  /** Buffers backed by memory (chunks not released × buffers per chunk). */
  size: number;
  inUse: number;
  /** Allocations served from the free list. */
  hits: number;
  /** Allocations that found the free list empty (served by growing, or failed at the ceiling). */
  misses: number;
  /** Allocations refused at the ceiling; the caller dropped the packet. */
  exhausted: number;
  grows: number;
  shrinks: number;
  /** Bytes of packet memory behind `size` (whole chunks, page-rounded). */
  bytes: number;
}

/**
 * Hears about chunks coming into service and going out of it, e.g. to register them with
 * io_uring. chunkRemoved comes BEFORE the chunk's pages are released.
 */
export interface ChunkWatcher {
  /** Returns a handle for chunkRemoved, or -1 when the chunk is not tracked. */
  chunkAdded(offset: number, bytes: number): number;
  chunkRemoved(handle: number): void;
}

const NO_BUFFER = -1;
const NO_HANDLE = -1;

export class BufferPool {
  readonly bufferSize: number;
  private readonly perChunk: number;
  private readonly maxChunks: number;
  private readonly chunkBytes: number;
  /** Offset in memory of each chunk, or -1 while the chunk has never been reserved. */
  private readonly chunkOffset: Int32Array;
  private readonly chunkInUse: Uint32Array;
  private readonly chunkLive: Uint8Array;
  /** The watcher's handle of each live chunk, or -1. */
  private readonly chunkHandle: Int32Array;
  private watcher: ChunkWatcher | null = null;
  private chunkCount = 0;
  /** Stack of free buffer indices. */
  private readonly freeList: Int32Array;
  private freeCount = 0;
  private lastPressure = 0;
  private readonly counters: BufferPoolStats = { size: 0, inUse: 0, hits: 0, misses: 0, exhausted: 0, grows: 0, shrinks: 0, bytes: 0 };

  constructor(
    private readonly memory: PacketMemory,
    private readonly options: BufferPoolOptions,
  ) {
    if (options.bufferSize % 64 !== 0) throw new RangeError('bufferSize must be a multiple of 64');
    this.bufferSize = options.bufferSize;
    this.perChunk = options.buffersPerChunk;
    this.maxChunks = Math.ceil(options.maxBuffers / options.buffersPerChunk);
    this.chunkBytes = Math.ceil((this.perChunk * this.bufferSize) / OS_PAGE_BYTES) * OS_PAGE_BYTES;
    this.chunkOffset = new Int32Array(this.maxChunks).fill(-1);
    this.chunkInUse = new Uint32Array(this.maxChunks);
    this.chunkLive = new Uint8Array(this.maxChunks);
    this.chunkHandle = new Int32Array(this.maxChunks).fill(NO_HANDLE);
    this.freeList = new Int32Array(this.maxChunks * this.perChunk);
    for (let i = 0; i < options.minChunks; i++) this.grow();
  }

  /** A free buffer's index, or -1 when the pool is at its ceiling. */
  alloc(now: number): number {
    if (this.freeCount === 0) {
      this.counters.misses++;
      this.lastPressure = now;
      if (!this.grow()) {
        this.counters.exhausted++;
        return NO_BUFFER;
      }
    } else {
      this.counters.hits++;
    }
    const index = this.freeList[--this.freeCount];
    this.chunkInUse[(index / this.perChunk) | 0]++;
    this.counters.inUse++;
    return index;
  }

  free(index: number): void {
    this.chunkInUse[(index / this.perChunk) | 0]--;
    this.counters.inUse--;
    this.freeList[this.freeCount++] = index;
  }

  /** The most buffers the pool can ever hold: indices lie in [0, capacity). */
  get capacity(): number {
    return this.freeList.length;
  }

  /** The most chunks the pool can ever hold (a fixed buffer table needs a slot for each). */
  get chunkCapacity(): number {
    return this.maxChunks;
  }

  /** Tells `watcher` about every live chunk now, and about each one added or removed from now on. */
  watch(watcher: ChunkWatcher): void {
    this.watcher = watcher;
    for (let chunk = 0; chunk < this.chunkCount; chunk++) {
      if (this.chunkLive[chunk]) this.chunkHandle[chunk] = watcher.chunkAdded(this.chunkOffset[chunk], this.chunkBytes);
    }
  }

  /** Byte offset of a buffer in the packet memory. */
  offsetOf(index: number): number {
    const chunk = (index / this.perChunk) | 0;
    return this.chunkOffset[chunk] + (index - chunk * this.perChunk) * this.bufferSize;
  }

  /** Called from a timer: releases wholly free chunks once the pool has been idle long enough. */
  maintain(now: number): void {
    if (now - this.lastPressure < this.options.idleReleaseMs) return;
    let live = this.liveChunks();
    for (let chunk = this.chunkCount - 1; chunk >= 0 && live > this.options.minChunks; chunk--) {
      if (!this.chunkLive[chunk] || this.chunkInUse[chunk] !== 0) continue;
      this.releaseChunk(chunk);
      live--;
    }
  }

  stats(): Readonly<BufferPoolStats> {
    const live = this.liveChunks();
    this.counters.size = live * this.perChunk;
    this.counters.bytes = live * this.chunkBytes;
    return this.counters;
  }

  private liveChunks(): number {
    let live = 0;
    for (let chunk = 0; chunk < this.chunkCount; chunk++) live += this.chunkLive[chunk];
    return live;
  }

  /** Brings a chunk into service: a released one first, else a newly reserved one. */
  private grow(): boolean {
    let chunk = 0;
    while (chunk < this.chunkCount && this.chunkLive[chunk]) chunk++;
    if (chunk === this.chunkCount) {
      if (chunk === this.maxChunks) return false;
      const offset = this.memory.reserve(this.chunkBytes);
      if (offset < 0) return false;
      this.chunkOffset[chunk] = offset;
      this.chunkCount++;
    }
    this.chunkLive[chunk] = 1;
    if (this.watcher) this.chunkHandle[chunk] = this.watcher.chunkAdded(this.chunkOffset[chunk], this.chunkBytes);
    const first = chunk * this.perChunk;
    // Pushed in reverse so that buffers are handed out in address order.
    for (let i = this.perChunk - 1; i >= 0; i--) this.freeList[this.freeCount++] = first + i;
    this.counters.grows++;
    return true;
  }

  private releaseChunk(chunk: number): void {
    const first = chunk * this.perChunk;
    const end = first + this.perChunk;
    let kept = 0;
    for (let i = 0; i < this.freeCount; i++) {
      const index = this.freeList[i];
      if (index < first || index >= end) this.freeList[kept++] = index;
    }
    this.freeCount = kept;
    this.chunkLive[chunk] = 0;
    // unregistered first: pinned pages would stay in memory after the release
    const handle = this.chunkHandle[chunk];
    if (handle !== NO_HANDLE) this.watcher!.chunkRemoved(handle);
    this.chunkHandle[chunk] = NO_HANDLE;
    this.memory.release(this.chunkOffset[chunk], this.chunkBytes);
    this.counters.shrinks++;
  }
}

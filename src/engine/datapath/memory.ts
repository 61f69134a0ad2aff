// A datapath worker's packet memory and the packet pool cut from it: the memory every
// packet, TUN/TAP read slot and crypto state of the worker lives in, its views for the io
// layer and for JavaScript, the pool of buffers packets are read, sealed and opened in, and
// the registration of that memory as io_uring fixed buffers.
//
// Written by this worker's thread alone. With several workers the WebAssembly.Memory is one
// for all of them, but each worker reserves and allocates only in its own window of it; the
// bytes of another worker's buffer are touched only while handoff.ts lends that buffer.
import { BufferPool } from '../../bufferpool/pool.js';
import { DEFAULT_MTU } from '../../config/draft.js';
import { PacketMemory, WASM_PAGE_BYTES } from '../../bufferpool/packet-memory.js';
import type { PacketBatch } from '../../crypto/methods/provider.js';
import { StateArena } from '../../crypto/state-arena.js';
import type { IoBackend } from '../../io/backend.js';
import { packetMemory, type PacketMemory as IoMemory } from '../../io/native-memory.js';
import { Ethernet } from '../../io/offload/headers.js';
import type { FixedBuffers } from '../../io/uring/fixed-buffers.js';
import type { InitMessage } from './messages.js';
import { BATCH, CACHE_LINE, HEADROOM, POOL_IDLE_MS, TAILROOM } from './sizes.js';

/** Fixed buffer slots for TUN/TAP offload scratch areas (one per offloading queue; further ones write plain). */
const OFFLOAD_SCRATCH_SLOTS = 64;

export class DatapathMemory {
  /** Allocates this worker's areas (pool chunks, receive slots, queue areas, crypto state) from its window. */
  readonly allocator: PacketMemory;
  /** The WebAssembly.Memory sessions and batches address. */
  readonly memory: WebAssembly.Memory;
  /** The memory as the io layer addresses it (its native base address). */
  readonly io: IoMemory;
  readonly bytes: Uint8Array;
  /** Bytes of the window, the same for every worker (handoff.ts finds a buffer's owner by them). */
  readonly windowBytes: number;
  /** Bytes per pool buffer: headroom, the largest frame, tailroom. */
  readonly bufferSize: number;
  /** Room for a frame in a pool buffer behind its headroom. */
  readonly frameRoom: number;
  readonly pool: BufferPool;
  /** io_uring: the pools' chunks registered on the ring that writes to TUN/TAP queues (WRITE_FIXED); null when refused or not io_uring. */
  fixed: FixedBuffers | null = null;
  /** Why the kernel refused fixed buffers (logged once by the control plane); null otherwise. */
  fixedRefusal: string | null = null;

  constructor(init: InitMessage) {
    // The whole memory is sized up front (pages are committed only when touched), so that
    // views over it never go stale. With several workers it is one memory for all of them
    // and this worker allocates from its own window.
    const bytes = Math.max(WASM_PAGE_BYTES, Math.floor(init.memoryCeiling / WASM_PAGE_BYTES) * WASM_PAGE_BYTES);
    const place = init.place;
    this.windowBytes = bytes;
    this.allocator = place ? PacketMemory.window(place.memory, place.index * bytes, bytes) : new PacketMemory(bytes, bytes);
    this.memory = this.allocator.memory;
    StateArena.provideRegions(this.memory, (size) => this.allocator.reserve(size, WASM_PAGE_BYTES));
    this.io = packetMemory(this.memory);
    this.bytes = this.io.bytes;
    const mtu = Math.max(init.maxMtu ?? DEFAULT_MTU, ...init.interfaces.map((i) => i.mtu));
    this.bufferSize = Math.ceil((HEADROOM + mtu + Ethernet.SIZE + TAILROOM) / CACHE_LINE) * CACHE_LINE;
    this.frameRoom = this.bufferSize - HEADROOM - TAILROOM;
    const maxBuffers = Math.floor((bytes / 2) / this.bufferSize);
    this.pool = new BufferPool(this.allocator, { bufferSize: this.bufferSize, buffersPerChunk: BATCH, maxBuffers, minChunks: 1, idleReleaseMs: POOL_IDLE_MS });
  }

  /**
   * io_uring: registers the packet pool's chunks (and room for queue scratch) as fixed
   * buffers on the backend's ring, once, before any queue opens. Not the receive pool's:
   * registering a chunk pins every page of it, and its 64 KiB UDP GRO buffers, of which a
   * datagram touches a page or two, then stayed resident whole (~3 MiB of zero pages per
   * worker at rest); frames opened in them reach a TUN/TAP with offloads through the
   * queue's registered scratch, and without offloads as plain writes.
   */
  registerFixed(backend: IoBackend): void {
    if (!backend.registerFixed) return;
    const slots = this.pool.chunkCapacity + OFFLOAD_SCRATCH_SLOTS;
    try {
      this.fixed = backend.registerFixed({ base: this.allocator.base, bytes: this.allocator.maximumBytes - this.allocator.base }, slots);
      this.pool.watch(this.fixed);
      this.fixedRefusal = this.fixed.refusal;
    } catch (error) {
      this.fixedRefusal = (error as Error).message;
    }
  }

  /** A buffer taken for good (receive and read slots): its offset. */
  fixedBuffer(): number {
    const index = this.pool.alloc(0);
    if (index < 0) throw new Error(`packet memory ceiling too low for the worker's ${BATCH}-packet batches`);
    return this.pool.offsetOf(index);
  }

  /** A batch descriptor for seal/open calls in this memory. */
  packetBatch(capacity = BATCH): PacketBatch {
    return { memory: this.memory, count: 0, offsets: new Uint32Array(capacity), lengths: new Uint32Array(capacity), status: new Uint8Array(capacity) };
  }
}

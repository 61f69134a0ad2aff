// Fixed buffers: packet memory registered with an io_uring, so that a TUN/TAP write from it
// is a WRITE_FIXED, for which the kernel pinned and mapped the pages once instead of on
// every op. The table is registered sparse (IORING_REGISTER_BUFFERS2) with a slot for every
// chunk the buffer pools may ever hold, and each chunk fills a slot when its pool brings it
// into service (IORING_REGISTER_BUFFERS_UPDATE). A chunk leaves its slot BEFORE the pool
// gives its pages back: the kernel would keep pinned pages, and the memory with them.
//
// Not safe for concurrent use: the worker that owns the ring and the pools calls it.
import type { ChunkWatcher } from '../../bufferpool/pool.js';
import { OS_PAGE_BYTES } from '../../bufferpool/packet-memory.js';
import { errno, SystemError } from '../libc.js';
import { NativeArea, setU64, type PacketMemory } from '../native-memory.js';
import { Register, RegisteredIovec, RSRC_REGISTER_SPARSE, RsrcRegister, RsrcUpdate2 } from './abi.js';
import type { Ring } from './ring.js';

/** Marks a page outside every registered chunk. */
const NO_SLOT = -1;
/** Slot numbers live in an Int16Array page map. */
const MAX_SLOTS = 0x7fff;

/** The part of the packet memory whose chunks may be registered (a worker's window). */
export interface FixedWindow {
  readonly base: number;
  readonly bytes: number;
}

export class FixedBuffers implements ChunkWatcher {
  /** Chunks registered now (they follow the pools' grows and shrinks). */
  registered = 0;
  /** WRITE_FIXED ops issued from registered chunks. */
  fixedWrites = 0;
  /** Why the last chunk could not be registered (RLIMIT_MEMLOCK, ...), null while none failed. */
  refusal: string | null = null;
  /** Per OS page of the window: the slot of the chunk it lies in, or NO_SLOT. */
  private readonly slotOfPage: Int16Array;
  private readonly slotOffset: Float64Array;
  private readonly slotBytes: Float64Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  /** An io_uring_rsrc_update2 followed by the one iovec it points to. */
  private readonly update: NativeArea;
  private released = false;

  /** Registers an empty table of `slots` entries on `ring`; throws SystemError when the kernel refuses (then use plain ops). */
  constructor(
    private readonly ring: Ring,
    private readonly packets: PacketMemory,
    private readonly window: FixedWindow,
    slots: number,
  ) {
    if (!(slots >= 1 && slots <= MAX_SLOTS)) throw new RangeError(`a fixed buffer table has 1 to ${MAX_SLOTS} slots, not ${slots}`);
    const table = new NativeArea(RsrcRegister.SIZE, 'fixed buffer table');
    try {
      table.view.setUint32(RsrcRegister.NR, slots, true);
      table.view.setUint32(RsrcRegister.FLAGS, RSRC_REGISTER_SPARSE, true);
      if (ring.register(Register.BUFFERS2, table.address, RsrcRegister.SIZE) < 0) throw new SystemError('IORING_REGISTER_BUFFERS2', errno());
    } finally {
      table.release();
    }
    this.slotOfPage = new Int16Array(Math.ceil(window.bytes / OS_PAGE_BYTES)).fill(NO_SLOT);
    this.slotOffset = new Float64Array(slots);
    this.slotBytes = new Float64Array(slots);
    this.freeSlots = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.freeSlots[i] = slots - 1 - i;
    this.freeCount = slots;
    this.update = new NativeArea(RsrcUpdate2.SIZE + RegisteredIovec.SIZE, 'fixed buffer update');
  }

  /**
   * The slot (buf_index) of the registered chunk holding [offset, offset + length) whole,
   * or -1: then the op must be a plain one.
   */
  slotFor(offset: number, length: number): number {
    const first = offset - this.window.base;
    if (first < 0 || length <= 0 || first + length > this.window.bytes) return NO_SLOT;
    const slot = this.slotOfPage[Math.floor(first / OS_PAGE_BYTES)];
    if (slot === NO_SLOT || offset + length > this.slotOffset[slot] + this.slotBytes[slot]) return NO_SLOT;
    return slot;
  }

  /** Registers a page-aligned chunk of the window; its slot, or -1 when the kernel refused (plain ops then). */
  chunkAdded(offset: number, bytes: number): number {
    if (this.released || this.freeCount === 0) return NO_SLOT;
    const slot = this.freeSlots[this.freeCount - 1];
    if (!this.fill(slot, this.packets.base + offset, bytes)) return NO_SLOT;
    this.freeCount--;
    this.slotOffset[slot] = offset;
    this.slotBytes[slot] = bytes;
    const firstPage = (offset - this.window.base) / OS_PAGE_BYTES;
    this.slotOfPage.fill(slot, firstPage, firstPage + Math.ceil(bytes / OS_PAGE_BYTES));
    this.registered++;
    return slot;
  }

  /** Empties a chunk's slot, so the kernel unpins its pages (call before they are released). */
  chunkRemoved(slot: number): void {
    if (this.released) return;
    // an empty iovec clears the slot; cannot fail for a slot that was filled
    this.fill(slot, 0, 0);
    const firstPage = (this.slotOffset[slot] - this.window.base) / OS_PAGE_BYTES;
    this.slotOfPage.fill(NO_SLOT, firstPage, firstPage + Math.ceil(this.slotBytes[slot] / OS_PAGE_BYTES));
    this.freeSlots[this.freeCount++] = slot;
    this.registered--;
  }

  /** Frees the update scratch; the ring's close drops the table itself. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.update.release();
  }

  private fill(slot: number, address: number, bytes: number): boolean {
    const area = this.update;
    const iovec = RsrcUpdate2.SIZE;
    area.bytes.fill(0);
    area.view.setUint32(RsrcUpdate2.OFFSET, slot, true);
    setU64(area.u32, RsrcUpdate2.DATA, area.address + iovec);
    area.view.setUint32(RsrcUpdate2.NR, 1, true);
    setU64(area.u32, iovec + RegisteredIovec.BASE, address);
    setU64(area.u32, iovec + RegisteredIovec.LEN, bytes);
    if (this.ring.register(Register.BUFFERS_UPDATE, area.address, RsrcUpdate2.SIZE) >= 0) return true;
    this.refusal = new SystemError('IORING_REGISTER_BUFFERS_UPDATE', errno()).message;
    return false;
  }
}

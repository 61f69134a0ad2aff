// A PacketBatch's descriptors mirrored into the packet memory, so that a WebAssembly kernel
// can loop over the whole batch in one call. Same shape as PacketBatch: three parallel
// arrays (u32 offsets, u32 lengths, u8 status) at fixed places in a state-arena region.
// Kernels work on the entries whose status is PacketStatus.Ok and may only lower them to a
// drop status; offsets and lengths are theirs to read, never to change.
import type { PacketBatch } from './methods/provider.js';
import { StateArena } from './state-arena.js';

/**
 * The entries of a batch that can be processed: `count`, but never past the end of its
 * arrays, so that a batch claiming more entries than it has cannot make a kernel read or
 * write past them.
 */
export function batchEntries(batch: PacketBatch): number {
  const count = Math.min(batch.count, batch.offsets.length, batch.lengths.length, batch.status.length);
  return count > 0 ? Math.floor(count) : 0;
}

/** Entries a table holds at first; it grows (rarely, at most to the largest batch) on demand. */
const INITIAL_CAPACITY = 64;
/** Bytes per entry: u32 offset + u32 length + u8 status. */
const ENTRY_BYTES = 9;

export class BatchTable {
  private static readonly tables = new WeakMap<WebAssembly.Memory, BatchTable>();

  /** The table of `memory` for this thread. Calls are synchronous, so one table serves every session. */
  static of(memory: WebAssembly.Memory): BatchTable {
    let table = BatchTable.tables.get(memory);
    if (!table) {
      table = new BatchTable(memory);
      BatchTable.tables.set(memory, table);
    }
    return table;
  }

  /** A table of its own, for a provider that describes something besides the packets (e.g. key slots). */
  static create(memory: WebAssembly.Memory): BatchTable {
    return new BatchTable(memory);
  }

  capacity = 0;
  /** Memory offsets of the three arrays, for the kernels. */
  offsetsPtr = 0;
  lengthsPtr = 0;
  statusPtr = 0;
  /** Entries loaded by the last `load`. */
  count = 0;
  private region = -1;
  private words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private bytes_: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  private constructor(readonly memory: WebAssembly.Memory) {
    this.reserve(INITIAL_CAPACITY);
  }

  /**
   * A byte view of the whole memory, renewed when the memory has grown. A shared memory's
   * `buffer` getter is a call into V8's runtime (it freezes the buffer each time): one call
   * per seal or open, not one per step, as the packets of a batch lie in what it covers.
   */
  bytes(): Uint8Array<ArrayBufferLike> {
    if (this.bytes_.buffer !== this.memory.buffer) {
      this.bytes_ = new Uint8Array(this.memory.buffer);
      this.words = new Uint32Array(this.memory.buffer);
    }
    return this.bytes_;
  }

  /** Copies the batch's entries [0, count) into the table. */
  load(batch: PacketBatch): void {
    const count = batchEntries(batch);
    if (count > this.capacity) this.reserve(count);
    const bytes = this.bytes();
    const words = this.words;
    const offsetsAt = this.offsetsPtr >>> 2;
    const lengthsAt = this.lengthsPtr >>> 2;
    for (let i = 0; i < count; i++) {
      words[offsetsAt + i] = batch.offsets[i];
      words[lengthsAt + i] = batch.lengths[i];
      bytes[this.statusPtr + i] = batch.status[i];
    }
    this.count = count;
  }

  /** Copies the kernels' verdicts back into the batch; after load() in the same call, whose views it reads. */
  storeStatus(batch: PacketBatch): void {
    const bytes = this.bytes_;
    for (let i = 0; i < this.count; i++) batch.status[i] = bytes[this.statusPtr + i];
  }

  /** Entry accessors for kernels written in JavaScript; call `bytes()` (or load()) once per batch first. */
  offsetAt(i: number): number {
    return this.words[(this.offsetsPtr >>> 2) + i];
  }

  lengthAt(i: number): number {
    return this.words[(this.lengthsPtr >>> 2) + i];
  }

  statusAt(i: number): number {
    return this.bytes_[this.statusPtr + i];
  }

  setStatus(i: number, status: number): void {
    this.bytes_[this.statusPtr + i] = status;
  }

  /**
   * Exchanges two status values in the table, e.g. Ok and DropAuth to run a kernel over the
   * failed entries only (kernels visit Ok entries), then back.
   */
  swapStatus(a: number, b: number): void {
    const bytes = this.bytes();
    for (let i = 0; i < this.count; i++) {
      const at = this.statusPtr + i;
      if (bytes[at] === a) bytes[at] = b;
      else if (bytes[at] === b) bytes[at] = a;
    }
  }

  private reserve(capacity: number): void {
    const arena = StateArena.of(this.memory);
    if (this.region >= 0) arena.free(this.region);
    this.region = arena.alloc(capacity * ENTRY_BYTES, 16);
    this.capacity = capacity;
    this.offsetsPtr = this.region;
    this.lengthsPtr = this.region + 4 * capacity;
    this.statusPtr = this.region + 8 * capacity;
  }
}

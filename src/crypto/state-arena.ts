// Session state that WebAssembly kernels read (expanded keys, GHASH tables, UHASH keys, batch
// descriptor tables) has to live inside the packet memory the kernels import. The arena
// carves that state out of regions it gets from whoever owns the memory's layout: the owner
// registers a region source (the packet memory's allocator does), otherwise the arena adds
// pages with memory.grow, which is atomic and so safe between threads, but only as long as
// nobody else places things past the memory's end by their own bookkeeping.
//
// Allocation happens at session setup only, never per packet, so a plain first-fit free
// list is enough. Freed regions are zeroed: they held key material.
import { WASM_PAGE_BYTES } from '../bufferpool/packet-memory.js';

/** Hands out `bytes` of the memory, starting on a 64 KiB wasm page boundary, for the arena's exclusive use; returns the offset, -1 when full. */
type RegionSource = (bytes: number) => number;

interface Range {
  start: number;
  end: number;
}

export class StateArena {
  private static readonly arenas = new WeakMap<WebAssembly.Memory, StateArena>();

  /** The arena of `memory` for this thread, created on first use. */
  static of(memory: WebAssembly.Memory): StateArena {
    let arena = StateArena.arenas.get(memory);
    if (!arena) {
      arena = new StateArena(memory);
      StateArena.arenas.set(memory, arena);
    }
    return arena;
  }

  /** Makes the arena of `memory` take its regions from the memory's owner instead of growing it. */
  static provideRegions(memory: WebAssembly.Memory, source: RegionSource): void {
    StateArena.of(memory).source = source;
  }

  private readonly freeRanges: Range[] = [];
  private readonly sizes = new Map<number, number>();
  private source: RegionSource = (bytes) => this.growMemory(bytes);

  private constructor(readonly memory: WebAssembly.Memory) {}

  /** Reserves `size` bytes aligned to `align` (a power of two); returns their offset in the memory. */
  alloc(size: number, align = 16): number {
    if (!(size > 0) || !Number.isInteger(size)) throw new RangeError(`state arena: invalid size ${size}`);
    if (!(align > 0) || align > WASM_PAGE_BYTES || (align & (align - 1)) !== 0) throw new RangeError(`state arena: invalid alignment ${align}`);
    let offset = this.take(size, align);
    if (offset < 0) {
      // regions start page-aligned, which satisfies any alignment up to a page
      this.addPages(size);
      offset = this.take(size, align);
    }
    this.sizes.set(offset, size);
    return offset;
  }

  /** Zeroes and releases a region returned by alloc. */
  free(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) throw new Error(`state arena: ${offset} was not allocated here`);
    this.sizes.delete(offset);
    new Uint8Array(this.memory.buffer).fill(0, offset, offset + size);
    this.release({ start: offset, end: offset + size });
  }

  private take(size: number, align: number): number {
    for (let i = 0; i < this.freeRanges.length; i++) {
      const range = this.freeRanges[i];
      const start = (range.start + align - 1) & ~(align - 1);
      if (start + size > range.end) continue;
      const pieces: Range[] = [];
      if (start > range.start) pieces.push({ start: range.start, end: start });
      if (start + size < range.end) pieces.push({ start: start + size, end: range.end });
      this.freeRanges.splice(i, 1, ...pieces);
      return start;
    }
    return -1;
  }

  private addPages(bytes: number): void {
    const rounded = Math.ceil(bytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
    const start = this.source(rounded);
    if (start < 0) throw new Error(`state arena: no room left in the packet memory for ${rounded} bytes of crypto state`);
    this.release({ start, end: start + rounded });
  }

  private growMemory(bytes: number): number {
    try {
      return this.memory.grow(bytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
    } catch {
      return -1;
    }
  }

  /** Puts a range back in address order, merging it with adjacent free ranges. */
  private release(range: Range): void {
    let i = 0;
    while (i < this.freeRanges.length && this.freeRanges[i].start < range.start) i++;
    const before = this.freeRanges[i - 1];
    const after = this.freeRanges[i];
    if (before && before.end === range.start) {
      before.end = range.end;
      if (after && after.start === before.end) {
        before.end = after.end;
        this.freeRanges.splice(i, 1);
      }
    } else if (after && after.start === range.end) {
      after.start = range.start;
    } else {
      this.freeRanges.splice(i, 0, range);
    }
  }
}

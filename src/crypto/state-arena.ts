// Session state that WebAssembly kernels read (expanded keys, GHASH tables, UHASH keys, batch
// descriptor tables) has to live inside the packet memory the kernels import. The arena
// carves that state out of pages it adds to the memory itself with memory.grow, so it can
// never overlap packet buffers, whoever placed those. One arena per memory per thread:
// memory.grow is atomic, so arenas of several threads sharing one memory get disjoint pages.
//
// Allocation happens at session setup only, never per packet, so a plain first-fit free
// list is enough. Freed regions are zeroed: they held key material.

const WASM_PAGE_BYTES = 65_536;

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

  private readonly freeRanges: Range[] = [];
  private readonly sizes = new Map<number, number>();

  private constructor(readonly memory: WebAssembly.Memory) {}

  /** Reserves `size` bytes aligned to `align` (a power of two); returns their offset in the memory. */
  alloc(size: number, align = 16): number {
    if (!(size > 0) || !Number.isInteger(size)) throw new RangeError(`state arena: invalid size ${size}`);
    if (!(align > 0) || align > WASM_PAGE_BYTES || (align & (align - 1)) !== 0) throw new RangeError(`state arena: invalid alignment ${align}`);
    let offset = this.take(size, align);
    if (offset < 0) {
      // new pages start page-aligned, which satisfies any alignment up to a page
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
    const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
    let first: number;
    try {
      first = this.memory.grow(pages);
    } catch (error) {
      throw new Error(`state arena: the packet memory cannot grow by ${pages} page(s) for crypto state`, {
        cause: error,
      });
    }
    this.release({ start: first * WASM_PAGE_BYTES, end: (first + pages) * WASM_PAGE_BYTES });
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

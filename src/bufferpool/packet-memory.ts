// The packet memory: one shared WebAssembly.Memory that holds every packet buffer and the
// crypto state the kernels read. Shared memories reserve their maximum up front and never
// move, so worker threads, WebAssembly kernels and the kernel's io_uring can all address the
// same bytes by offset. Regions are handed out by a bump allocator and never given back to
// the memory; a pool that no longer needs a region releases its pages to the OS instead.
//
// With several datapath workers, one memory is shared by all of them and each worker
// allocates from its own disjoint window of it: a buffer handed to another worker is then
// named by its plain offset, valid in every thread.
import koffi from 'koffi';

export const WASM_PAGE_BYTES = 65536;
/** Regions start on OS page boundaries so that their pages can be released one by one. */
export const OS_PAGE_BYTES = 4096;

const MADV_DONTNEED = 4;

type Madvise = (addr: Uint8Array, length: number, advice: number) => number;
let madvise: Madvise | undefined;

function loadMadvise(): Madvise {
  madvise ??= koffi.load('libc.so.6').func('int madvise(void *addr, size_t len, int advice)') as Madvise;
  return madvise;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** A part of an existing shared memory that one PacketMemory allocates from. */
interface Window {
  readonly memory: WebAssembly.Memory;
  readonly base: number;
  readonly bytes: number;
}

export class PacketMemory {
  readonly memory: WebAssembly.Memory;
  /** End of this allocator's region: offsets it hands out lie below it. */
  readonly maximumBytes: number;
  /** Start of this allocator's region (0 unless it is a window). */
  readonly base: number;
  private top: number;

  /**
   * A shared memory sized once for everything it will ever hold: initial = maximum, so its
   * buffer never changes and views over it never go stale. The OS commits pages only when
   * they are touched, so the size costs address space, not RAM.
   */
  static createShared(totalBytes: number): WebAssembly.Memory {
    if (!(totalBytes > 0)) throw new RangeError(`packet memory size must be positive, got ${totalBytes}`);
    const pages = Math.ceil(totalBytes / WASM_PAGE_BYTES);
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  }

  /**
   * An allocator over [base, base + bytes) of an existing shared memory, e.g. one worker's
   * share of the memory from createShared(); the offsets it returns are absolute in `memory`.
   */
  static window(memory: WebAssembly.Memory, base: number, bytes: number): PacketMemory {
    return new PacketMemory({ memory, base, bytes });
  }

  /** `maximumBytes` bounds everything the memory will ever hold (rounded up to wasm pages). */
  constructor(maximumBytes: number, initialBytes?: number);
  constructor(window: Window);
  constructor(sizeOrWindow: number | Window, initialBytes = WASM_PAGE_BYTES) {
    if (typeof sizeOrWindow === 'number') {
      const maximumPages = Math.ceil(sizeOrWindow / WASM_PAGE_BYTES);
      this.maximumBytes = maximumPages * WASM_PAGE_BYTES;
      this.memory = new WebAssembly.Memory({
        initial: Math.min(maximumPages, Math.max(1, Math.ceil(initialBytes / WASM_PAGE_BYTES))),
        maximum: maximumPages,
        shared: true,
      });
      this.base = 0;
    } else {
      const { memory, base, bytes } = sizeOrWindow;
      if (!(memory.buffer instanceof SharedArrayBuffer)) {
        throw new TypeError('a packet memory window needs a shared WebAssembly.Memory');
      }
      if (!Number.isInteger(base) || !Number.isInteger(bytes) || base < 0 || bytes <= 0 || base % OS_PAGE_BYTES !== 0) {
        throw new RangeError(`packet memory window [${base}, +${bytes}) must start on a ${OS_PAGE_BYTES}-byte page`);
      }
      // Windows never grow the memory: a sibling window could be using the pages past its end.
      if (base + bytes > memory.buffer.byteLength) {
        throw new RangeError(`packet memory window [${base}, ${base + bytes}) exceeds the memory's ${memory.buffer.byteLength} bytes`);
      }
      this.memory = memory;
      this.base = base;
      this.maximumBytes = base + bytes;
    }
    this.top = this.base;
  }

  /** Bytes handed out so far. */
  get reservedBytes(): number {
    return this.top - this.base;
  }

  /**
   * Reserves `bytes` (page-aligned start), growing the memory when needed. Returns the offset,
   * or -1 when the maximum would be exceeded.
   */
  reserve(bytes: number, alignment = OS_PAGE_BYTES): number {
    const offset = alignUp(this.top, alignment);
    const end = offset + bytes;
    if (end > this.maximumBytes) return -1;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / WASM_PAGE_BYTES));
    this.top = end;
    return offset;
  }

  /** Gives the physical pages of a page-aligned region back to the OS; they read as zero afterwards. */
  release(offset: number, bytes: number): void {
    if (offset % OS_PAGE_BYTES !== 0 || bytes % OS_PAGE_BYTES !== 0) {
      throw new RangeError('release needs a page-aligned region');
    }
    const result = loadMadvise()(new Uint8Array(this.memory.buffer, offset, bytes), bytes, MADV_DONTNEED);
    if (result !== 0) throw new Error(`madvise(MADV_DONTNEED) failed for ${bytes} bytes at ${offset}`);
  }
}

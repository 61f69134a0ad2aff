// The packet memory: one shared WebAssembly.Memory that holds every packet buffer and the
// crypto state the kernels read. Shared memories reserve their maximum up front and never
// move, so worker threads, WebAssembly kernels and the kernel's io_uring can all address the
// same bytes by offset. Regions are handed out by a bump allocator and never given back to
// the memory; a pool that no longer needs a region releases its pages to the OS instead.
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

export class PacketMemory {
  readonly memory: WebAssembly.Memory;
  readonly maximumBytes: number;
  private top = 0;

  /** `maximumBytes` bounds everything the memory will ever hold (rounded up to wasm pages). */
  constructor(maximumBytes: number, initialBytes = WASM_PAGE_BYTES) {
    const maximumPages = Math.ceil(maximumBytes / WASM_PAGE_BYTES);
    this.maximumBytes = maximumPages * WASM_PAGE_BYTES;
    this.memory = new WebAssembly.Memory({
      initial: Math.min(maximumPages, Math.max(1, Math.ceil(initialBytes / WASM_PAGE_BYTES))),
      maximum: maximumPages,
      shared: true,
    });
  }

  /** Bytes handed out so far. */
  get reservedBytes(): number {
    return this.top;
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

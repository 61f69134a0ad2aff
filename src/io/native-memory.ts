// Memory the kernel may read and write while JavaScript looks at it through typed arrays.
//
// Two kinds: the packet memory (a shared WebAssembly.Memory, whose SharedArrayBuffer is
// reserved at its maximum size up front and so never moves), and small native areas that
// the io layer maps itself for control structures (msghdr arrays, iovecs, control
// messages). V8 may move small ordinary ArrayBuffers; neither of these ever moves, so an
// address taken once stays valid for the memory's life.
import { OS_PAGE_BYTES } from '../bufferpool/packet-memory.js';
import { addressOf, mmap, munmap, viewOf, type Mapping } from './libc.js';
import { Mmap } from './linux-abi.js';

/** A packet memory together with its base address, checked once. */
export interface PacketMemory {
  readonly memory: WebAssembly.Memory;
  readonly base: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** Resolves the base address of a shared WebAssembly.Memory (the only kind whose address is stable). */
export function packetMemory(memory: WebAssembly.Memory): PacketMemory {
  const buffer = memory.buffer;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError('packet memory must be a shared WebAssembly.Memory (its address must never move)');
  }
  const bytes = new Uint8Array(buffer);
  return { memory, base: addressOf(bytes), bytes, view: new DataView(buffer) };
}

/** A page-aligned, zeroed, private native area with typed views over it. */
export class NativeArea {
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly u32: Uint32Array;
  readonly view: DataView;
  private mapping: Mapping | null;

  constructor(length: number, what: string) {
    const pageRounded = Math.ceil(length / OS_PAGE_BYTES) * OS_PAGE_BYTES;
    this.mapping = mmap(pageRounded, Mmap.PROT_READ | Mmap.PROT_WRITE, Mmap.PRIVATE | Mmap.ANONYMOUS, -1, 0, what);
    const buffer = viewOf(this.mapping);
    this.address = this.mapping.address;
    this.bytes = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.view = new DataView(buffer);
  }

  /** Unmaps the area; the views must not be used afterwards. */
  release(): void {
    if (this.mapping === null) return;
    munmap(this.mapping);
    this.mapping = null;
  }
}

const TWO_POW_32 = 0x1_0000_0000;

/** Writes an 8-byte-aligned 64-bit field from a JS number (addresses and sizes stay below 2^53). */
export function setU64(words: Uint32Array, byteOffset: number, value: number): void {
  const index = byteOffset >> 2;
  words[index] = value >>> 0;
  words[index + 1] = Math.floor(value / TWO_POW_32);
}

export function getU64(words: Uint32Array, byteOffset: number): number {
  const index = byteOffset >> 2;
  return words[index] + words[index + 1] * TWO_POW_32;
}

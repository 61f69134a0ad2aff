// Packet memory for the tests: shared WebAssembly memories as the buffer pool and the crypto
// kernels use them, batches describing regions of one, recognisable fill patterns, and hex.
import type { PacketBatch } from '../../src/crypto/methods/provider.js';
import { packetMemory, type PacketMemory } from '../../src/io/native-memory.js';

/** A shared memory like the packet memory the kernels import, `pages` of 64 KiB (it may grow). */
export function sharedMemory(pages = 64): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: 4096, shared: true });
}

/** A packet memory of exactly `pages`, as a datapath worker's is. */
export function testPacketMemory(pages = 64): PacketMemory {
  return packetMemory(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
}

/** A crypto batch over the (offset, length) regions of memory. */
export function batchOf(memory: WebAssembly.Memory, entries: readonly (readonly [number, number])[]): PacketBatch {
  const n = entries.length;
  const batch: PacketBatch = {
    memory,
    count: n,
    offsets: new Uint32Array(n),
    lengths: new Uint32Array(n),
    status: new Uint8Array(n),
  };
  entries.forEach(([offset, length], i) => {
    batch.offsets[i] = offset;
    batch.lengths[i] = length;
  });
  return batch;
}

/** Fills length bytes at offset with a pattern derived from seed, so that each packet is recognisable. */
export function fillPattern(bytes: Uint8Array, offset: number, length: number, seed: number): void {
  for (let i = 0; i < length; i++) bytes[offset + i] = (seed * 31 + i * 7) & 0xff;
}

export function hasPattern(bytes: Uint8Array, offset: number, length: number, seed: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

/** Bytes from hex digits (blanks between them ignored). */
export const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const toHex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

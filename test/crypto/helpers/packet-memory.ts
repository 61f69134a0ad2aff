// A shared packet memory for crypto tests, and batches describing regions of it.
import type { PacketBatch } from '../../../src/crypto/methods/provider.js';

export function sharedMemory(pages = 64): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: 4096, shared: true });
}

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

export const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

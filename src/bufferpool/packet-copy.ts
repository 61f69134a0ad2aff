// Copies within the packet memory, through a WebAssembly kernel's memory.copy. The TUN/TAP
// offloads copy every frame they write behind a virtio_net_hdr and every segment they coalesce,
// and Uint8Array.prototype.copyWithin on the memory's SharedArrayBuffer goes through V8's C++
// runtime: 160-790 ns for a 1,452-byte frame against 60-70 ns for memory.copy (loaded
// machine, same run); perf had it at ~4 % of the supernode's flows.
import { kernelLoader } from '../crypto/wasm-kernel.js';

/** Copies `length` bytes of packet memory from offset `from` to offset `to` (the ranges may overlap). */
export type PacketCopy = (to: number, from: number, length: number) => void;

const load = kernelLoader<{ copy: PacketCopy }>('packet-copy');

/** The copy for `memory`, the shared packet memory (one kernel instance per memory and thread). */
export function packetCopy(memory: WebAssembly.Memory): PacketCopy {
  return load(memory).copy;
}

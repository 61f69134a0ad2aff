// Poly1305 (RFC 8439 section 2.5) as fastd's generic-poly1305 uses it (NaCl's
// crypto_onetimeauth), run over whole batches by the poly1305.wat kernel: one call per
// batch, no allocation, where libsodium would need a call and three views per packet.
import type { BatchTable } from '../../batch-table.js';
import { PacketStatus } from '../../methods/provider.js';
import { kernelLoader } from '../../wasm-kernel.js';

export const POLY1305_KEYBYTES = 32;

interface Poly1305Kernel {
  poly1305_batch(
    offsets: number, lengths: number, status: number, count: number,
    keys: number, keyStride: number, tagOffset: number, dataOffset: number,
    verify: number, authFailed: number,
  ): void;
}
const poly1305Kernel = kernelLoader<Poly1305Kernel>('poly1305');

/**
 * For every Ok entry i of the table, with its one-time key at keys + i * keyStride:
 * authenticates packet bytes [dataOffset, length). Without `verify` the tag is written at
 * tagOffset; with it, the tag at tagOffset is checked and a mismatch sets DropAuth (the
 * packet is left untouched).
 */
export function poly1305Batch(
  table: BatchTable,
  keys: number,
  keyStride: number,
  tagOffset: number,
  dataOffset: number,
  verify: boolean,
): void {
  poly1305Kernel(table.memory).poly1305_batch(
    table.offsetsPtr, table.lengthsPtr, table.statusPtr, table.count,
    keys, keyStride, tagOffset, dataOffset, verify ? 1 : 0, PacketStatus.DropAuth,
  );
}

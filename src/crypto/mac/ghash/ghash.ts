// GHASH keyed per session, run over whole batches by the ghash.wat kernel. The key table
// (32 nibble positions x 16 values x 16 bytes = 8 KiB) lives in the packet memory's state
// arena, where the kernel reads it.
//
// GCM's bit order (SP 800-38D 6.3): bit 0 of a block is the most significant bit of byte 0
// and stands for x^0; multiplying by x shifts every bit one place towards byte 15 and folds
// a bit shifted out of x^127 back in as R = 0xe1 || 0^120.
import type { BatchTable } from '../../batch-table.js';
import { BLOCK_BYTES } from '../../methods/common-header.js';
import { StateArena } from '../../state-arena.js';
import { kernelLoader } from '../../wasm-kernel.js';

const NIBBLES = 2 * BLOCK_BYTES;
const NIBBLE_VALUES = 16;
const GHASH_KEY_TABLE_BYTES = NIBBLES * NIBBLE_VALUES * BLOCK_BYTES;
const R_FIRST_BYTE = 0xe1;

interface GhashKernel {
  ghash_batch(
    key: number, offsets: number, lengths: number, status: number, count: number,
    tagOffset: number, dataOffset: number, sizeHigh: number,
  ): void;
}
const ghashKernel = kernelLoader<GhashKernel>('ghash');

/** Multiplies a block by x in place (GCM bit order). */
function timesX(block: Uint8Array): void {
  const carry = block[BLOCK_BYTES - 1] & 1;
  for (let i = BLOCK_BYTES - 1; i > 0; i--) block[i] = (block[i] >>> 1) | ((block[i - 1] & 1) << 7);
  block[0] >>>= 1;
  if (carry) block[0] ^= R_FIRST_BYTE;
}

/** Writes the 32 x 16 table of v * x^(4i) * H that the kernel multiplies with. */
function expandGhashKey(h: Uint8Array, table: Uint8Array): void {
  // powers[j] = H * x^j for the 128 bit positions
  const powers: Uint8Array[] = [];
  const power = Uint8Array.from(h.subarray(0, BLOCK_BYTES));
  for (let j = 0; j < 8 * BLOCK_BYTES; j++) {
    powers.push(Uint8Array.from(power));
    timesX(power);
  }
  table.fill(0, 0, GHASH_KEY_TABLE_BYTES);
  for (let nibble = 0; nibble < NIBBLES; nibble++) {
    for (let value = 0; value < NIBBLE_VALUES; value++) {
      const entry = (nibble * NIBBLE_VALUES + value) * BLOCK_BYTES;
      // the nibble's most significant bit is the lowest power of x it covers
      for (let bit = 0; bit < 4; bit++) {
        if (!(value & (8 >>> bit))) continue;
        const p = powers[4 * nibble + bit];
        for (let k = 0; k < BLOCK_BYTES; k++) table[entry + k] ^= p[k];
      }
    }
  }
  for (const p of powers) p.fill(0);
  power.fill(0);
}

export class GhashKey {
  private readonly arena: StateArena;
  private readonly keyTable: number;
  private readonly kernel: GhashKernel;
  private readonly sizeHigh: number;

  /**
   * `h` is the 16-byte hash key. `lengthInHighHalf` selects fastd's composed-gmac length
   * block (bit length in bytes 4-7 instead of 12-15, GHASH_SHIFT_SIZE).
   */
  constructor(h: Uint8Array, memory: WebAssembly.Memory, lengthInHighHalf: boolean) {
    this.arena = StateArena.of(memory);
    this.keyTable = this.arena.alloc(GHASH_KEY_TABLE_BYTES, BLOCK_BYTES);
    expandGhashKey(h, new Uint8Array(memory.buffer, this.keyTable, GHASH_KEY_TABLE_BYTES));
    this.kernel = ghashKernel(memory);
    this.sizeHigh = lengthInHighHalf ? 1 : 0;
  }

  /**
   * For every Ok entry of the table: XORs GHASH of packet bytes [dataOffset, length) into the
   * 16 bytes at tagOffset (both relative to the entry's offset).
   */
  foldInto(table: BatchTable, tagOffset: number, dataOffset: number): void {
    this.kernel.ghash_batch(
      this.keyTable, table.offsetsPtr, table.lengthsPtr, table.statusPtr, table.count,
      tagOffset, dataOffset, this.sizeHigh,
    );
  }

  destroy(): void {
    this.arena.free(this.keyTable);
  }
}

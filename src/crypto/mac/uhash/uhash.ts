// fastd's UHASH (src/crypto/mac/uhash): UHASH-128 of RFC 4418 with four iterations. fastd
// takes the RFC's four KDF outputs as one key, concatenated, straight from the handshake's
// key material (the umac methods never run the RFC's AES-based KDF):
//
//   L1Key 1024 + 3*16 | L2Key 4*24 | L3Key1 4*64 | L3Key2 4*4   = 1440 bytes, big-endian words
//
// This file turns that key into the state uhash.wat reads (native-endian words, L2 keys
// masked, L3 keys reduced), kept in the packet memory's state arena.
import type { BatchTable } from '../../batch-table.js';
import { PacketStatus } from '../../methods/provider.js';
import { StateArena } from '../../state-arena.js';
import { kernelLoader } from '../../wasm-kernel.js';

const ITERATIONS = 4;
const L1_KEY_BYTES = 1024 + (ITERATIONS - 1) * 16;
const L2_KEY_BYTES_PER_ITERATION = 24;
const L3_KEY1_WORDS_PER_ITERATION = 8;
const L3_KEY1_BYTES = ITERATIONS * L3_KEY1_WORDS_PER_ITERATION * 8;
const L3_KEY2_BYTES = ITERATIONS * 4;

/** fastd_mac_info_uhash.key_length. */
export const UHASH_KEY_BYTES = L1_KEY_BYTES + ITERATIONS * L2_KEY_BYTES_PER_ITERATION + L3_KEY1_BYTES + L3_KEY2_BYTES;
const UHASH_TAG_BYTES = 16;

// State layout, as declared at the top of uhash.wat.
const STATE_L2_KEY = L1_KEY_BYTES;
const STATE_L3_KEY1 = STATE_L2_KEY + ITERATIONS * 8;
const STATE_L3_KEY2 = STATE_L3_KEY1 + L3_KEY1_BYTES;
const STATE_BYTES = STATE_L3_KEY2 + L3_KEY2_BYTES;

/** RFC 4418 5.3: the POLY key's words are masked to 25 bits, keeping products in range. */
const L2_KEY_MASK = 0x01ffffff;
/** p36 = 2^36 - 5, the L3-HASH prime. */
const P36 = (1n << 36n) - 5n;

interface UhashKernel {
  uhash(state: number, msg: number, len: number, out: number): void;
  fold_batch(
    state: number,
    offsets: number,
    lengths: number,
    status: number,
    count: number,
    tagAt: number,
    msgAt: number,
    dropMalformed: number,
  ): void;
}

const uhashKernel = kernelLoader<UhashKernel>('uhash');

/** Writes the kernel state for a 1440-byte fastd UHASH key at `at` in `bytes`. */
function writeState(key: Uint8Array, bytes: Uint8Array, at: number): void {
  const input = new DataView(key.buffer, key.byteOffset, key.length);
  const state = new DataView(bytes.buffer, bytes.byteOffset + at, STATE_BYTES);
  let from = 0;
  for (let i = 0; i < L1_KEY_BYTES; i += 4, from += 4) state.setUint32(i, input.getUint32(from), true);
  for (let j = 0; j < ITERATIONS; j++) {
    // Only the first 8 bytes of each iteration's 24 are used: the 128-bit POLY key serves
    // messages beyond 2^17 bytes of L1 output, which fastd does not support.
    const high = input.getUint32(from + j * L2_KEY_BYTES_PER_ITERATION) & L2_KEY_MASK;
    const low = input.getUint32(from + j * L2_KEY_BYTES_PER_ITERATION + 4) & L2_KEY_MASK;
    state.setUint32(STATE_L2_KEY + 8 * j, low, true);
    state.setUint32(STATE_L2_KEY + 8 * j + 4, high, true);
  }
  from += ITERATIONS * L2_KEY_BYTES_PER_ITERATION;
  for (let i = 0; i < L3_KEY1_BYTES; i += 8, from += 8)
    state.setBigUint64(STATE_L3_KEY1 + i, input.getBigUint64(from) % P36, true);
  for (let i = 0; i < L3_KEY2_BYTES; i += 4, from += 4) state.setUint32(STATE_L3_KEY2 + i, input.getUint32(from), true);
}

/** A keyed UHASH whose state lives in a packet memory. */
export class Uhash {
  private readonly kernel: UhashKernel;
  private readonly arena: StateArena;
  private state: number;

  constructor(
    key: Uint8Array,
    private readonly memory: WebAssembly.Memory,
  ) {
    if (key.length !== UHASH_KEY_BYTES) throw new RangeError(`uhash: key must be ${UHASH_KEY_BYTES} bytes`);
    this.kernel = uhashKernel(memory);
    this.arena = StateArena.of(memory);
    this.state = this.arena.alloc(STATE_BYTES, 16);
    writeState(key, new Uint8Array(memory.buffer), this.state);
  }

  /**
   * For every Ok entry of the table: XORs the UHASH of packet bytes [messageAt, length) into
   * the 16 bytes at tagAt. Entries that cannot hold both become DropMalformed.
   */
  foldBatch(table: BatchTable, tagAt: number, messageAt: number): void {
    this.kernel.fold_batch(
      this.liveState(),
      table.offsetsPtr,
      table.lengthsPtr,
      table.statusPtr,
      table.count,
      tagAt,
      messageAt,
      PacketStatus.DropMalformed,
    );
  }

  /** UHASH of memory bytes [offset, offset + length) into `out` (16 bytes); not for the datapath. */
  digest(offset: number, length: number, out: Uint8Array): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.memory.buffer.byteLength))
      throw new RangeError(`uhash: [${offset}, +${length}) is not inside the memory`);
    const scratch = this.arena.alloc(UHASH_TAG_BYTES, 16);
    try {
      this.kernel.uhash(this.liveState(), offset, length, scratch);
      out.set(new Uint8Array(this.memory.buffer, scratch, UHASH_TAG_BYTES));
    } finally {
      this.arena.free(scratch);
    }
  }

  /** Zeroes and releases the key state. */
  destroy(): void {
    if (this.state < 0) return;
    this.arena.free(this.state);
    this.state = -1;
  }

  private liveState(): number {
    if (this.state < 0) throw new Error('uhash: used after destroy');
    return this.state;
  }
}

// fastd's aes128-ctr cipher (src/crypto/cipher/aes128_ctr, OpenSSL's EVP_aes_128_ctr) for a
// whole batch at a time: the aes128-ctr.wat kernel lays out every packet's counter blocks in
// a scratch region of the packet memory, OpenSSL encrypts them all in one AES-ECB call
// (AES-NI), and the kernel XORs the result into the packets. Three passes over the batch,
// two of them copies, instead of one OpenSSL context and call per packet.
import type { Cipher } from 'node:crypto';
import { createRequire } from 'node:module';
import type { BatchTable } from '../../batch-table.js';
import { BLOCK_BYTES } from '../../methods/common-header.js';
import { CIPHERS } from '../../methods/names.js';
import { PacketStatus } from '../../methods/provider.js';
import { StateArena } from '../../state-arena.js';
import { kernelLoader } from '../../wasm-kernel.js';
import type { KeyedCipher, StreamCipher } from '../index.js';

interface CtrKernel {
  ctr_counters(
    offsets: number, lengths: number, status: number, count: number,
    start: number, maxLength: number, firstCounter: number, out: number,
  ): number;
  xor_keystream(
    offsets: number, lengths: number, status: number, count: number,
    start: number, maxLength: number, keystream: number, verify: number, authFailed: number,
  ): void;
}
const ctrKernel = kernelLoader<CtrKernel>('aes128-ctr');

let nodeCrypto: typeof import('node:crypto') | undefined;
/**
 * node:crypto, loaded at the first AES key: a datapath worker imports every cipher, and
 * node:crypto's modules cost each worker's heap ~0.25 MiB that only aes128-ctr uses.
 */
function createCipheriv(...args: Parameters<typeof import('node:crypto').createCipheriv>): Cipher {
  nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return nodeCrypto.createCipheriv(...args);
}

/** The counter of a packet's first keystream block (expand_nonce sets the IV's last byte to 1). */
const FIRST_COUNTER = 1;

/** Per memory and thread: where counter blocks, then keystream, of the current batch go. */
class CtrScratch {
  private static readonly scratches = new WeakMap<WebAssembly.Memory, CtrScratch>();

  static of(memory: WebAssembly.Memory): CtrScratch {
    let scratch = CtrScratch.scratches.get(memory);
    if (!scratch) {
      scratch = new CtrScratch(StateArena.of(memory));
      CtrScratch.scratches.set(memory, scratch);
    }
    return scratch;
  }

  region = -1;
  private capacity = 0;

  private constructor(private readonly arena: StateArena) {}

  /** Makes room for `blocks` blocks; grows only when a batch is larger than any before it. */
  reserve(blocks: number): void {
    if (blocks <= this.capacity) return;
    if (this.region >= 0) this.arena.free(this.region);
    this.region = this.arena.alloc(blocks * BLOCK_BYTES, BLOCK_BYTES);
    this.capacity = blocks;
  }
}

class Aes128CtrKey implements KeyedCipher {
  private readonly ecb: Cipher;
  private readonly key: Buffer;
  private readonly kernel: CtrKernel;
  private readonly scratch: CtrScratch;

  constructor(key: Uint8Array, private readonly memory: WebAssembly.Memory) {
    this.key = Buffer.from(key.subarray(0, CIPHERS['aes128-ctr'].keyLength));
    this.ecb = createCipheriv('aes-128-ecb', this.key, null).setAutoPadding(false);
    this.kernel = ctrKernel(memory);
    this.scratch = CtrScratch.of(memory);
  }

  crypt(table: BatchTable, start: number, maxLength: number, keystreamOffset: number, verify: boolean): void {
    table.bytes(); // refreshes the table's views before reading entries
    let bound = 0;
    for (let i = 0; i < table.count; i++)
      if (table.statusAt(i) === PacketStatus.Ok) bound += Math.ceil(table.lengthAt(i) / BLOCK_BYTES);
    if (bound === 0) return;
    this.scratch.reserve(bound);
    const scratch = this.scratch.region;
    const { offsetsPtr, lengthsPtr, statusPtr, count } = table;
    const firstCounter = FIRST_COUNTER + keystreamOffset / BLOCK_BYTES;
    const blocks = this.kernel.ctr_counters(offsetsPtr, lengthsPtr, statusPtr, count, start, maxLength, firstCounter, scratch);
    if (blocks === 0) return;
    const keystream = this.ecb.update(new Uint8Array(this.memory.buffer, scratch, blocks * BLOCK_BYTES));
    table.bytes().set(keystream, scratch);
    this.kernel.xor_keystream(
      offsetsPtr, lengthsPtr, statusPtr, count, start, maxLength, scratch, verify ? 1 : 0, PacketStatus.DropAuth,
    );
  }

  keystream(iv: Uint8Array, out: Uint8Array): void {
    out.set(createCipheriv('aes-128-ctr', this.key, iv).update(new Uint8Array(out.length)));
  }

  destroy(): void {
    this.key.fill(0);
    this.ecb.final(); // lets OpenSSL clean up the key schedule
  }
}

export const aes128Ctr: StreamCipher = {
  name: 'aes128-ctr',
  keyLength: CIPHERS['aes128-ctr'].keyLength,
  ivLength: CIPHERS['aes128-ctr'].ivLength,
  createKey: (key, memory) => new Aes128CtrKey(key, memory),
};

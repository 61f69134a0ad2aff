// fastd's "salsa20" and "salsa2012" ciphers (src/crypto/cipher/salsa20, salsa2012): NaCl's
// crypto_stream_salsa20 / crypto_stream_salsa2012 with a 32-byte key and an 8-byte IV,
// keystream from block counter 0. The keystream XOR runs in salsa20.wat over whole batches;
// the key lives in the packet memory's state arena, where the kernel reads it.
import type { BatchTable } from '../../batch-table.js';
import { PacketStatus } from '../../methods/provider.js';
import { StateArena } from '../../state-arena.js';
import { kernelLoader } from '../../wasm-kernel.js';
import type { KeyedCipher, StreamCipher } from '../index.js';

export const SALSA20_ROUNDS = 20;
export const SALSA2012_ROUNDS = 12;
const SALSA_KEY_BYTES = 32;
const SALSA_IV_BYTES = 8;
/** The kernel works in 16-byte chunks: keystream offsets must be multiples of this. */
const CHUNK_BYTES = 16;
/** The largest region length the kernel's u32 arithmetic takes. */
const MAX_REGION = 0xffff_ffff;

interface SalsaKernel {
  /** salsa20.wat $stream: XOR keystream bytes [skip, skip+len) of one IV into [ptr, ptr+len). */
  stream(
    rounds: number,
    key: number,
    nonce0: number,
    nonce1: number,
    counterLow: number,
    counterHigh: number,
    ptr: number,
    len: number,
    skip: number,
    compareFirst: number,
  ): number;
  /** salsa20.wat crypt_batch: the KeyedCipher.crypt contract over a BatchTable. */
  crypt_batch(
    rounds: number,
    key: number,
    offsets: number,
    lengths: number,
    status: number,
    count: number,
    start: number,
    maxLength: number,
    keystreamOffset: number,
    verify: number,
    dropAuth: number,
    dropMalformed: number,
  ): void;
}

export const salsaKernel = kernelLoader<SalsaKernel>('salsa20');

function readWordLE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

class SalsaKey implements KeyedCipher {
  private readonly kernel: SalsaKernel;
  private readonly arena: StateArena;
  private keyOffset: number;

  constructor(
    private readonly rounds: number,
    key: Uint8Array,
    private readonly memory: WebAssembly.Memory,
  ) {
    if (key.length !== SALSA_KEY_BYTES) throw new RangeError(`salsa20: key must be ${SALSA_KEY_BYTES} bytes`);
    this.kernel = salsaKernel(memory);
    this.arena = StateArena.of(memory);
    this.keyOffset = this.arena.alloc(SALSA_KEY_BYTES, 16);
    new Uint8Array(memory.buffer).set(key, this.keyOffset);
  }

  crypt(table: BatchTable, start: number, maxLength: number, keystreamOffset: number, verify: boolean): void {
    if (keystreamOffset % CHUNK_BYTES !== 0 || keystreamOffset < 0 || keystreamOffset > MAX_REGION)
      throw new RangeError(`salsa20: keystream offset ${keystreamOffset} is not a multiple of ${CHUNK_BYTES}`);
    this.kernel.crypt_batch(
      this.rounds,
      this.liveKey(),
      table.offsetsPtr,
      table.lengthsPtr,
      table.statusPtr,
      table.count,
      start,
      Math.min(maxLength, MAX_REGION) >>> 0,
      keystreamOffset,
      verify ? 1 : 0,
      PacketStatus.DropAuth,
      PacketStatus.DropMalformed,
    );
  }

  keystream(iv: Uint8Array, out: Uint8Array): void {
    if (iv.length !== SALSA_IV_BYTES) throw new RangeError(`salsa20: IV must be ${SALSA_IV_BYTES} bytes`);
    if (out.length === 0) return;
    const scratch = this.arena.alloc(out.length, 16);
    try {
      this.kernel.stream(this.rounds, this.liveKey(), readWordLE(iv, 0), readWordLE(iv, 4), 0, 0, scratch, out.length, 0, 0);
      out.set(new Uint8Array(this.memory.buffer, scratch, out.length));
    } finally {
      this.arena.free(scratch);
    }
  }

  destroy(): void {
    if (this.keyOffset < 0) return;
    this.arena.free(this.keyOffset);
    this.keyOffset = -1;
  }

  private liveKey(): number {
    if (this.keyOffset < 0) throw new Error('salsa20: key used after destroy');
    return this.keyOffset;
  }
}

function salsaCipher(name: 'salsa20' | 'salsa2012', rounds: number): StreamCipher {
  return {
    name,
    keyLength: SALSA_KEY_BYTES,
    ivLength: SALSA_IV_BYTES,
    createKey: (key, memory) => new SalsaKey(rounds, key, memory),
  };
}

export const salsa20Cipher = salsaCipher('salsa20', SALSA20_ROUNDS);
export const salsa2012Cipher = salsaCipher('salsa2012', SALSA2012_ROUNDS);

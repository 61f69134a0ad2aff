// Whether a field element is a square, by its Jacobi symbol (square-test.wat). A peer key is a
// curve point exactly when one element is a square: this answers it without the exponentiation
// of a square root. The symbol is computed in WebAssembly on 64-bit limbs: a start-up checks
// every key of a peer directory (50,000 on a big supernode) on the main thread, where the same
// algorithm on JavaScript's 30-bit limbs took ~6 µs a key. Takes value-dependent time: for
// public values only (configured keys).
import { ownMemoryKernel } from '../wasm-kernel.js';

const FE_BYTES = 32;

interface SquareTestKernel {
  readonly memory: WebAssembly.Memory;
  /** 1 when the 256-bit number at [0, 32) of `memory` is a square mod p, else 0. */
  is_square(): number;
}

const kernel = ownMemoryKernel<SquareTestKernel>('square-test');
/** The kernel's input, over its memory (which never grows). */
let input: Uint8Array | undefined;

/** Whether the 32 little-endian bytes `bytes` are a square mod p (read modulo p); 0 is. */
export function isSquare(bytes: Uint8Array): boolean {
  const { memory, is_square } = kernel();
  input ??= new Uint8Array(memory.buffer, 0, FE_BYTES);
  input.set(bytes);
  return is_square() === 1;
}

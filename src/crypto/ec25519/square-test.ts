// Whether a field element is a square, by its Jacobi symbol over p with the binary algorithm
// (strip the twos, subtract the smaller odd number from the larger, quadratic reciprocity on a
// swap; Cohen, Algorithm 1.4.10, with subtraction for division). A peer key is a curve point
// exactly when one element is a square: this answers it without the exponentiation of a square
// root, and on 30-bit limbs in two preallocated arrays rather than BigInts, whose ~1,200
// allocations a key made a directory of 50,000 keys spend more time in the collector than in
// the test. Takes value-dependent time: for public values only (configured keys).

const FE_BYTES = 32;
const LIMB_BITS = 30;
const LIMB_MASK = (1 << LIMB_BITS) - 1;
/** 9 × 30 bits hold p = 2^255 - 19. */
const LIMBS = 9;

const first = new Int32Array(LIMBS);
const second = new Int32Array(LIMBS);

/** `out` := the little-endian 256-bit `bytes`, in limbs. */
function load(out: Int32Array, bytes: Uint8Array): void {
  let limb = 0;
  let filled = 0;
  let index = 0;
  for (let i = 0; i < FE_BYTES; i++) {
    const byte = bytes[i]!;
    limb |= (byte << filled) & LIMB_MASK;
    filled += 8;
    if (filled >= LIMB_BITS) {
      out[index++] = limb;
      filled -= LIMB_BITS;
      limb = byte >>> (8 - filled);
    }
  }
  out[index] = limb;
}

/** `out` := p = 2^255 - 19. */
function loadPrime(out: Int32Array): void {
  out.fill(LIMB_MASK);
  out[0] = LIMB_MASK - 18;
  // 255 = 8 × 30 + 15 bits
  out[LIMBS - 1] = (1 << 15) - 1;
}

/** The number of limbs up to the highest non-zero one (0 for zero). */
function significant(x: Int32Array, length: number): number {
  while (length > 0 && x[length - 1] === 0) length--;
  return length;
}

/** -1, 0, 1 as x <, =, > y. */
function compare(x: Int32Array, lengthX: number, y: Int32Array, lengthY: number): number {
  if (lengthX !== lengthY) return lengthX < lengthY ? -1 : 1;
  for (let i = lengthX - 1; i >= 0; i--) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/** Whether the canonical little-endian element `bytes` (below p) is a square mod p; 0 is. */
export function isSquare(bytes: Uint8Array): boolean {
  let a = first;
  let n = second;
  load(a, bytes);
  loadPrime(n);
  let lengthA = significant(a, LIMBS);
  let lengthN = LIMBS;
  let negative = false;
  while (lengthA > 0) {
    // Take the factors of two out at once: each flips the sign when n = ±3 mod 8.
    let zeroLimbs = 0;
    while (a[zeroLimbs] === 0) zeroLimbs++;
    const low = a[zeroLimbs]!;
    const bits = 31 - Math.clz32(low & -low);
    const twos = zeroLimbs * LIMB_BITS + bits;
    const nMod8 = n[0]! & 7;
    if ((twos & 1) === 1 && (nMod8 === 3 || nMod8 === 5)) negative = !negative;
    for (let i = 0; i + zeroLimbs < lengthA; i++) {
      const high = i + zeroLimbs + 1 < lengthA ? a[i + zeroLimbs + 1]! : 0;
      a[i] = (a[i + zeroLimbs]! >>> bits) | ((high << (LIMB_BITS - bits)) & LIMB_MASK);
    }
    for (let i = lengthA - zeroLimbs; i < lengthA; i++) a[i] = 0;
    lengthA = significant(a, lengthA - zeroLimbs);
    // Both odd now. Reciprocity: swapping them flips the sign when both are 3 mod 4.
    if (compare(a, lengthA, n, lengthN) < 0) {
      if ((a[0]! & n[0]! & 3) === 3) negative = !negative;
      const swap = a;
      a = n;
      n = swap;
      const swapLength = lengthA;
      lengthA = lengthN;
      lengthN = swapLength;
    }
    // a - n keeps the symbol (a = a - n mod n) and is even.
    let borrow = 0;
    for (let i = 0; i < lengthA; i++) {
      const difference = a[i]! - (i < lengthN ? n[i]! : 0) - borrow;
      a[i] = difference & LIMB_MASK;
      borrow = difference >>> 31;
    }
    lengthA = significant(a, lengthA);
  }
  // n is gcd(element, p): 1, or p itself when the element was 0.
  return lengthN !== 1 || n[0] !== 1 || !negative;
}

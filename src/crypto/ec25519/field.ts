// Arithmetic modulo p = 2^255 - 19, the prime field under fastd's curve (doc: crypto/ec25519.rst).
//
// An element is sixteen 16-bit limbs, least significant first, in a Float64Array. Limbs stay
// non-negative and small enough that a full 16x16 limb product, folded by 38, stays below 2^53,
// so doubles hold every intermediate exactly and nothing allocates. Each function runs the same
// operations whatever the values, so secret-derived coordinates do not leak through timing.
// Outputs may alias inputs. Module-level scratch space makes these functions non-reentrant,
// which is fine on JavaScript's single thread.

/** A field element; values are kept partly reduced, use `feToBytes` for the canonical form. */
export type Fe = Float64Array;

const FE_BYTES = 32;
const LIMBS = 16;
const LIMB_RADIX = 0x10000;
const LIMB_MASK = 0xffff;
/** 2^256 = 2p + 38: a carry out of the top limb re-enters limb 0 multiplied by 38. */
const TOP_CARRY_FOLD = 38;

/** p's limbs, for the final conditional subtractions of `feToBytes`. */
const P_LOW_LIMB = 0xffed;
const P_TOP_LIMB = 0x7fff;
/** 4p limb by limb (not normalised): each limb exceeds any normalised limb, so a - b + 4p stays non-negative. */
const FOUR_P_LOW_LIMB = 4 * P_LOW_LIMB;
const FOUR_P_MID_LIMB = 4 * LIMB_MASK;
const FOUR_P_TOP_LIMB = 4 * P_TOP_LIMB;

export const FIELD_PRIME = (1n << 255n) - 19n;

export function feNew(): Fe {
  return new Float64Array(LIMBS);
}

/** Builds a constant from a BigInt (setup code only: BigInt arithmetic is not constant-time). */
export function feFromBigInt(value: bigint): Fe {
  let rest = ((value % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
  const out = feNew();
  for (let i = 0; i < LIMBS; i++) {
    out[i] = Number(rest & BigInt(LIMB_MASK));
    rest >>= 16n;
  }
  return out;
}

/** Reads 32 little-endian bytes; bit 255 is ignored and values >= p are accepted (as libuecc does). */
export function feFromBytes(out: Fe, bytes: Uint8Array, offset = 0): void {
  for (let i = 0; i < LIMBS; i++) out[i] = bytes[offset + 2 * i] + (bytes[offset + 2 * i + 1] << 8);
  out[LIMBS - 1] &= P_TOP_LIMB;
}

function carry(o: Fe): void {
  for (let i = 0; i < LIMBS - 1; i++) {
    const c = Math.floor(o[i] / LIMB_RADIX);
    o[i] -= c * LIMB_RADIX;
    o[i + 1] += c;
  }
  const top = Math.floor(o[LIMBS - 1] / LIMB_RADIX);
  o[LIMBS - 1] -= top * LIMB_RADIX;
  o[0] += TOP_CARRY_FOLD * top;
}

const packed = new Int32Array(LIMBS);
const minusP = new Int32Array(LIMBS);

/** Subtracts p unless the value is below p (branch-free select). */
function subtractPIfNotBelow(t: Int32Array): void {
  let borrow = 0;
  for (let i = 0; i < LIMBS; i++) {
    const limb = i === 0 ? P_LOW_LIMB : i === LIMBS - 1 ? P_TOP_LIMB : LIMB_MASK;
    const diff = t[i] - limb - borrow;
    borrow = (diff >> 16) & 1;
    minusP[i] = diff & LIMB_MASK;
  }
  const keepOriginal = -borrow;
  for (let i = 0; i < LIMBS; i++) t[i] = minusP[i] ^ (keepOriginal & (t[i] ^ minusP[i]));
}

/** Writes the canonical (fully reduced) 32-byte little-endian encoding. */
export function feToBytes(out: Uint8Array, offset: number, a: Fe): void {
  const t = reduceScratch;
  t.set(a);
  carry(t);
  carry(t);
  carry(t);
  for (let i = 0; i < LIMBS; i++) packed[i] = t[i];
  // After carrying the value is below 2^256 = 2p + 38, so two subtractions reach [0, p).
  subtractPIfNotBelow(packed);
  subtractPIfNotBelow(packed);
  for (let i = 0; i < LIMBS; i++) {
    out[offset + 2 * i] = packed[i] & 0xff;
    out[offset + 2 * i + 1] = packed[i] >> 8;
  }
}
const reduceScratch = feNew();

export function feSub(out: Fe, a: Fe, b: Fe): void {
  out[0] = a[0] - b[0] + FOUR_P_LOW_LIMB;
  for (let i = 1; i < LIMBS - 1; i++) out[i] = a[i] - b[i] + FOUR_P_MID_LIMB;
  out[LIMBS - 1] = a[LIMBS - 1] - b[LIMBS - 1] + FOUR_P_TOP_LIMB;
  carry(out);
}

const product = new Float64Array(2 * LIMBS - 1);

/** Folds the high half of a 31-limb product into the low half (2^256 = 38 mod p) and carries. */
function reduceProduct(out: Fe): void {
  for (let i = 0; i < LIMBS - 1; i++) out[i] = product[i] + TOP_CARRY_FOLD * product[i + LIMBS];
  out[LIMBS - 1] = product[LIMBS - 1];
  carry(out);
  carry(out);
}

export function feMul(out: Fe, a: Fe, b: Fe): void {
  for (let k = 0; k < 2 * LIMBS - 1; k++) {
    let sum = 0;
    for (let i = Math.max(0, k - LIMBS + 1), j = k - i; i < LIMBS && j >= 0; i++, j--) sum += a[i] * b[j];
    product[k] = sum;
  }
  reduceProduct(out);
}

/**
 * a·k for a small non-negative integer k (below 2^21, as the legacy curve's a and d): 16 products
 * instead of a multiplication's 256. Each limb's product stays below 2^53.
 */
export function feMulSmall(out: Fe, a: Fe, k: number): void {
  for (let i = 0; i < LIMBS; i++) out[i] = a[i] * k;
  carry(out);
  carry(out);
}

/** a^2 with each cross product computed once. */
export function feSquare(out: Fe, a: Fe): void {
  for (let k = 0; k < 2 * LIMBS - 1; k++) {
    let crossTerms = 0;
    for (let i = Math.max(0, k - LIMBS + 1), j = k - i; i < j; i++, j--) crossTerms += a[i] * a[j];
    const middle = (k & 1) === 0 ? a[k >> 1] * a[k >> 1] : 0;
    product[k] = 2 * crossTerms + middle;
  }
  reduceProduct(out);
}

/** out = a when choice is 0, b when choice is 1, without branching on choice. */
export function feSelect(out: Fe, a: Fe, b: Fe, choice: number): void {
  for (let i = 0; i < LIMBS; i++) out[i] = a[i] + choice * (b[i] - a[i]);
}

const bytesA = new Uint8Array(FE_BYTES);

/** The lowest bit of the canonical value: the "sign" stored in packed points. */
export function feParity(a: Fe): number {
  feToBytes(bytesA, 0, a);
  return bytesA[0] & 1;
}

const ZERO = feNew();

export function feNegate(out: Fe, a: Fe): void {
  feSub(out, ZERO, a);
}

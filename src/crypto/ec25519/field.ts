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

export function feAdd(out: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < LIMBS; i++) out[i] = a[i] + b[i];
  carry(out);
}

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

/** a^2 with each cross product computed once: most of an exponentiation is squarings. */
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
const bytesB = new Uint8Array(FE_BYTES);

/** 1 when a and b are the same field element, else 0 (compares canonical encodings in full). */
export function feEqual(a: Fe, b: Fe): number {
  feToBytes(bytesA, 0, a);
  feToBytes(bytesB, 0, b);
  let difference = 0;
  for (let i = 0; i < FE_BYTES; i++) difference |= bytesA[i] ^ bytesB[i];
  return ((difference - 1) >>> 31) & 1;
}

/** The lowest bit of the canonical value: the "sign" stored in packed points. */
export function feParity(a: Fe): number {
  feToBytes(bytesA, 0, a);
  return bytesA[0] & 1;
}

const ZERO = feNew();

export function feNegate(out: Fe, a: Fe): void {
  feSub(out, ZERO, a);
}

function squareTimes(out: Fe, a: Fe, times: number): void {
  feSquare(out, a);
  for (let i = 1; i < times; i++) feSquare(out, out);
}

const z2 = feNew();
const z9 = feNew();
const z11 = feNew();
const z2_5 = feNew();
const z2_10 = feNew();
const z2_20 = feNew();
const z2_50 = feNew();
const z2_100 = feNew();
const chain = feNew();

/** out = a^(2^250 - 1), the bulk of the addition chain for square roots. */
function powTwo250MinusOne(out: Fe, a: Fe): void {
  feSquare(z2, a);
  squareTimes(chain, z2, 2);
  feMul(z9, chain, a);
  feMul(z11, z9, z2);
  feSquare(chain, z11);
  feMul(z2_5, chain, z9); // 2^5 - 1
  squareTimes(chain, z2_5, 5);
  feMul(z2_10, chain, z2_5); // 2^10 - 1
  squareTimes(chain, z2_10, 10);
  feMul(z2_20, chain, z2_10); // 2^20 - 1
  squareTimes(chain, z2_20, 20);
  feMul(chain, chain, z2_20); // 2^40 - 1
  squareTimes(chain, chain, 10);
  feMul(z2_50, chain, z2_10); // 2^50 - 1
  squareTimes(chain, z2_50, 50);
  feMul(z2_100, chain, z2_50); // 2^100 - 1
  squareTimes(chain, z2_100, 100);
  feMul(chain, chain, z2_100); // 2^200 - 1
  squareTimes(chain, chain, 50);
  feMul(out, chain, z2_50); // 2^250 - 1
}

const z2_250 = feNew();

/** out = a^((p-5)/8) = a^(2^252 - 3), the core of a square root in a field with p = 5 mod 8. */
function powP58(out: Fe, a: Fe): void {
  powTwo250MinusOne(z2_250, a);
  squareTimes(z2_250, z2_250, 2);
  feMul(out, z2_250, a);
}

/** sqrt(-1) = 2^((p-1)/4), needed when the first candidate root squares to -u/v. */
const SQRT_MINUS_ONE = feFromBigInt(
  0x2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0n,
);

const v3 = feNew();
const v7 = feNew();
const candidate = feNew();
const rotated = feNew();
const check = feNew();
const minusU = feNew();

/**
 * out = sqrt(u/v) with one exponentiation (RFC 8032 section 5.1.3); returns 1 when u/v is a
 * square, else 0. Which of the two roots comes out is unspecified: callers fix the sign.
 */
export function feSqrtRatio(out: Fe, u: Fe, v: Fe): number {
  feSquare(v3, v);
  feMul(v3, v3, v); // v^3
  feSquare(v7, v3);
  feMul(v7, v7, v); // v^7
  feMul(candidate, u, v7);
  powP58(candidate, candidate);
  feMul(candidate, candidate, v3);
  feMul(candidate, candidate, u); // u v^3 (u v^7)^((p-5)/8)

  feSquare(check, candidate);
  feMul(check, check, v);
  const plainRoot = feEqual(check, u);
  feNegate(minusU, u);
  const rotatedRoot = feEqual(check, minusU);
  feMul(rotated, candidate, SQRT_MINUS_ONE);
  feSelect(out, candidate, rotated, rotatedRoot & (1 - plainRoot));
  return plainRoot | rotatedRoot;
}

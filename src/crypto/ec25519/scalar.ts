// Integers modulo the group order q (libuecc's ecc_25519_gf_*), as little-endian 32-byte arrays.
//
// fastd's handshake combines its secrets as s = d·a + x (mod q). The 512-bit product is formed
// here on 16-bit limbs with a fixed sequence of operations, and libsodium reduces it mod q.
import { sodium } from './sodium.js';

export const SCALAR_BYTES = 32;
const WIDE_BYTES = 2 * SCALAR_BYTES;
const HALF_LIMBS = SCALAR_BYTES / 2;
const WIDE_LIMBS = WIDE_BYTES / 2;

/** Bits ecc_25519_gf_sanitize_secret fixes: clear the low three and bit 255, set bit 254. */
const SANITIZE_LOW_MASK = 0xf8;
const SANITIZE_TOP_MASK = 0x7f;
const SANITIZE_TOP_BIT = 0x40;
/** fastd keeps its secrets divided by the cofactor 8 (divide_key in ec25519_fhmqvc.h). */
const COFACTOR_BITS = 3;
const COFACTOR_MASK = (1 << COFACTOR_BITS) - 1;

const wide = new Uint8Array(WIDE_BYTES);
const limbs = new Float64Array(WIDE_LIMBS);

function checkLength(name: string, value: Uint8Array): void {
  if (value.length !== SCALAR_BYTES) throw new RangeError(`${name} must be ${SCALAR_BYTES} bytes, got ${value.length}`);
}

function reduceWide(): Uint8Array {
  const out = new Uint8Array(SCALAR_BYTES);
  sodium().crypto_core_ed25519_scalar_reduce(out, wide);
  sodium().sodium_memzero(wide);
  return out;
}

/** n mod q for any 256-bit n. */
export function reduceScalar(n: Uint8Array): Uint8Array {
  checkLength('scalar', n);
  wide.set(n);
  return reduceWide();
}

/** a·b + c mod q for any 256-bit a, b, c (ecc_25519_gf_mult followed by ecc_25519_gf_add). */
export function multiplyAddScalars(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  checkLength('a', a);
  checkLength('b', b);
  checkLength('c', c);
  limbs.fill(0);
  for (let i = 0; i < HALF_LIMBS; i++) {
    const ai = a[2 * i] + (a[2 * i + 1] << 8);
    limbs[i] += c[2 * i] + (c[2 * i + 1] << 8);
    for (let j = 0; j < HALF_LIMBS; j++) limbs[i + j] += ai * (b[2 * j] + (b[2 * j + 1] << 8));
  }
  // Each limb holds at most 16 products of 16-bit limbs (< 2^36): exact in a double.
  let carry = 0;
  for (let i = 0; i < WIDE_LIMBS; i++) {
    const value = limbs[i] + carry;
    carry = Math.floor(value / 0x10000);
    const low = value - carry * 0x10000;
    wide[2 * i] = low & 0xff;
    wide[2 * i + 1] = low >> 8;
  }
  limbs.fill(0);
  return reduceWide();
}

/** ecc_25519_gf_sanitize_secret: clamps 32 random bytes into a Curve25519-style secret. */
export function sanitizeSecret(secret: Uint8Array): Uint8Array {
  checkLength('secret', secret);
  const out = Uint8Array.from(secret);
  out[0] &= SANITIZE_LOW_MASK;
  out[SCALAR_BYTES - 1] = (out[SCALAR_BYTES - 1] & SANITIZE_TOP_MASK) | SANITIZE_TOP_BIT;
  return out;
}

/** floor(n / 8): n shifted right by the cofactor's three bits. */
export function shiftOutCofactor(n: Uint8Array): Uint8Array {
  checkLength('scalar', n);
  const out = new Uint8Array(SCALAR_BYTES);
  for (let i = 0; i < SCALAR_BYTES; i++) {
    const above = i + 1 < SCALAR_BYTES ? n[i + 1] : 0;
    out[i] = ((n[i] >> COFACTOR_BITS) | (above << (8 - COFACTOR_BITS))) & 0xff;
  }
  return out;
}

/**
 * secret / 8 as fastd stores its own keys before the handshake (divide_key); undefined when
 * the secret is not a multiple of 8, which fastd rejects as "invalid secret key".
 */
export function divideByCofactor(secret: Uint8Array): Uint8Array | undefined {
  checkLength('secret', secret);
  return (secret[0] & COFACTOR_MASK) === 0 ? shiftOutCofactor(secret) : undefined;
}

/** True when n is 0 mod q. */
export function isZeroScalar(n: Uint8Array): boolean {
  const reduced = reduceScalar(n);
  let bits = 0;
  for (const byte of reduced) bits |= byte;
  return bits === 0;
}

// The two shapes of fastd's curve (doc: crypto/ec25519.rst, libuecc's ec25519.c).
//
// fastd's keys live on the "legacy" twisted Edwards curve 486664·x^2 + y^2 = 1 + 486660·x^2·y^2,
// birationally equivalent to Curve25519. libuecc computes on the isomorphic Ed25519 curve
// -x^2 + y^2 = 1 + d·x^2·y^2 instead: the y coordinates are equal and x is scaled by a constant,
// so the same points can be handed to libsodium's Ed25519 group operations.
import { FIELD_PRIME, feFromBigInt } from './field.js';

const P = FIELD_PRIME;

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let square = ((base % P) + P) % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * square) % P;
    square = (square * square) % P;
  }
  return result;
}

function modInverse(value: bigint): bigint {
  return modPow(value, P - 2n);
}

/** Legacy curve parameters a = (A+2)/B and d = (A-2)/B from Curve25519's A = 486662, B = 1. */
export const LEGACY_A = 486664n;
export const LEGACY_D = 486660n;

/** Ed25519's d = -121665/121666 (RFC 8032). */
export const ED25519_D = (((-121665n * modInverse(121666n)) % P) + P) % P;

/** The generator's legacy x coordinate as fastd's documentation gives it (ec25519.rst). */
export const GENERATOR_LEGACY_X = 0x547c4350219f5e19dd26a3d6668b74346a8eb726eb2396e1228cfa397ffe6bd4n;
/** The same point on Ed25519: RFC 8032's base point B; y = 4/5 on both curves. */
export const GENERATOR_ED25519_X = 0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51an;
export const GENERATOR_Y = 0x6666666666666666666666666666666666666666666666666666666666666658n;

/**
 * x_ed25519 = x_legacy · LEGACY_TO_ED25519 (a square root of -486664). Defined through the
 * generator so that fastd's G lands on libsodium's base point, not on its negation.
 */
export const LEGACY_TO_ED25519 = (GENERATOR_ED25519_X * modInverse(GENERATOR_LEGACY_X)) % P;
/** sqrt(-1) = 2^((p-1)/4), the even root: x of the point (x, 0) that Ed25519 encodes as 32 zero bytes. */
export const SQRT_MINUS_ONE = modPow(2n, (P - 1n) / 4n);
/**
 * Adding Ed25519's point T = (i, 0) of order 4 (i = SQRT_MINUS_ONE) turns (x, y) into (i·y, i·x):
 * the sum's y is x_legacy·LEGACY_TO_ROTATED, so a legacy x converts to an Ed25519 encoding, and
 * back, by one multiplication (legacy-format.ts).
 */
const LEGACY_TO_ROTATED = (SQRT_MINUS_ONE * LEGACY_TO_ED25519) % P;

/** Order q of the generator: 2^252 + 27742317777372353535851937790883648493 (ecc.h). */
export const GROUP_ORDER = (1n << 252n) + 27742317777372353535851937790883648493n;

/** Field-element forms of the constants the packing code multiplies by. */
export const FE = {
  one: feFromBigInt(1n),
  legacyToRotated: feFromBigInt(LEGACY_TO_ROTATED),
  rotatedToLegacy: feFromBigInt(modInverse(LEGACY_TO_ROTATED)),
} as const;

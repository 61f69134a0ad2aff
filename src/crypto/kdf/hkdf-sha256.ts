// HKDF-SHA256 (RFC 5869), which fastd's handshake uses for its handshake key K1 and the
// method's session key K2; src/protocol/fhmqvc.ts says which inputs (fastd's code orders
// K2's info differently from crypto/fhmqvc.rst, and only the code's order interoperates).
//
// fastd expands whole 32-byte blocks and uses a prefix; HKDF's output for a shorter length is
// that same prefix, so asking for the exact length here gives the same key.
import { HMAC_SHA256_BYTES, hmacSha256 } from './hmac-sha256.js';

/** RFC 5869 caps the output at 255 blocks, as the block counter is one byte. */
export const HKDF_SHA256_MAX_LENGTH = 255 * HMAC_SHA256_BYTES;

/** HKDF-Extract: PRK = HMAC(salt, IKM); an empty salt means 32 zero bytes. */
export function hkdfSha256Extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmacSha256(salt.length > 0 ? salt : new Uint8Array(HMAC_SHA256_BYTES), ikm);
}

/** HKDF-Expand: T(i) = HMAC(PRK, T(i-1) | info | i), concatenated and cut to length bytes. */
export function hkdfSha256Expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH)
    throw new RangeError(`HKDF-SHA256 output length must be 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`);
  const okm = new Uint8Array(Math.ceil(length / HMAC_SHA256_BYTES) * HMAC_SHA256_BYTES);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let block = 0; block * HMAC_SHA256_BYTES < length; block++) {
    counter[0] = block + 1;
    previous = hmacSha256(prk, previous, info, counter);
    okm.set(previous, block * HMAC_SHA256_BYTES);
  }
  return okm.subarray(0, length);
}

/** HKDF-Expand(HKDF-Extract(salt, IKM), info, length). */
export function hkdfSha256(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfSha256Expand(hkdfSha256Extract(salt, ikm), info, length);
}

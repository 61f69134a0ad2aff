// fastd's long-term keys (protocols/ec25519_fhmqvc/{util.c,ec25519_fhmqvc.c}): 32-byte secrets
// and legacy-packed public keys, written in configs as 64 hex digits.
//
// fastd clamps the secrets it generates, but takes a configured secret as it stands: the public
// key is the full 256-bit secret times G, and the only check is that the secret is a multiple
// of 8 (it is divided by 8 for the handshake).
import { multiplyBase } from './group.js';
import { isPackedLegacyPoint, PACKED_POINT_BYTES, storePackedLegacy } from './legacy-format.js';
import { divideByCofactor, sanitizeSecret, SCALAR_BYTES } from './scalar.js';
import { sodium } from './sodium.js';

const SECRET_KEY_BYTES = SCALAR_BYTES;
export const PUBLIC_KEY_BYTES = PACKED_POINT_BYTES;
const KEY_HEX_DIGITS = 64;
const KEY_HEX_PATTERN = /^[0-9a-fA-F]{64}$/;

/** A new secret: 32 bytes from the OS CSPRNG, clamped as `fastd --generate-key` does. */
export function generateSecretKey(): Uint8Array {
  const random = new Uint8Array(SECRET_KEY_BYTES);
  sodium.randombytes_buf(random);
  const secret = sanitizeSecret(random);
  sodium.sodium_memzero(random);
  return secret;
}

/** The legacy-packed public key of a secret, byte for byte what `fastd --show-key` prints. */
export function derivePublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== SECRET_KEY_BYTES)
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${secret.length}`);
  return storePackedLegacy(multiplyBase(secret));
}

/** Whether fastd accepts this as its own secret (any 32 bytes that are a multiple of 8). */
export function isValidSecretKey(secret: Uint8Array): boolean {
  return secret.length === SECRET_KEY_BYTES && divideByCofactor(secret) !== undefined;
}

/** Whether fastd accepts this as a peer's key: it unpacks to a curve point other than the identity. */
export function isValidPublicKey(key: Uint8Array): boolean {
  return key.length === PUBLIC_KEY_BYTES && isPackedLegacyPoint(key);
}

/** Reads a key as fastd's read_key does: exactly 64 hex digits, either case. */
export function parseKeyHex(hex: string): Uint8Array | undefined {
  if (!KEY_HEX_PATTERN.test(hex)) return undefined;
  const key = new Uint8Array(KEY_HEX_DIGITS / 2);
  for (let i = 0; i < key.length; i++) key[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return key;
}

/** Lower-case hex, as fastd prints keys. */
export function keyToHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

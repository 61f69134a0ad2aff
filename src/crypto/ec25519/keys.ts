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

/** A new secret: 32 bytes from the OS CSPRNG, clamped as `fastd --generate-key` does. */
export function generateSecretKey(): Uint8Array {
  const random = new Uint8Array(SECRET_KEY_BYTES);
  sodium().randombytes_buf(random);
  const secret = sanitizeSecret(random);
  sodium().sodium_memzero(random);
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

/** The value of a hex digit's character code, either case; -1 for any other character. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Reads a key as fastd's read_key does into `out` (32 bytes): false unless it is exactly 64 hex
 * digits, either case. Digit by digit rather than by a pattern and 32 substrings, and into a
 * buffer the caller may reuse: a peer directory checks 50,000 keys at start-up.
 */
export function readKeyHex(hex: string, out: Uint8Array): boolean {
  if (hex.length !== KEY_HEX_DIGITS) return false;
  for (let i = 0; i < KEY_HEX_DIGITS / 2; i++) {
    const high = hexDigit(hex.charCodeAt(2 * i));
    const low = hexDigit(hex.charCodeAt(2 * i + 1));
    if ((high | low) < 0) return false;
    out[i] = (high << 4) | low;
  }
  return true;
}

/** readKeyHex into a new array; undefined where it is false. */
export function parseKeyHex(hex: string): Uint8Array | undefined {
  const key = new Uint8Array(KEY_HEX_DIGITS / 2);
  return readKeyHex(hex, key) ? key : undefined;
}

const checkedKey = new Uint8Array(KEY_HEX_DIGITS / 2);

/** Whether `hex` is a key's 64 hex digits (readKeyHex without keeping the bytes). */
export function isKeyHex(hex: string): boolean {
  return readKeyHex(hex, checkedKey);
}

/** Lower-case hex, as fastd prints keys. */
export function keyToHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}

// HMAC-SHA256 (RFC 2104): fastd's handshake authentication tag and the PRF under HKDF.
// fastd only ever keys it with 32 bytes; any key length works here, as the RFC allows.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SHA256_BYTES } from './sha256.js';

/** An HMAC is as long as its hash's digest. */
export const HMAC_SHA256_BYTES = SHA256_BYTES;

/** HMAC-SHA256 of the concatenation of parts. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** Whether mac is the HMAC-SHA256 of parts, compared in constant time (fastd's secure_memequal). */
export function verifyHmacSha256(mac: Uint8Array, key: Uint8Array, ...parts: Uint8Array[]): boolean {
  if (mac.length !== HMAC_SHA256_BYTES) return false;
  return timingSafeEqual(mac, hmacSha256(key, ...parts));
}

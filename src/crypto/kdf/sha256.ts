// SHA-256 (FIPS 180-4), as fastd hashes its handshake inputs: d|e = SHA256(Y|X|B|A)
// (doc: crypto/fhmqvc.rst). fastd's own sha256.c is plain SHA-256 over the concatenated
// blocks, so OpenSSL's implementation through node:crypto gives identical digests.
import { createHash } from 'node:crypto';

export const SHA256_BYTES = 32;

/** SHA-256 of the concatenation of parts. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

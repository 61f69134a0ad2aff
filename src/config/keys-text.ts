// Key strings as fastd's ec25519-fhmqvc protocol reads them (read_key, protocol_read_key,
// protocol_init), on top of the key rules in crypto/ec25519/keys.ts.
import { isValidPublicKey, isValidSecretKey, parseKeyHex, PUBLIC_KEY_BYTES, readKeyHex } from '../crypto/ec25519/keys.js';

/** Where isValidPeerKey reads each key it checks. */
const peerKey = new Uint8Array(PUBLIC_KEY_BYTES);

/** A peer key fastd accepts: 64 hex digits packing a curve point other than the identity. */
export function isValidPeerKey(text: string): boolean {
  return readKeyHex(text, peerKey) && isValidPublicKey(peerKey);
}

/** A secret fastd accepts at start-up ("invalid secret key" otherwise): 64 hex digits, a multiple of 8. */
export function isValidSecret(text: string): boolean {
  const secret = parseKeyHex(text);
  return secret !== undefined && isValidSecretKey(secret);
}

// Key strings as fastd's ec25519-fhmqvc protocol reads them (read_key, protocol_read_key,
// protocol_init): exactly 64 hex digits, the 32 bytes in the order written.
import { isValidPublicKey } from '../crypto/ec25519/keys.js';

export const KEY_HEX_LENGTH = 64;
/** fastd divides the secret by 8 (divide_key); the three low bits of its first byte must be clear. */
const SECRET_COFACTOR_BITS = 0x07;

export function parseKeyHex(text: string): Uint8Array | undefined {
  if (text.length !== KEY_HEX_LENGTH || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** A peer key fastd accepts: 64 hex digits packing a curve point other than the identity. */
export function isValidPeerKey(text: string): boolean {
  const key = parseKeyHex(text);
  return key !== undefined && isValidPublicKey(key);
}

/** A secret fastd accepts at start-up ("invalid secret key" otherwise). */
export function isValidSecret(text: string): boolean {
  const secret = parseKeyHex(text);
  return secret !== undefined && (secret[0] & SECRET_COFACTOR_BITS) === 0;
}

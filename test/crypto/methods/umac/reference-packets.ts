// Sealed umac packets built the way fastd's generic_umac.c / composed_umac.c build them, from
// independent parts: keystreams from libsodium (sodium-native, Debian's libsodium23) and
// OpenSSL (node:crypto), UHASH from the BigInt RFC 4418 transcription.
import { createCipheriv } from 'node:crypto';
import sodium from 'sodium-native';
import { CIPHERS, type CipherName } from '../../../../src/crypto/methods/names.js';
import { salsa2012Xor } from '../../cipher/salsa20/libsodium23.js';
import { referenceUhash } from '../../mac/uhash/rfc4418-reference.js';

export const UHASH_KEY_BYTES = 1440;

/** fastd_method_expand_nonce. */
export function expandNonce(nonce: Uint8Array, length: number): Uint8Array {
  const iv = new Uint8Array(length);
  if (length === 0) return iv;
  iv.set(nonce.subarray(0, Math.min(length, 6)));
  iv[length - 1] = 1;
  return iv;
}

export function keystream(cipher: CipherName, key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array {
  const iv = expandNonce(nonce, CIPHERS[cipher].ivLength);
  const out = new Uint8Array(length);
  switch (cipher) {
    case 'null':
      return out;
    case 'salsa20':
      if (length > 0) sodium.crypto_stream_salsa20(Buffer.from(out.buffer), Buffer.from(iv), Buffer.from(key));
      return out;
    case 'salsa2012':
      salsa2012Xor(out, new Uint8Array(length), iv, key);
      return out;
    case 'aes128-ctr':
      return Uint8Array.from(createCipheriv('aes-128-ctr', key, iv).update(out));
  }
}

export interface MethodKeys {
  cipher: CipherName;
  /** Composed methods only. */
  macCipher?: CipherName;
  secret: Uint8Array;
}

/** The nonce as it appears in the header: 48 bits, big endian. */
export function nonceBytes(nonce: number): Uint8Array {
  const out = new Uint8Array(6);
  let n = nonce;
  for (let i = 5; i >= 0; i--) {
    out[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return out;
}

/** header | pad XOR UHASH(ciphertext) | ciphertext, as fastd's method_encrypt produces. */
export function referenceSeal(keys: MethodKeys, packetType: number, nonce: number, payload: Uint8Array): Uint8Array {
  const n = nonceBytes(nonce);
  const cipherKeyLength = CIPHERS[keys.cipher].keyLength;
  const cipherKey = keys.secret.subarray(0, cipherKeyLength);
  let pad: Uint8Array;
  let stream: Uint8Array;
  let uhashKey: Uint8Array;
  if (keys.macCipher) {
    const macKeyLength = CIPHERS[keys.macCipher].keyLength;
    pad = keystream(keys.macCipher, keys.secret.subarray(cipherKeyLength, cipherKeyLength + macKeyLength), n, 16);
    stream = keystream(keys.cipher, cipherKey, n, payload.length);
    uhashKey = keys.secret.subarray(cipherKeyLength + macKeyLength);
  } else {
    const whole = keystream(keys.cipher, cipherKey, n, 16 + payload.length);
    pad = whole.subarray(0, 16);
    stream = whole.subarray(16);
    uhashKey = keys.secret.subarray(cipherKeyLength);
  }
  const ciphertext = payload.map((b, i) => b ^ stream[i]);
  const hash = referenceUhash(uhashKey, ciphertext);
  const packet = new Uint8Array(24 + payload.length);
  packet[0] = packetType;
  packet[1] = 0;
  packet.set(n, 2);
  packet.set(pad.map((b, i) => b ^ hash[i]), 8);
  packet.set(ciphertext, 24);
  return packet;
}

// fastd's "salsa20+poly1305" data packets (src/methods/generic_poly1305), sealed and opened
// with libsodium — test-only, to prove the handshake's method key against real fastd:
//
//   | type | flags 0 | nonce (6, BE) | Poly1305 tag (16) | Salsa20 ciphertext ... |
//
// The Salsa20 IV is the nonce, a zero byte and 1; the first 32 keystream bytes key Poly1305.
import sodium from 'sodium-native';

const NONCE_BYTES = 6;
const HEADER_BYTES = 2 + NONCE_BYTES;
const TAG_BYTES = 16;
const POLY1305_KEY_BYTES = 32;
const IV_BYTES = 8;

function iv(nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(IV_BYTES);
  out.set(nonce);
  out[IV_BYTES - 1] = 1;
  return out;
}

function nonceBytes(value: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  for (let i = NONCE_BYTES - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) nonce[i] = v & 0xff;
  return nonce;
}

export function sealSalsa20Poly1305(type: number, key: Uint8Array, nonce: number, payload: Uint8Array): Uint8Array {
  const n = nonceBytes(nonce);
  const stream = new Uint8Array(POLY1305_KEY_BYTES + payload.length);
  stream.set(payload, POLY1305_KEY_BYTES);
  sodium.crypto_stream_salsa20_xor(stream, stream, iv(n), key);
  const ciphertext = stream.subarray(POLY1305_KEY_BYTES);
  const packet = new Uint8Array(HEADER_BYTES + TAG_BYTES + payload.length);
  packet[0] = type;
  packet.set(n, 2);
  const tag = packet.subarray(HEADER_BYTES, HEADER_BYTES + TAG_BYTES);
  sodium.crypto_onetimeauth(tag, ciphertext, stream.subarray(0, POLY1305_KEY_BYTES));
  packet.set(ciphertext, HEADER_BYTES + TAG_BYTES);
  return packet;
}

/** The payload, or undefined when the tag does not verify under `key`. */
export function openSalsa20Poly1305(key: Uint8Array, packet: Uint8Array): Uint8Array | undefined {
  if (packet.length < HEADER_BYTES + TAG_BYTES) return undefined;
  const ciphertext = packet.subarray(HEADER_BYTES + TAG_BYTES);
  const stream = new Uint8Array(POLY1305_KEY_BYTES + ciphertext.length);
  stream.set(ciphertext, POLY1305_KEY_BYTES);
  sodium.crypto_stream_salsa20_xor(stream, stream, iv(packet.subarray(2, HEADER_BYTES)), key);
  const tag = packet.subarray(HEADER_BYTES, HEADER_BYTES + TAG_BYTES);
  if (!sodium.crypto_onetimeauth_verify(tag, ciphertext, stream.subarray(0, POLY1305_KEY_BYTES))) return undefined;
  return stream.subarray(POLY1305_KEY_BYTES);
}

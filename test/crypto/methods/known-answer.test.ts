// Sealed packets rebuilt from the primitives' reference implementations (OpenSSL's AES-GCM
// and AES-CTR, libsodium's Salsa20 and Poly1305, a bitwise GHASH) following fastd's method
// sources, byte for byte: header, tag block, ciphertext.
import { createCipheriv, randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { describe, expect, it } from 'vitest';
import { createMethodProvider } from '../../../src/crypto/methods/registry.js';
import { sharedMemory, toHex } from '../../helpers/packet-memory.js';
import { referenceGhash } from '../mac/ghash/reference-ghash.js';
import { seal } from './harness.js';

/** fastd_method_expand_nonce: nonce, zeros, last byte 1. */
function expand(nonce: Uint8Array, length: number): Uint8Array {
  const iv = new Uint8Array(length);
  iv.set(nonce.subarray(0, Math.min(6, length)));
  iv[length - 1] = 1;
  return iv;
}

function salsa20(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  sodium.crypto_stream_salsa20_xor(out, new Uint8Array(length), iv, key);
  return out;
}

const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ b[i]);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Seals one payload as the initiator's first packet; returns the frame. */
function sealOne(name: string, secret: Uint8Array, payload: Uint8Array): Uint8Array {
  const provider = createMethodProvider(name)!;
  const memory = sharedMemory();
  const session = provider.createSession(secret, { initiator: true, compat: false }, 0, memory);
  return seal(session, memory, [payload]).frames[0];
}

const HEADER = Uint8Array.from([0x00, 0x00, 0, 0, 0, 0, 0, 3]); // data, no flags, nonce 3
const NONCE = HEADER.subarray(2);

describe.each([0, 1, 16, 33, 1400])('known answers for a %i-byte payload', (length) => {
  const payload = new Uint8Array(randomBytes(length));

  it('aes128-gcm is AES-GCM with the IV nonce || 0^48 and no associated data', () => {
    const key = new Uint8Array(randomBytes(16));
    const gcm = createCipheriv('aes-128-gcm', key, expand(NONCE, 12).fill(0, 6));
    const ciphertext = concat(gcm.update(payload), gcm.final());
    expect(toHex(sealOne('aes128-gcm', key, payload))).toBe(toHex(concat(HEADER, gcm.getAuthTag(), ciphertext)));
  });

  it('salsa20+poly1305: keystream bytes 0-31 key Poly1305, the payload takes bytes 32 on', () => {
    const key = new Uint8Array(randomBytes(32));
    const stream = salsa20(key, expand(NONCE, 8), 32 + length);
    const ciphertext = xor(payload, stream.subarray(32));
    const tag = new Uint8Array(16);
    sodium.crypto_onetimeauth(tag, ciphertext, stream.subarray(0, 32));
    expect(toHex(sealOne('salsa20+poly1305', key, payload))).toBe(toHex(concat(HEADER, tag, ciphertext)));
  });

  it('salsa20+gmac: block 0 pads GHASH (H from the zero IV), the payload takes bytes 16 on', () => {
    const key = new Uint8Array(randomBytes(32));
    const h = salsa20(key, new Uint8Array(8), 16);
    const stream = salsa20(key, expand(NONCE, 8), 16 + length);
    const ciphertext = xor(payload, stream.subarray(16));
    const tag = xor(stream.subarray(0, 16), referenceGhash(h, ciphertext, false));
    expect(toHex(sealOne('salsa20+gmac', key, payload))).toBe(toHex(concat(HEADER, tag, ciphertext)));
  });

  it('aes128-ctr+salsa20+gmac: payload cipher from keystream 0, salsa20 pads, length block shifted', () => {
    const secret = new Uint8Array(randomBytes(16 + 32));
    const aesKey = secret.subarray(0, 16);
    const salsaKey = secret.subarray(16);
    const ciphertext = new Uint8Array(createCipheriv('aes-128-ctr', aesKey, expand(NONCE, 16)).update(payload));
    const h = salsa20(salsaKey, new Uint8Array(8), 16);
    const pad = salsa20(salsaKey, expand(NONCE, 8), 16);
    const tag = xor(pad, referenceGhash(h, ciphertext, true));
    expect(toHex(sealOne('aes128-ctr+salsa20+gmac', secret, payload))).toBe(toHex(concat(HEADER, tag, ciphertext)));
  });

  it('aes128-ctr+cipher-test: the payload takes the keystream from byte 0, no tag', () => {
    const key = new Uint8Array(randomBytes(16));
    const ciphertext = new Uint8Array(createCipheriv('aes-128-ctr', key, expand(NONCE, 16)).update(payload));
    expect(toHex(sealOne('aes128-ctr+cipher-test', key, payload))).toBe(toHex(concat(HEADER, ciphertext)));
  });

  it('null and null@l2tp: a type byte, or the L2TPv3 session header with session id 1', () => {
    expect(toHex(sealOne('null', new Uint8Array(0), payload))).toBe(toHex(concat(Uint8Array.of(0), payload)));
    const l2tp = Uint8Array.from([0x00, 0x03, 0, 0, 0, 0, 0, 1]);
    const control = Uint8Array.from([0xc8, 0x03, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]);
    const expected = length === 0 ? concat(control, l2tp) : concat(l2tp, payload);
    expect(toHex(sealOne('null@l2tp', new Uint8Array(0), payload))).toBe(toHex(expected));
  });
});

// HMAC-SHA256 (RFC 2104): fastd's handshake authentication tag and the PRF under HKDF.
// fastd only ever keys it with 32 bytes; any key length works here, as the RFC allows.
// Built on libsodium's SHA-256 whose state is a plain struct: a key's inner and outer
// hashes are started once (HmacSha256Key), and each MAC copies them instead of hashing the
// padded key again. node:crypto's createHmac costs an object and a native setup a call;
// the handshake key K1 signs every answer to a peer's inits and checks their finishes.
import { timingSafeEqual } from 'node:crypto';
import { sodium } from '../ec25519/sodium.js';
import { SHA256_BYTES, sha256 } from './sha256.js';

/** An HMAC is as long as its hash's digest. */
export const HMAC_SHA256_BYTES = SHA256_BYTES;
/** SHA-256's block: the key is padded to it. */
const BLOCK_BYTES = 64;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;

/** Scratch shared by every key: MACs are computed one after another on one thread. */
let scratch: { state: Uint8Array; inner: Uint8Array; pad: Uint8Array } | undefined;

function scratchSpace(): NonNullable<typeof scratch> {
  return (scratch ??= {
    state: new Uint8Array(sodium().crypto_hash_sha256_STATEBYTES),
    inner: new Uint8Array(SHA256_BYTES),
    pad: new Uint8Array(BLOCK_BYTES),
  });
}

/** A key with its inner and outer hashes started: MACs under it without hashing the key again. */
export class HmacSha256Key {
  private readonly innerStart: Uint8Array;
  private readonly outerStart: Uint8Array;

  constructor(key: Uint8Array) {
    const blockKey = key.length > BLOCK_BYTES ? sha256(key) : key;
    this.innerStart = started(blockKey, INNER_PAD);
    this.outerStart = started(blockKey, OUTER_PAD);
  }

  /** Writes the MAC of the concatenation of parts into `out` (HMAC_SHA256_BYTES long). */
  macInto(out: Uint8Array, ...parts: Uint8Array[]): void {
    const { state, inner } = scratchSpace();
    state.set(this.innerStart);
    for (const part of parts) sodium().crypto_hash_sha256_update(state, part);
    sodium().crypto_hash_sha256_final(state, inner);
    state.set(this.outerStart);
    sodium().crypto_hash_sha256_update(state, inner);
    sodium().crypto_hash_sha256_final(state, out);
  }

  /** The MAC of the concatenation of parts. */
  mac(...parts: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(HMAC_SHA256_BYTES);
    this.macInto(out, ...parts);
    return out;
  }

  /** Whether `mac` is the MAC of parts, compared in constant time (fastd's secure_memequal). */
  verify(mac: Uint8Array, ...parts: Uint8Array[]): boolean {
    return mac.length === HMAC_SHA256_BYTES && timingSafeEqual(mac, this.mac(...parts));
  }
}

/** A SHA-256 state that has hashed the key XOR `fill`, padded to a block. */
function started(blockKey: Uint8Array, fill: number): Uint8Array {
  const { pad } = scratchSpace();
  const state = new Uint8Array(sodium().crypto_hash_sha256_STATEBYTES);
  pad.fill(fill);
  for (let i = 0; i < blockKey.length; i++) pad[i] = blockKey[i]! ^ fill;
  sodium().crypto_hash_sha256_init(state);
  sodium().crypto_hash_sha256_update(state, pad);
  pad.fill(0);
  return state;
}

/** HMAC-SHA256 of the concatenation of parts. */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return new HmacSha256Key(key).mac(...parts);
}

/** Whether mac is the HMAC-SHA256 of parts, compared in constant time (fastd's secure_memequal). */
export function verifyHmacSha256(mac: Uint8Array, key: Uint8Array, ...parts: Uint8Array[]): boolean {
  return new HmacSha256Key(key).verify(mac, ...parts);
}

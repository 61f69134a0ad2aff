// fastd's composed-gmac provider (src/methods/composed_gmac): the payload cipher (which may be
// "null") encrypts, a second cipher supplies the tag pad and the GHASH key. Methods
// "<cipher>+<gmac cipher>+gmac", e.g. "null+salsa2012+gmac", and "<cipher>+aes128-gmac".
//
//   payload cipher, keystream 0..   -> payload
//   gmac cipher, keystream block 0  -> tag pad, XORed with GHASH_H(ciphertext) into the tag block
//   H = gmac cipher's first 16 keystream bytes under the all-zero IV
//
// Unlike generic-gmac, the length block carries the bit length in its bytes 4-7
// (GHASH_SHIFT_SIZE, "a bad design decision" in fastd's words, kept for compatibility).
import { TO_PACKET_END, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import type { GhashKey } from '../../mac/ghash/ghash.js';
import { COMMON_OVERHEAD, PAYLOAD_OFFSET, TAG_BYTES, TAG_OFFSET } from '../common-header.js';
import { type MethodProvider, type PacketBatch, type SessionFlags } from '../provider.js';
import { clearTagBlocks, CommonMethodSession } from '../session-common.js';
import { ghashKeyOf, restoreFailedTags } from './ghash-tag.js';

class ComposedGmacSession extends CommonMethodSession {
  private readonly cipher: KeyedCipher;
  private readonly gmacCipher: KeyedCipher;
  private readonly ghash: GhashKey;

  constructor(
    cipher: StreamCipher,
    gmacCipher: StreamCipher,
    secret: Uint8Array,
    flags: SessionFlags,
    now: number,
    memory: WebAssembly.Memory,
  ) {
    super(flags, now, COMMON_OVERHEAD, memory);
    this.cipher = cipher.createKey(secret.subarray(0, cipher.keyLength), memory);
    this.gmacCipher = gmacCipher.createKey(
      secret.subarray(cipher.keyLength, cipher.keyLength + gmacCipher.keyLength),
      memory,
    );
    this.ghash = ghashKeyOf(this.gmacCipher, gmacCipher.ivLength, memory, true);
  }

  seal(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.frameForSeal(batch, bytes, now);
    clearTagBlocks(batch, bytes);
    this.table.load(batch);
    this.gmacCipher.crypt(this.table, TAG_OFFSET, TAG_BYTES, 0, false);
    this.cipher.crypt(this.table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    this.ghash.foldInto(this.table, TAG_OFFSET, PAYLOAD_OFFSET);
  }

  open(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    this.table.load(batch);
    this.ghash.foldInto(this.table, TAG_OFFSET, PAYLOAD_OFFSET);
    this.gmacCipher.crypt(this.table, TAG_OFFSET, TAG_BYTES, 0, true);
    restoreFailedTags(this.table, this.ghash);
    this.cipher.crypt(this.table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    this.table.storeStatus(batch);
    this.common.admitOpened(batch, bytes, now);
  }

  destroy(): void {
    this.cipher.destroy();
    this.gmacCipher.destroy();
    this.ghash.destroy();
  }
}

export function composedGmacProvider(name: string, cipher: StreamCipher, gmacCipher: StreamCipher): MethodProvider {
  return {
    name,
    keyLength: cipher.keyLength + gmacCipher.keyLength,
    overhead: COMMON_OVERHEAD,
    createSession: (secret, flags, now, memory) =>
      new ComposedGmacSession(cipher, gmacCipher, secret, flags, now, memory),
  };
}

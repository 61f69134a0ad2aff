// fastd's generic-gmac provider (src/methods/generic_gmac): one stream cipher both encrypts
// and masks the tag, GHASH authenticates the ciphertext. Methods "<cipher>+gmac" and
// "aes128-gcm" (which is then exactly AES-GCM with the IV nonce || 0^48 and no AAD).
//
//   keystream block 0  -> tag pad, XORed with GHASH_H(ciphertext) into the tag block
//   keystream 16..     -> payload
//   H                  = first 16 keystream bytes under the all-zero IV
import { TO_PACKET_END, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import type { GhashKey } from '../../mac/ghash/ghash.js';
import { COMMON_OVERHEAD, PAYLOAD_OFFSET, TAG_OFFSET } from '../common-header.js';
import { type MethodProvider, type PacketBatch, type SessionFlags } from '../provider.js';
import { clearTagBlocks, CommonMethodSession } from '../session-common.js';
import { ghashKeyOf, restoreFailedTags } from './ghash-tag.js';

class GenericGmacSession extends CommonMethodSession {
  private readonly cipher: KeyedCipher;
  private readonly ghash: GhashKey;

  constructor(cipher: StreamCipher, secret: Uint8Array, flags: SessionFlags, now: number, memory: WebAssembly.Memory) {
    super(flags, now, COMMON_OVERHEAD, memory);
    this.cipher = cipher.createKey(secret.subarray(0, cipher.keyLength), memory);
    this.ghash = ghashKeyOf(this.cipher, cipher.ivLength, memory, false);
  }

  seal(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.frameForSeal(batch, bytes, now);
    clearTagBlocks(batch, bytes);
    this.table.load(batch);
    this.cipher.crypt(this.table, TAG_OFFSET, TO_PACKET_END, 0, false);
    this.ghash.foldInto(this.table, TAG_OFFSET, PAYLOAD_OFFSET);
  }

  open(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    this.table.load(batch);
    this.ghash.foldInto(this.table, TAG_OFFSET, PAYLOAD_OFFSET);
    this.cipher.crypt(this.table, TAG_OFFSET, TO_PACKET_END, 0, true);
    restoreFailedTags(this.table, this.ghash);
    this.table.storeStatus(batch);
    this.common.admitOpened(batch, bytes, now);
  }

  destroy(): void {
    this.cipher.destroy();
    this.ghash.destroy();
  }
}

export function genericGmacProvider(name: string, cipher: StreamCipher): MethodProvider {
  return {
    name,
    keyLength: cipher.keyLength,
    overhead: COMMON_OVERHEAD,
    createSession: (secret, flags, now, memory) => new GenericGmacSession(cipher, secret, flags, now, memory),
  };
}

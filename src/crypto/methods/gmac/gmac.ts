// fastd's two GHASH-based providers (src/methods/generic_gmac, src/methods/composed_gmac).
//
// generic-gmac, "<cipher>+gmac" and "aes128-gcm" (then exactly AES-GCM with the IV
// nonce || 0^48 and no AAD): one stream cipher encrypts and masks the tag.
//   keystream block 0 -> tag pad, XORed with GHASH_H(ciphertext) into the tag block
//   keystream 16..    -> payload
//
// composed-gmac, "<cipher>+<gmac cipher>+gmac" and "<cipher>+aes128-gmac": the payload cipher
// (which may be "null") encrypts from its keystream byte 0, the gmac cipher's block 0 is the
// tag pad. Its length block carries the bit length in bytes 4-7 (GHASH_SHIFT_SIZE, "a bad
// design decision" in fastd's words, kept for compatibility).
//
// In both, H is the tag cipher's first 16 keystream bytes under the all-zero IV.
import { TO_PACKET_END, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import type { BatchTable } from '../../batch-table.js';
import { GhashKey } from '../../mac/ghash/ghash.js';
import { BLOCK_BYTES, COMMON_OVERHEAD, PAYLOAD_OFFSET, TAG_BYTES, TAG_OFFSET } from '../common-header.js';
import { PacketStatus, type MethodProvider, type PacketBatch, type SessionFlags } from '../provider.js';
import { clearTagBlocks, CommonMethodSession } from '../session-common.js';

type GmacCiphers =
  | { readonly kind: 'generic'; readonly cipher: KeyedCipher }
  | { readonly kind: 'composed'; readonly cipher: KeyedCipher; readonly gmacCipher: KeyedCipher };

class GmacSession extends CommonMethodSession {
  private readonly ghash: GhashKey;

  constructor(
    flags: SessionFlags,
    now: number,
    memory: WebAssembly.Memory,
    private readonly ciphers: GmacCiphers,
    tagCipherIvLength: number,
  ) {
    super(flags, now, COMMON_OVERHEAD, memory);
    const composed = ciphers.kind === 'composed';
    const h = new Uint8Array(BLOCK_BYTES);
    (composed ? ciphers.gmacCipher : ciphers.cipher).keystream(new Uint8Array(tagCipherIvLength), h);
    this.ghash = new GhashKey(h, memory, composed);
    h.fill(0);
  }

  seal(batch: PacketBatch, now: number): void {
    const { table, ciphers } = this;
    const bytes = table.bytes();
    this.common.frameForSeal(batch, bytes, now);
    clearTagBlocks(batch, bytes);
    table.load(batch);
    if (ciphers.kind === 'generic') {
      ciphers.cipher.crypt(table, TAG_OFFSET, TO_PACKET_END, 0, false);
    } else {
      ciphers.gmacCipher.crypt(table, TAG_OFFSET, TAG_BYTES, 0, false);
      ciphers.cipher.crypt(table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    }
    this.ghash.foldInto(table, TAG_OFFSET, PAYLOAD_OFFSET);
  }

  open(batch: PacketBatch, now: number): void {
    const { table, ciphers } = this;
    const bytes = table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    table.load(batch);
    this.ghash.foldInto(table, TAG_OFFSET, PAYLOAD_OFFSET);
    if (ciphers.kind === 'generic') ciphers.cipher.crypt(table, TAG_OFFSET, TO_PACKET_END, 0, true);
    else ciphers.gmacCipher.crypt(table, TAG_OFFSET, TAG_BYTES, 0, true);
    restoreFailedTags(table, this.ghash);
    if (ciphers.kind === 'composed') ciphers.cipher.crypt(table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    table.storeStatus(batch);
    this.common.admitOpened(batch, bytes, now);
  }

  destroy(): void {
    this.ciphers.cipher.destroy();
    if (this.ciphers.kind === 'composed') this.ciphers.gmacCipher.destroy();
    this.ghash.destroy();
  }
}

/**
 * After the tag check, gives the packets that failed it their received tag block back:
 * folding GHASH in a second time cancels the first fold, so a failed packet stays as received.
 */
function restoreFailedTags(table: BatchTable, ghash: GhashKey): void {
  table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
  ghash.foldInto(table, TAG_OFFSET, PAYLOAD_OFFSET);
  table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
}

export function genericGmacProvider(name: string, cipher: StreamCipher): MethodProvider {
  return {
    name,
    keyLength: cipher.keyLength,
    overhead: COMMON_OVERHEAD,
    createSession: (secret, flags, now, memory) => {
      const key = cipher.createKey(secret.subarray(0, cipher.keyLength), memory);
      return new GmacSession(flags, now, memory, { kind: 'generic', cipher: key }, cipher.ivLength);
    },
  };
}

export function composedGmacProvider(name: string, cipher: StreamCipher, gmacCipher: StreamCipher): MethodProvider {
  const keyLength = cipher.keyLength + gmacCipher.keyLength;
  return {
    name,
    keyLength,
    overhead: COMMON_OVERHEAD,
    createSession: (secret, flags, now, memory) =>
      new GmacSession(
        flags,
        now,
        memory,
        {
          kind: 'composed',
          cipher: cipher.createKey(secret.subarray(0, cipher.keyLength), memory),
          gmacCipher: gmacCipher.createKey(secret.subarray(cipher.keyLength, keyLength), memory),
        },
        gmacCipher.ivLength,
      ),
  };
}

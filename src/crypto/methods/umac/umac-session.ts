// A session of fastd's UMAC methods (src/methods/generic_umac, composed_umac), batch by batch
// in place. A sealed packet is
//
//   | header (8) | tag = pad XOR UHASH(ciphertext) (16) | ciphertext |
//
// generic-umac:  one keystream (the IV from the packet nonce): bytes 0..15 are the pad, the
//                payload is XORed with the bytes from 16 on.
// composed-umac: the pad is the first 16 bytes of the MAC cipher's keystream; the payload
//                is XORed with the payload cipher's own keystream from byte 0 (null: as is).
//
// Every step is one kernel call over the whole batch's descriptor table. Open folds the
// UHASH of the ciphertext into the received tag, so the tag block then holds the pad exactly
// when the tag is right; the cipher checks that before it decrypts anything. A packet that
// fails is restored byte for byte (its UHASH folded out again), so that the datapath can try
// it with another session.
import { TO_PACKET_END, type KeyedCipher } from '../../cipher/index.js';
import type { Uhash } from '../../mac/uhash/uhash.js';
import { COMMON_OVERHEAD, PAYLOAD_OFFSET, TAG_BYTES, TAG_OFFSET } from '../common-header.js';
import { PacketStatus, type PacketBatch, type SessionFlags } from '../provider.js';
import { clearTagBlocks, CommonMethodSession } from '../session-common.js';

/** How the pad and the payload keystream relate (see above). */
type UmacCiphers =
  | { readonly kind: 'generic'; readonly cipher: KeyedCipher }
  | { readonly kind: 'composed'; readonly cipher: KeyedCipher; readonly macCipher: KeyedCipher };

export class UmacSession extends CommonMethodSession {
  private destroyed = false;

  constructor(
    flags: SessionFlags,
    now: number,
    memory: WebAssembly.Memory,
    private readonly ciphers: UmacCiphers,
    private readonly uhash: Uhash,
  ) {
    super(flags, now, COMMON_OVERHEAD, memory);
  }

  seal(batch: PacketBatch, now: number): void {
    const table = this.table;
    if (this.destroyed) return this.dropAll(batch);
    const bytes = table.bytes();
    this.common.frameForSeal(batch, bytes, now);
    clearTagBlocks(batch, bytes);
    table.load(batch);
    if (this.ciphers.kind === 'generic') {
      this.ciphers.cipher.crypt(table, TAG_OFFSET, TO_PACKET_END, 0, false);
    } else {
      this.ciphers.macCipher.crypt(table, TAG_OFFSET, TAG_BYTES, 0, false);
      this.ciphers.cipher.crypt(table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    }
    this.uhash.foldBatch(table, TAG_OFFSET, PAYLOAD_OFFSET);
    table.storeStatus(batch);
  }

  open(batch: PacketBatch, now: number): void {
    const table = this.table;
    if (this.destroyed) return this.dropAll(batch);
    const bytes = table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    table.load(batch);
    this.uhash.foldBatch(table, TAG_OFFSET, PAYLOAD_OFFSET);
    if (this.ciphers.kind === 'generic') {
      this.ciphers.cipher.crypt(table, TAG_OFFSET, TO_PACKET_END, 0, true);
    } else {
      this.ciphers.macCipher.crypt(table, TAG_OFFSET, TAG_BYTES, 0, true);
    }
    if (this.anyFailed()) {
      table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
      this.uhash.foldBatch(table, TAG_OFFSET, PAYLOAD_OFFSET);
      table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
    }
    if (this.ciphers.kind === 'composed') {
      this.ciphers.cipher.crypt(table, PAYLOAD_OFFSET, TO_PACKET_END, 0, false);
    }
    table.storeStatus(batch);
    this.common.admitOpened(batch, bytes, now);
  }

  override isValid(now: number): boolean {
    return !this.destroyed && super.isValid(now);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ciphers.cipher.destroy();
    if (this.ciphers.kind === 'composed') this.ciphers.macCipher.destroy();
    this.uhash.destroy();
  }

  /** After load(), which renewed the table's views. */
  private anyFailed(): boolean {
    const table = this.table;
    for (let i = 0; i < table.count; i++) if (table.statusAt(i) === PacketStatus.DropAuth) return true;
    return false;
  }

  private dropAll(batch: PacketBatch): void {
    batch.status.fill(PacketStatus.DropSession, 0, batch.count);
  }
}

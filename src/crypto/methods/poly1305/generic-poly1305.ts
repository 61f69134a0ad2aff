// fastd's generic-poly1305 provider (src/methods/generic_poly1305): "<cipher>+poly1305", as
// NaCl's crypto_secretbox does it. The cipher's first 32 keystream bytes of each packet are
// its one-time Poly1305 key, the payload is encrypted with the keystream from byte 32 on,
// and the tag block holds the Poly1305 tag of the ciphertext as it is (no pad).
//
// The keys never touch the packets: each packet's key is made in a slot of a per-session
// key area, laid out like a tiny packet (the nonce where a header keeps it, then 32 zero
// bytes) so that the cipher's ordinary batch call fills all of them at once.
import { TO_PACKET_END, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import { BatchTable, batchEntries } from '../../batch-table.js';
import { POLY1305_KEYBYTES, poly1305Batch } from '../../mac/poly1305/poly1305.js';
import { StateArena } from '../../state-arena.js';
import { COMMON_HEADBYTES, COMMON_NONCEBYTES, COMMON_OVERHEAD, HEADER_NONCE_OFFSET, PAYLOAD_OFFSET, TAG_OFFSET } from '../common-header.js';
import { PacketStatus, type MethodProvider, type PacketBatch, type SessionFlags } from '../provider.js';
import { CommonMethodSession } from '../session-common.js';

/** A key slot: a header-shaped prefix carrying the nonce, then the key. */
const KEY_SLOT_BYTES = COMMON_HEADBYTES + POLY1305_KEYBYTES;

class GenericPoly1305Session extends CommonMethodSession {
  private readonly cipher: KeyedCipher;
  private readonly arena: StateArena;
  /** The key slots and the batch describing them, grown to the largest batch seen. */
  private slots = -1;
  private readonly slotTable: BatchTable;
  private slotBatch: PacketBatch;

  constructor(cipher: StreamCipher, secret: Uint8Array, flags: SessionFlags, now: number, memory: WebAssembly.Memory) {
    super(flags, now, COMMON_OVERHEAD, memory);
    this.cipher = cipher.createKey(secret.subarray(0, cipher.keyLength), memory);
    this.arena = StateArena.of(memory);
    this.slotTable = BatchTable.create(memory);
    this.slotBatch = { memory, count: 0, offsets: new Uint32Array(0), lengths: new Uint32Array(0), status: new Uint8Array(0) };
  }

  seal(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.frameForSeal(batch, bytes, now);
    this.makeKeys(batch);
    this.table.load(batch);
    this.cipher.crypt(this.table, PAYLOAD_OFFSET, TO_PACKET_END, POLY1305_KEYBYTES, false);
    poly1305Batch(this.table, this.slots + COMMON_HEADBYTES, KEY_SLOT_BYTES, TAG_OFFSET, PAYLOAD_OFFSET, false);
  }

  open(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    this.makeKeys(batch);
    this.table.load(batch);
    poly1305Batch(this.table, this.slots + COMMON_HEADBYTES, KEY_SLOT_BYTES, TAG_OFFSET, PAYLOAD_OFFSET, true);
    this.cipher.crypt(this.table, PAYLOAD_OFFSET, TO_PACKET_END, POLY1305_KEYBYTES, false);
    this.table.storeStatus(batch);
    this.common.admitOpened(batch, bytes, now);
  }

  destroy(): void {
    this.cipher.destroy();
    if (this.slots >= 0) this.arena.free(this.slots);
    this.slots = -1;
  }

  /** Fills key slot i with the one-time key of batch entry i (for the Ok entries). */
  private makeKeys(batch: PacketBatch): void {
    const count = batchEntries(batch);
    if (count > this.slotBatch.offsets.length) this.growSlots(count);
    const bytes = this.table.bytes();
    const slots = this.slotBatch;
    for (let i = 0; i < count; i++) {
      slots.status[i] = batch.status[i];
      if (batch.status[i] !== PacketStatus.Ok) continue;
      const slot = slots.offsets[i];
      const nonce = batch.offsets[i] + HEADER_NONCE_OFFSET;
      bytes.copyWithin(slot + HEADER_NONCE_OFFSET, nonce, nonce + COMMON_NONCEBYTES);
      bytes.fill(0, slot + COMMON_HEADBYTES, slot + KEY_SLOT_BYTES);
    }
    slots.count = count;
    this.slotTable.load(slots);
    this.cipher.crypt(this.slotTable, COMMON_HEADBYTES, POLY1305_KEYBYTES, 0, false);
  }

  private growSlots(count: number): void {
    if (this.slots >= 0) this.arena.free(this.slots);
    this.slots = this.arena.alloc(count * KEY_SLOT_BYTES);
    const offsets = new Uint32Array(count);
    for (let i = 0; i < count; i++) offsets[i] = this.slots + i * KEY_SLOT_BYTES;
    this.slotBatch = {
      memory: this.slotBatch.memory,
      count: 0,
      offsets,
      lengths: new Uint32Array(count).fill(KEY_SLOT_BYTES),
      status: new Uint8Array(count),
    };
  }
}

export function genericPoly1305Provider(name: string, cipher: StreamCipher): MethodProvider {
  return {
    name,
    keyLength: cipher.keyLength,
    overhead: COMMON_OVERHEAD,
    createSession: (secret, flags, now, memory) => new GenericPoly1305Session(cipher, secret, flags, now, memory),
  };
}

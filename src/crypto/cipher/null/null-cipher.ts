// fastd's "null" cipher (src/crypto/cipher/null): the keystream is all zeros, so crypt leaves
// data as it is. Used as the payload cipher of null+…+umac/gmac and by null+cipher-test.
import type { BatchTable } from '../../batch-table.js';
import { BLOCK_BYTES } from '../../methods/common-header.js';
import { PacketStatus } from '../../methods/provider.js';
import type { KeyedCipher, StreamCipher } from '../index.js';

class NullKey implements KeyedCipher {
  crypt(table: BatchTable, start: number, _maxLength: number, _keystreamOffset: number, verify: boolean): void {
    if (!verify) return;
    // XOR with zeros changes nothing: only the check that the folded tag block is zero remains.
    const bytes = table.bytes();
    for (let i = 0; i < table.count; i++) {
      if (table.statusAt(i) !== PacketStatus.Ok) continue;
      const at = table.offsetAt(i) + start;
      const end = Math.min(table.offsetAt(i) + table.lengthAt(i), at + BLOCK_BYTES);
      let diff = 0;
      for (let j = at; j < end; j++) diff |= bytes[j];
      if (diff !== 0) table.setStatus(i, PacketStatus.DropAuth);
    }
  }

  keystream(_iv: Uint8Array, out: Uint8Array): void {
    out.fill(0);
  }

  destroy(): void {}
}

export const nullCipher: StreamCipher = {
  name: 'null',
  keyLength: 0,
  ivLength: 0,
  createKey: () => new NullKey(),
};

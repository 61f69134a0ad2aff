// The GHASH steps both gmac providers share (fastd's generic_gmac and composed_gmac).
import type { KeyedCipher } from '../../cipher/index.js';
import type { BatchTable } from '../../batch-table.js';
import { GhashKey } from '../../mac/ghash/ghash.js';
import { BLOCK_BYTES, PAYLOAD_OFFSET, TAG_OFFSET } from '../common-header.js';
import { PacketStatus } from '../provider.js';

/** The GHASH key H: the first keystream block of `cipher` under the all-zero IV. */
export function ghashKeyOf(
  cipher: KeyedCipher,
  ivLength: number,
  memory: WebAssembly.Memory,
  shiftedLengthBlock: boolean,
): GhashKey {
  const h = new Uint8Array(BLOCK_BYTES);
  cipher.keystream(new Uint8Array(ivLength), h);
  const key = new GhashKey(h, memory, shiftedLengthBlock);
  h.fill(0);
  return key;
}

/**
 * After open's tag check, gives the packets that failed it their received tag block back:
 * folding GHASH in a second time cancels the first fold, so a failed packet stays as received.
 */
export function restoreFailedTags(table: BatchTable, ghash: GhashKey): void {
  table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
  ghash.foldInto(table, TAG_OFFSET, PAYLOAD_OFFSET);
  table.swapStatus(PacketStatus.Ok, PacketStatus.DropAuth);
}

// The main thread's part of the handoff between several datapath workers: one packet memory
// for all of them, cut into one window per worker, the rings between every ordered pair, and
// the MAC learning table they share.
import { PacketMemory, WASM_PAGE_BYTES } from '../../bufferpool/packet-memory.js';
import { HANDOFF_RING_CAPACITY } from '../datapath/handoff/handoff.js';
import { HandoffRing } from '../datapath/handoff/handoff-ring.js';
import { SharedMacTable } from '../datapath/tables/shared-mac-table.js';
import type { WorkerPlace } from '../datapath/messages.js';

/** MAC addresses the workers' shared table holds: a big layer-2 network, at 32 bytes each. */
const MAC_TABLE_CAPACITY = 16_384;
/** The pool addresses buffers with signed 32-bit offsets: all windows together stay below 2 GiB. */
const MEMORY_LIMIT = 2 ** 31 - WASM_PAGE_BYTES;

/** Each worker's window: the ceiling, unless the workers together would pass the memory limit. */
export function windowBytes(count: number, ceiling: number): number {
  const bytes = Math.min(ceiling, MEMORY_LIMIT / count);
  return Math.max(1, Math.floor(bytes / WASM_PAGE_BYTES)) * WASM_PAGE_BYTES;
}

/** Builds every worker's place; post each with its `init` (memoryCeiling = windowBytes(count, ceiling)). */
export function createHandoffPlaces(wakeFds: readonly number[], ceiling: number): WorkerPlace[] {
  const count = wakeFds.length;
  const memory = PacketMemory.createShared(count * windowBytes(count, ceiling));
  const rings: (SharedArrayBuffer | null)[] = [];
  const returns: (SharedArrayBuffer | null)[] = [];
  for (let from = 0; from < count; from++) {
    for (let to = 0; to < count; to++) {
      rings.push(from === to ? null : HandoffRing.create(HANDOFF_RING_CAPACITY));
      returns.push(from === to ? null : HandoffRing.create(HANDOFF_RING_CAPACITY));
    }
  }
  const macTable = SharedMacTable.create(MAC_TABLE_CAPACITY);
  return wakeFds.map((_, index) => ({ index, count, memory, rings, returns, wakeFds, macTable }));
}

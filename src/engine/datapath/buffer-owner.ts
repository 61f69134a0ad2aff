// Who gets a payload's memory back once the send path is done with it (sealed and sent, or
// dropped). The send path keeps one owner per payload as a plain int in its typed arrays (the
// run, each socket's outgoing batch), so a packet costs no object. Its three states:
//   pooled      a buffer of this worker's pool, by index (>= 0): freed into the pool
//   NO_OWNER    -1: memory the send path does not give back (a TUN/TAP read slot)
//   lent        a buffer another worker lent through the handoff rings, by its offset
//               (-2 - offset, below -1): given back to that worker
// This module is the only one that encodes and decodes them.
import type { BufferPool } from '../../bufferpool/pool.js';

/** Memory that is not a buffer of its own (a fixed read slot): nothing to give back. */
export const NO_OWNER = -1;

/** The owner of this worker's pool buffer `index`. */
export function pooledOwner(index: number): number {
  return index;
}

/** The owner of the buffer at `offset` another worker lent us. */
export function lentOwner(offset: number): number {
  return -2 - offset;
}

export function isPooled(owner: number): boolean {
  return owner >= 0;
}

export function isLent(owner: number): boolean {
  return owner < NO_OWNER;
}

/** A lent owner's buffer offset. */
export function lentOffset(owner: number): number {
  return -2 - owner;
}

/** Where lent buffers go back to (the handoff rings' return side). */
export interface Lender {
  giveBack(offset: number): void;
}

/** Gives a payload's memory back: into `pool`, or to the worker that lent it (`lender` is set wherever a buffer can be lent). */
export function releaseOwner(owner: number, pool: BufferPool, lender: Lender | null): void {
  if (isPooled(owner)) pool.free(owner);
  else if (isLent(owner)) lender!.giveBack(lentOffset(owner));
}

// The numbered entries of the handoff-ring tests: what entry i carries, computed the same way
// by producer and consumer, so that each side can check every field without a shared list.
// The kinds take turns; each is pushed and read back through its own named fields.
import { HandoffKind, type HandoffBatch, type HandoffRing } from '../../../../src/engine/datapath/handoff/handoff-ring.js';

export interface ExpectedEntry {
  kind: number;
  /** The kind's subject: peerId, sourcePeer or socketId (0 for Free). */
  subject: number;
  offset: number;
  /** 0 for Free, which carries none. */
  length: number;
  /** Try entries carry an address: SOCKADDR_SLOT / 4 words counting up from `address`. */
  withAddress: boolean;
  address: number;
}

const KINDS = [HandoffKind.Open, HandoffKind.Seal, HandoffKind.SealAll, HandoffKind.Try, HandoffKind.Free] as const;

const entry: ExpectedEntry = { kind: 0, subject: 0, offset: 0, length: 0, withAddress: false, address: 0 };

/** Entry i (the returned object is reused: read it before asking for the next). */
export function expectedEntry(i: number): ExpectedEntry {
  entry.kind = KINDS[i % KINDS.length]!;
  const free = entry.kind === HandoffKind.Free;
  // SealAll's source may be NO_PEER (-1): negative subjects too
  entry.subject = free ? 0 : entry.kind === HandoffKind.SealAll ? -1 - i : i | 0;
  // Offsets past 2^31 too, as in a large packet memory.
  entry.offset = Math.imul(i, 0x9e3779b1) >>> 0;
  entry.length = free ? 0 : (i * 7) & 0xffff;
  entry.withAddress = entry.kind === HandoffKind.Try;
  entry.address = Math.imul(i, 0x85ebca6b) >>> 0;
  return entry;
}

/** Pushes `e` with its kind's push; a Try's address is slot `slot` of `addressWords`. */
export function pushEntry(ring: HandoffRing, e: ExpectedEntry, addressWords: Uint32Array, slot = 0): boolean {
  switch (e.kind) {
    case HandoffKind.Open:
      return ring.pushOpen(e.subject, e.offset, e.length);
    case HandoffKind.Seal:
      return ring.pushSeal(e.subject, e.offset, e.length);
    case HandoffKind.SealAll:
      return ring.pushSealAll(e.subject, e.offset, e.length);
    case HandoffKind.Try:
      return ring.pushTry(e.subject, e.offset, e.length, addressWords, slot);
    default:
      return ring.pushFree(e.offset);
  }
}

/** Entry k of a taken batch, its subject read by the name its kind gives it. */
export function takenEntry(batch: HandoffBatch, k: number): [kind: number, subject: number, offset: number, length: number] {
  const kind = batch.kinds[k]!;
  const subject =
    kind === HandoffKind.Open || kind === HandoffKind.Seal ? batch.peerId(k) : kind === HandoffKind.SealAll ? batch.sourcePeer(k) : kind === HandoffKind.Try ? batch.socketId(k) : 0;
  return [kind, subject, batch.offsets[k]!, batch.lengths[k]!];
}

// The numbered entries of the handoff-ring tests: what entry i carries, computed the same way
// by producer and consumer, so that each side can check every field without a shared list.
export interface ExpectedEntry {
  kind: number;
  a: number;
  offset: number;
  length: number;
  /** Every third entry carries an address: SOCKADDR_SLOT / 4 words counting up from `address`. */
  withAddress: boolean;
  address: number;
}

const entry: ExpectedEntry = { kind: 0, a: 0, offset: 0, length: 0, withAddress: false, address: 0 };

/** Entry i (the returned object is reused: read it before asking for the next). */
export function expectedEntry(i: number): ExpectedEntry {
  entry.kind = i & 7;
  entry.a = i | 0;
  // Offsets past 2^31 too, as in a large packet memory.
  entry.offset = Math.imul(i, 0x9e3779b1) >>> 0;
  entry.length = (i * 7) & 0xffff;
  entry.withAddress = i % 3 === 0;
  entry.address = Math.imul(i, 0x85ebca6b) >>> 0;
  return entry;
}

// A hash map from numeric keys (integers below 2^53, e.g. 48-bit MAC addresses or endpoint
// keys) to small non-negative integers, in typed arrays: open addressing with linear
// probing. A JavaScript Map would box every key above 2^31 into a heap number on each
// lookup; this one allocates only when it grows, so the packet paths can look up and update
// without allocating.

const EMPTY = -1;
/** A deleted slot: lookups probe past it, inserts may reuse it. */
const DELETED = -2;
const INITIAL_SLOTS = 64;
/** Grow when live + deleted slots pass this share of the table. */
const MAX_LOAD = 0.5;
const TWO_POW_32 = 2 ** 32;

export const ABSENT = -1;

export class NumberMap {
  private keys: Float64Array;
  /** Value of each slot, EMPTY or DELETED for slots without a key. */
  private values: Int32Array;
  private mask: number;
  private used = 0;
  size = 0;

  constructor(slots = INITIAL_SLOTS) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(slots, 8)));
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  /** The value stored for `key`, or ABSENT. */
  get(key: number): number {
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      const value = this.values[slot];
      if (value === EMPTY) return ABSENT;
      if (value !== DELETED && this.keys[slot] === key) return value;
    }
  }

  /** Stores `value` (a non-negative integer below 2^31) for `key`. */
  set(key: number, value: number): void {
    let reuse = -1;
    let slot = this.home(key);
    for (; ; slot = (slot + 1) & this.mask) {
      const current = this.values[slot];
      if (current === EMPTY) break;
      if (current === DELETED) {
        if (reuse < 0) reuse = slot;
      } else if (this.keys[slot] === key) {
        this.values[slot] = value;
        return;
      }
    }
    if (reuse >= 0) slot = reuse;
    else this.used++;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.size++;
    if (this.used > (this.mask + 1) * MAX_LOAD) this.rehash();
  }

  delete(key: number): boolean {
    for (let slot = this.home(key); ; slot = (slot + 1) & this.mask) {
      const value = this.values[slot];
      if (value === EMPTY) return false;
      if (value !== DELETED && this.keys[slot] === key) {
        this.values[slot] = DELETED;
        this.size--;
        return true;
      }
    }
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.used = 0;
    this.size = 0;
  }

  /** Calls fn for every entry; fn may delete the entry it is given, nothing else. */
  forEach(fn: (value: number, key: number) => void): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      const value = this.values[slot];
      if (value >= 0) fn(value, this.keys[slot]);
    }
  }

  // Mixes both 32-bit halves of the key (Fibonacci hashing), so that keys differing only in
  // their high bits (MAC vendor prefixes, IPv4 addresses) spread as well as the low ones.
  private home(key: number): number {
    const high = Math.floor(key / TWO_POW_32);
    const mixed = Math.imul((key >>> 0) ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1);
    return (mixed ^ (mixed >>> 15)) & this.mask;
  }

  private rehash(): void {
    const keys = this.keys;
    const values = this.values;
    // tombstones alone are cleared at the same size; real growth doubles
    const capacity = this.size * 4 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.used = 0;
    this.size = 0;
    for (let slot = 0; slot < values.length; slot++) if (values[slot] >= 0) this.set(keys[slot], values[slot]);
  }
}

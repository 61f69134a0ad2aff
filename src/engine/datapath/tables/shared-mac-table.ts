// TAP mode's MAC learning table (fastd's ctx.eth_addrs) shared by all datapath workers: any
// worker reads frames from the TAP and looks up where they go, while each address is learned
// by the worker that owns the peer it came from. Same meaning as mac-table.ts (LOCAL,
// UNKNOWN, ETH_ADDR_STALE_TIME), as a fixed-capacity open-addressing (linear probing) hash
// table in a SharedArrayBuffer.
//
// Concurrency, with no lock on the per-frame paths:
// - Each slot has a sequence word (a seqlock): odd while a writer changes the slot. Writers
//   claim it with compareExchange; readers read the fields between two loads of it and treat
//   a changed or odd sequence as "not known". A missed or stale read only floods a frame.
// - Slots change membership (a new address, an expired one removed) only under one
//   table-wide insert lock, so an address is never inserted twice. A thread that finds the
//   lock taken skips the insert (the address's next frame learns it) or the expiry round.
// - A refresh whose owner is unchanged and that would move the timeout by less than
//   REFRESH_INTERVAL is skipped, so steady traffic does not bounce cache lines between cores;
//   an address may therefore go stale up to REFRESH_INTERVAL early.
// Timeouts are epoch milliseconds, because each thread's performance.now() has its own origin.
import { epochOf } from './epoch-time.js';
import { ETH_ADDR_STALE_TIME, formatMac, LOCAL, macHigh, macLow, UNKNOWN } from './mac-table.js';

export { LOCAL, UNKNOWN };

/** A refresh that would extend the timeout by less than this (ms) is skipped. */
export const REFRESH_INTERVAL = 1000;

const TWO_POW_32 = 2 ** 32;

/** Header words, each on its own cache line. */
const CACHE_LINE_WORDS = 16;
const INSERT_LOCK = 0;
/** Counts changes, so that snapshot() can say "nothing changed". */
const VERSION = CACHE_LINE_WORDS;
const USED_COUNT = 2 * CACHE_LINE_WORDS;
const HEADER_WORDS = 3 * CACHE_LINE_WORDS;

/** A slot: 8 words; the timeout is a float64 in words 6-7 (word 5 aligns it), float64 index 3 of the slot. */
const Slot = { SEQUENCE: 0, STATE: 1, KEY_HIGH: 2, KEY_LOW: 3, OWNER: 4, WORDS: 8 } as const;
const STALE_AT_F64 = 3;
const SlotState = { EMPTY: 0, USED: 1, DELETED: 2 } as const;

/** The table refuses new addresses beyond this share of its slots, to keep probes short. */
const MAX_LOAD = 0.75;

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0 && value <= 1 << 26;
}

function hashOf(high: number, low: number): number {
  let hash = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  hash ^= hash >>> 15;
  return Math.imul(hash, 0xc2b2ae35) ^ (hash >>> 13);
}

export class SharedMacTable {
  readonly capacity: number;
  private readonly mask: number;
  private readonly words: Int32Array;
  private readonly times: Float64Array;
  private readonly maxUsed: number;
  /** VERSION when this thread last took a snapshot. */
  private seenVersion = 0;

  static create(capacity: number): SharedArrayBuffer {
    if (!isPowerOfTwo(capacity)) throw new RangeError(`MAC table capacity must be a power of two, got ${capacity}`);
    return new SharedArrayBuffer((HEADER_WORDS + capacity * Slot.WORDS) * 4);
  }

  constructor(buffer: SharedArrayBuffer) {
    const capacity = (buffer.byteLength / 4 - HEADER_WORDS) / Slot.WORDS;
    if (!isPowerOfTwo(capacity)) throw new RangeError(`${buffer.byteLength} bytes is not a MAC table`);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Int32Array(buffer);
    this.times = new Float64Array(buffer);
    this.maxUsed = Math.floor(capacity * MAX_LOAD);
  }

  /** Addresses in the table, stale ones included until expire() removes them. */
  get size(): number {
    return Atomics.load(this.words, USED_COUNT);
  }

  /**
   * Records that `key` (macKey()) is behind peer `peerId` (or LOCAL) until ETH_ADDR_STALE_TIME
   * from `now` (this thread's performance.now()).
   */
  learn(key: number, peerId: number, now: number): void {
    const low = key >>> 0;
    this.learnParts((key - low) / TWO_POW_32, low | 0, peerId, now);
  }

  /**
   * learn() for the MAC at bytes[at, at + 6), for the packet paths: read as two int32 words, an
   * address above 2^31 never becomes a number the call must box into a heap number.
   */
  learnAt(bytes: Uint8Array, at: number, peerId: number, now: number): void {
    this.learnParts(macHigh(bytes, at), macLow(bytes, at), peerId, now);
  }

  private learnParts(high: number, low: number, peerId: number, now: number): void {
    const slot = this.find(high, low);
    if (slot >= 0) this.refresh(slot, high, low, peerId, now);
    else this.insert(high, low, peerId, now);
  }

  /** The peer `key` was learned on, LOCAL, or UNKNOWN (also when stale or being changed). */
  lookup(key: number, now: number): number {
    const unsignedLow = key >>> 0;
    return this.lookupParts((key - unsignedLow) / TWO_POW_32, unsignedLow | 0, now);
  }

  /** lookup() for the MAC at bytes[at, at + 6) (see learnAt). */
  lookupAt(bytes: Uint8Array, at: number, now: number): number {
    return this.lookupParts(macHigh(bytes, at), macLow(bytes, at), now);
  }

  private lookupParts(high: number, low: number, now: number): number {
    const words = this.words;
    const epochNow = epochOf(now);
    let slot = hashOf(high, low) & this.mask;
    for (let probes = 0; probes < this.capacity; probes++, slot = (slot + 1) & this.mask) {
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const sequence = Atomics.load(words, base + Slot.SEQUENCE);
      const state = words[base + Slot.STATE];
      if (state === SlotState.EMPTY) return UNKNOWN;
      if (state !== SlotState.USED || words[base + Slot.KEY_HIGH] !== high || words[base + Slot.KEY_LOW] !== low) continue;
      const owner = words[base + Slot.OWNER];
      const staleAt = this.times[base / 2 + STALE_AT_F64];
      if ((sequence & 1) !== 0 || Atomics.load(words, base + Slot.SEQUENCE) !== sequence) return UNKNOWN;
      return staleAt <= epochNow ? UNKNOWN : owner;
    }
    return UNKNOWN;
  }

  /** Makes every address learned on `peerId` stale (the peer was removed or reset). */
  forgetPeer(peerId: number): void {
    const words = this.words;
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = HEADER_WORDS + slot * Slot.WORDS;
      if (words[base + Slot.STATE] !== SlotState.USED || words[base + Slot.OWNER] !== peerId) continue;
      const sequence = this.lockSlot(base);
      if (words[base + Slot.STATE] === SlotState.USED && words[base + Slot.OWNER] === peerId) {
        this.times[base / 2 + STALE_AT_F64] = 0;
        Atomics.add(words, VERSION, 1);
      }
      Atomics.store(words, base + Slot.SEQUENCE, sequence + 2);
    }
  }

  /** Removes stale addresses (timer work, from any thread); skipped while another thread holds the insert lock. */
  expire(now: number): void {
    const words = this.words;
    if (Atomics.compareExchange(words, INSERT_LOCK, 0, 1) !== 0) return;
    const epochNow = epochOf(now);
    let emptySlot = -1;
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const state = words[base + Slot.STATE];
      if (state === SlotState.EMPTY) emptySlot = slot;
      if (state !== SlotState.USED || this.times[base / 2 + STALE_AT_F64] > epochNow) continue;
      const sequence = this.lockSlot(base);
      if (this.times[base / 2 + STALE_AT_F64] <= epochNow) {
        words[base + Slot.STATE] = SlotState.DELETED;
        Atomics.sub(words, USED_COUNT, 1);
        Atomics.add(words, VERSION, 1);
      }
      Atomics.store(words, base + Slot.SEQUENCE, sequence + 2);
    }
    if (emptySlot >= 0) this.clearTombstones(emptySlot);
    Atomics.store(words, INSERT_LOCK, 0);
  }

  /**
   * The live addresses of every peer (that `peerFilter` accepts) that has any, or null when
   * nothing changed since this thread's last call.
   */
  snapshot(now: number, peerFilter?: (peerId: number) => boolean): Map<number, string[]> | null {
    const version = Atomics.load(this.words, VERSION);
    if (version === this.seenVersion) return null;
    this.seenVersion = version;
    const words = this.words;
    const epochNow = epochOf(now);
    const byPeer = new Map<number, string[]>();
    for (let slot = 0; slot < this.capacity; slot++) {
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const sequence = Atomics.load(words, base + Slot.SEQUENCE);
      const state = words[base + Slot.STATE];
      const owner = words[base + Slot.OWNER];
      const key = words[base + Slot.KEY_HIGH] * TWO_POW_32 + (words[base + Slot.KEY_LOW] >>> 0);
      const staleAt = this.times[base / 2 + STALE_AT_F64];
      if ((sequence & 1) !== 0 || Atomics.load(words, base + Slot.SEQUENCE) !== sequence) continue;
      if (state !== SlotState.USED || owner < 0 || staleAt <= epochNow) continue;
      if (peerFilter && !peerFilter(owner)) continue;
      let list = byPeer.get(owner);
      if (!list) byPeer.set(owner, (list = []));
      list.push(formatMac(key));
    }
    return byPeer;
  }

  /** The slot holding the address, or -1; the caller re-checks under the slot's sequence lock. */
  private find(high: number, low: number): number {
    const words = this.words;
    let slot = hashOf(high, low) & this.mask;
    for (let probes = 0; probes < this.capacity; probes++, slot = (slot + 1) & this.mask) {
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const state = Atomics.load(words, base + Slot.STATE);
      if (state === SlotState.EMPTY) return -1;
      if (state === SlotState.USED && words[base + Slot.KEY_HIGH] === high && words[base + Slot.KEY_LOW] === low) return slot;
    }
    return -1;
  }

  // `now`, not the timeouts derived from it: a double argument of a call that is not inlined is boxed
  private refresh(slot: number, high: number, low: number, peerId: number, now: number): void {
    const words = this.words;
    const epochNow = epochOf(now);
    const staleAt = epochNow + ETH_ADDR_STALE_TIME;
    const base = HEADER_WORDS + slot * Slot.WORDS;
    const timeIndex = base / 2 + STALE_AT_F64;
    if (words[base + Slot.OWNER] === peerId && staleAt - this.times[timeIndex] < REFRESH_INTERVAL) return;
    const sequence = Atomics.load(words, base + Slot.SEQUENCE);
    // Another writer is in the slot: its write wins, this frame's is dropped.
    if ((sequence & 1) !== 0 || Atomics.compareExchange(words, base + Slot.SEQUENCE, sequence, sequence + 1) !== sequence) return;
    if (words[base + Slot.STATE] === SlotState.USED && words[base + Slot.KEY_HIGH] === high && words[base + Slot.KEY_LOW] === low) {
      if (words[base + Slot.OWNER] !== peerId || this.times[timeIndex] <= epochNow) Atomics.add(words, VERSION, 1);
      words[base + Slot.OWNER] = peerId;
      this.times[timeIndex] = staleAt;
    }
    Atomics.store(words, base + Slot.SEQUENCE, sequence + 2);
  }

  private insert(high: number, low: number, peerId: number, now: number): void {
    const words = this.words;
    if (Atomics.compareExchange(words, INSERT_LOCK, 0, 1) !== 0) return;
    // Another thread may have inserted it between our probe and taking the lock.
    const existing = this.find(high, low);
    if (existing >= 0) {
      Atomics.store(words, INSERT_LOCK, 0);
      this.refresh(existing, high, low, peerId, now);
      return;
    }
    if (Atomics.load(words, USED_COUNT) < this.maxUsed) {
      let slot = hashOf(high, low) & this.mask;
      while (Atomics.load(words, HEADER_WORDS + slot * Slot.WORDS + Slot.STATE) === SlotState.USED) slot = (slot + 1) & this.mask;
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const sequence = this.lockSlot(base);
      words[base + Slot.KEY_HIGH] = high;
      words[base + Slot.KEY_LOW] = low;
      words[base + Slot.OWNER] = peerId;
      this.times[base / 2 + STALE_AT_F64] = epochOf(now) + ETH_ADDR_STALE_TIME;
      Atomics.store(words, base + Slot.STATE, SlotState.USED);
      Atomics.store(words, base + Slot.SEQUENCE, sequence + 2);
      Atomics.add(words, USED_COUNT, 1);
      Atomics.add(words, VERSION, 1);
    }
    Atomics.store(words, INSERT_LOCK, 0);
  }

  /**
   * Turns tombstones back into empty slots where no probe needs them: a deleted slot followed
   * by an empty one ends every probe that reaches it. Walks backwards once around the table
   * from an empty slot. Caller holds the insert lock.
   */
  private clearTombstones(emptySlot: number): void {
    const words = this.words;
    let next = emptySlot;
    for (let step = 1; step < this.capacity; step++) {
      const slot = (emptySlot - step) & this.mask;
      const base = HEADER_WORDS + slot * Slot.WORDS;
      const nextEmpty = words[HEADER_WORDS + next * Slot.WORDS + Slot.STATE] === SlotState.EMPTY;
      if (nextEmpty && words[base + Slot.STATE] === SlotState.DELETED) {
        const sequence = this.lockSlot(base);
        Atomics.store(words, base + Slot.STATE, SlotState.EMPTY);
        Atomics.store(words, base + Slot.SEQUENCE, sequence + 2);
      }
      next = slot;
    }
  }

  /** Takes a slot's sequence lock, waiting out a writer (they hold it for a few stores); returns the even sequence it had. */
  private lockSlot(base: number): number {
    const words = this.words;
    for (;;) {
      const sequence = Atomics.load(words, base + Slot.SEQUENCE);
      if ((sequence & 1) === 0 && Atomics.compareExchange(words, base + Slot.SEQUENCE, sequence, sequence + 1) === sequence) return sequence;
    }
  }
}

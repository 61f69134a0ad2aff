// A single-producer, single-consumer ring over a SharedArrayBuffer that hands packets
// between worker threads by buffer offset (one ring per ordered pair of threads). Entries
// are plain words; only the indices and the sleep flag are touched with Atomics, once per
// batch, so a packet costs a few plain stores and loads.
//
// Layout (32-bit words, the indices on cache lines of their own so that the two threads do
// not invalidate each other's line on every batch):
//   line 0: tail (producer)  | line 1: head (consumer) | line 2: asleep (consumer's flag)
//   entries: capacity × [kind | a | offset | length]
//   addresses: capacity × SOCKADDR_SLOT bytes (for kinds that carry one)
// head and tail count entries forever (wrapping at 2^32); slot = index & (capacity - 1).
//
// Sleeping without losing a wake-up (Dekker's pattern; Atomics are sequentially consistent):
// the consumer stores asleep = 1 and then loads tail; the producer stores tail and then
// swaps asleep to 0. Whichever goes second sees the other's write: either the consumer sees
// the entries and stays awake, or the producer sees the flag and writes the consumer's eventfd.
import { SOCKADDR_SLOT } from '../../../io/linux-abi.js';

const CACHE_LINE_WORDS = 16;
const TAIL = 0;
const HEAD = CACHE_LINE_WORDS;
const ASLEEP = 2 * CACHE_LINE_WORDS;
const HEADER_BYTES = 3 * CACHE_LINE_WORDS * 4;

/** One entry: the words [kind, a, offset, length]. */
const Entry = { KIND: 0, A: 1, OFFSET: 2, LENGTH: 3, WORDS: 4 } as const;
const ENTRY_BYTES = Entry.WORDS * 4;
const ADDRESS_WORDS = SOCKADDR_SLOT / 4;

/** Where take() puts entries: parallel arrays, `capacity` entries, `count` of them filled. */
export interface HandoffBatch {
  readonly capacity: number;
  count: number;
  readonly kinds: Int32Array;
  readonly a: Int32Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  /** SOCKADDR_SLOT / 4 words per entry; meaningful for entries pushed with an address. */
  readonly addressWords: Uint32Array;
}

export function createHandoffBatch(capacity: number): HandoffBatch {
  return {
    capacity,
    count: 0,
    kinds: new Int32Array(capacity),
    a: new Int32Array(capacity),
    offsets: new Uint32Array(capacity),
    lengths: new Uint32Array(capacity),
    addressWords: new Uint32Array(capacity * ADDRESS_WORDS),
  };
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0 && value <= 1 << 30;
}

export class HandoffRing {
  readonly capacity: number;
  private readonly mask: number;
  private readonly words: Int32Array;
  private readonly addresses: Uint32Array;
  /** Producer: entries pushed, published or not. */
  private pushed: number;
  /** Producer: tail as last published. */
  private published: number;
  /** Producer: head as last seen, so a push reads the shared head only when the ring looks full. */
  private seenHead: number;
  /** Consumer: entries taken so far. */
  private head: number;

  static bytesFor(capacity: number): number {
    if (!isPowerOfTwo(capacity)) throw new RangeError(`handoff ring capacity must be a power of two, got ${capacity}`);
    return HEADER_BYTES + capacity * (ENTRY_BYTES + SOCKADDR_SLOT);
  }

  static create(capacity: number): SharedArrayBuffer {
    return new SharedArrayBuffer(HandoffRing.bytesFor(capacity));
  }

  /** Each side constructs its own view of the same buffer. */
  constructor(buffer: SharedArrayBuffer) {
    const capacity = (buffer.byteLength - HEADER_BYTES) / (ENTRY_BYTES + SOCKADDR_SLOT);
    if (!isPowerOfTwo(capacity)) throw new RangeError(`${buffer.byteLength} bytes is not a handoff ring`);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Int32Array(buffer, 0, (HEADER_BYTES + capacity * ENTRY_BYTES) / 4);
    this.addresses = new Uint32Array(buffer, HEADER_BYTES + capacity * ENTRY_BYTES, capacity * ADDRESS_WORDS);
    this.pushed = this.published = Atomics.load(this.words, TAIL);
    this.head = this.seenHead = Atomics.load(this.words, HEAD);
  }

  /** Queues an entry (invisible until publish()); false when the ring is full. */
  push(kind: number, a: number, offset: number, length: number): boolean {
    if (((this.pushed - this.seenHead) | 0) >= this.capacity) {
      this.seenHead = Atomics.load(this.words, HEAD);
      if (((this.pushed - this.seenHead) | 0) >= this.capacity) return false;
    }
    const at = HEADER_BYTES / 4 + (this.pushed & this.mask) * Entry.WORDS;
    const words = this.words;
    words[at + Entry.KIND] = kind;
    words[at + Entry.A] = a;
    words[at + Entry.OFFSET] = offset;
    words[at + Entry.LENGTH] = length;
    this.pushed = (this.pushed + 1) | 0;
    return true;
  }

  /** push() plus the sockaddr in slot `slot` of `addressWords` (SOCKADDR_SLOT / 4 words per slot). */
  pushWithAddress(kind: number, a: number, offset: number, length: number, addressWords: Uint32Array, slot: number): boolean {
    const to = (this.pushed & this.mask) * ADDRESS_WORDS;
    if (!this.push(kind, a, offset, length)) return false;
    const from = slot * ADDRESS_WORDS;
    const addresses = this.addresses;
    for (let i = 0; i < ADDRESS_WORDS; i++) addresses[to + i] = addressWords[from + i];
    return true;
  }

  /**
   * Makes the pushed entries visible to the consumer. Returns true when the consumer had
   * said it was going to sleep: the caller must then wake it (write its eventfd). Only the
   * first publish after prepareToSleep() returns true.
   */
  publish(): boolean {
    if (this.pushed === this.published) return false;
    this.published = this.pushed;
    Atomics.store(this.words, TAIL, this.pushed);
    return Atomics.exchange(this.words, ASLEEP, 0) === 1;
  }

  /** Takes up to out.capacity published entries into `out`; returns their count (0: empty). */
  take(out: HandoffBatch): number {
    const available = (Atomics.load(this.words, TAIL) - this.head) | 0;
    const count = Math.min(available, out.capacity);
    const words = this.words;
    const addresses = this.addresses;
    for (let i = 0; i < count; i++) {
      const slot = (this.head + i) & this.mask;
      const at = HEADER_BYTES / 4 + slot * Entry.WORDS;
      out.kinds[i] = words[at + Entry.KIND];
      out.a[i] = words[at + Entry.A];
      out.offsets[i] = words[at + Entry.OFFSET];
      out.lengths[i] = words[at + Entry.LENGTH];
      const from = slot * ADDRESS_WORDS;
      const to = i * ADDRESS_WORDS;
      for (let w = 0; w < ADDRESS_WORDS; w++) out.addressWords[to + w] = addresses[from + w];
    }
    out.count = count;
    if (count > 0) {
      this.head = (this.head + count) | 0;
      Atomics.store(words, HEAD, this.head);
    }
    return count;
  }

  /**
   * Call before blocking in poll: marks the consumer asleep. Returns false (and stays awake)
   * when entries arrived meanwhile; then take() them instead of sleeping.
   */
  prepareToSleep(): boolean {
    Atomics.store(this.words, ASLEEP, 1);
    if (Atomics.load(this.words, TAIL) !== this.head) {
      Atomics.store(this.words, ASLEEP, 0);
      return false;
    }
    return true;
  }

  /** Call after waking from poll, so that producers stop writing the eventfd. */
  awake(): void {
    Atomics.store(this.words, ASLEEP, 0);
  }
}

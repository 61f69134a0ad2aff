// A single-producer, single-consumer ring over a SharedArrayBuffer that hands packets
// between worker threads by buffer offset (one ring per ordered pair of threads). Entries
// are plain words; only the indices and the sleep flag are touched with Atomics, once per
// batch, so a packet costs a few plain stores and loads.
//
// Layout (32-bit words, the indices on cache lines of their own so that the two threads do
// not invalidate each other's line on every batch):
//   line 0: tail (producer)  | line 1: head (consumer) | line 2: asleep (consumer's flag)
//   entries: capacity × [kind | subject | offset | length], the subject by kind:
//     Open    | peerId     | offset | length   a datagram for the consumer's peer: open it
//     Seal    | peerId     | offset | length   a frame for the consumer's peer: seal and send it
//     SealAll | sourcePeer | offset | length   a frame for everybody: seal it for your peers but its source
//     Try     | socketId   | offset | length   a datagram from an unknown address, come in on that
//                                               socket: does one of your sessions open it? (+ address)
//     Free    | 0          | offset | 0        (return rings) the consumer is done with the buffer
//   addresses: capacity × SOCKADDR_SLOT bytes (the sender's address of a Try entry)
// head and tail count entries forever (wrapping at 2^32); slot = index & (capacity - 1).
// The packet at offset is in a buffer the producer lent the consumer (handoff.ts).
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

/** What an entry asks of its consumer (the layout above gives each kind's subject). */
export const HandoffKind = { Open: 1, Seal: 2, SealAll: 3, Free: 4, Try: 5 } as const;

/** One entry: the words [kind, subject, offset, length]. */
const Entry = { KIND: 0, SUBJECT: 1, OFFSET: 2, LENGTH: 3, WORDS: 4 } as const;
const ENTRY_BYTES = Entry.WORDS * 4;
const ADDRESS_WORDS = SOCKADDR_SLOT / 4;

/**
 * Where take() puts entries: parallel arrays, `capacity` entries, `count` of them filled.
 * An entry's subject is read by the name its kind gives it.
 */
export class HandoffBatch {
  count = 0;
  readonly kinds: Int32Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  /** SOCKADDR_SLOT / 4 words per entry; meaningful for Try entries. */
  readonly addressWords: Uint32Array;
  /** The word whose meaning depends on the kind: read it as peerId, sourcePeer or socketId. */
  readonly subjects: Int32Array;

  constructor(readonly capacity: number) {
    this.kinds = new Int32Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.addressWords = new Uint32Array(capacity * ADDRESS_WORDS);
    this.subjects = new Int32Array(capacity);
  }

  /** Open, Seal: the consumer's peer the packet is for. */
  peerId(i: number): number {
    return this.subjects[i];
  }

  /** SealAll: the peer the frame came from (NO_PEER: a TUN/TAP queue), which must not get it back. */
  sourcePeer(i: number): number {
    return this.subjects[i];
  }

  /** Try: the socket the datagram came in on. */
  socketId(i: number): number {
    return this.subjects[i];
  }
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

  // Each push queues an entry (invisible until publish()); false when the ring is full.

  /** A datagram for the consumer's peer `peerId`, to open. */
  pushOpen(peerId: number, offset: number, length: number): boolean {
    return this.push(HandoffKind.Open, peerId, offset, length);
  }

  /** A frame for the consumer's peer `peerId`, to seal and send. */
  pushSeal(peerId: number, offset: number, length: number): boolean {
    return this.push(HandoffKind.Seal, peerId, offset, length);
  }

  /** A frame for every peer of the consumer but `sourcePeer`, to seal and send. */
  pushSealAll(sourcePeer: number, offset: number, length: number): boolean {
    return this.push(HandoffKind.SealAll, sourcePeer, offset, length);
  }

  /**
   * A datagram from an unknown address that came in on `socketId`, to try on the consumer's
   * sessions; the address is slot `slot` of `addressWords` (SOCKADDR_SLOT / 4 words per slot).
   */
  pushTry(socketId: number, offset: number, length: number, addressWords: Uint32Array, slot: number): boolean {
    const to = (this.pushed & this.mask) * ADDRESS_WORDS;
    if (!this.push(HandoffKind.Try, socketId, offset, length)) return false;
    const from = slot * ADDRESS_WORDS;
    const addresses = this.addresses;
    for (let i = 0; i < ADDRESS_WORDS; i++) addresses[to + i] = addressWords[from + i];
    return true;
  }

  /** On a return ring: the lent buffer at `offset` is back. */
  pushFree(offset: number): boolean {
    return this.push(HandoffKind.Free, 0, offset, 0);
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
      out.subjects[i] = words[at + Entry.SUBJECT];
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

  private push(kind: number, subject: number, offset: number, length: number): boolean {
    if (((this.pushed - this.seenHead) | 0) >= this.capacity) {
      this.seenHead = Atomics.load(this.words, HEAD);
      if (((this.pushed - this.seenHead) | 0) >= this.capacity) return false;
    }
    const at = HEADER_BYTES / 4 + (this.pushed & this.mask) * Entry.WORDS;
    const words = this.words;
    words[at + Entry.KIND] = kind;
    words[at + Entry.SUBJECT] = subject;
    words[at + Entry.OFFSET] = offset;
    words[at + Entry.LENGTH] = length;
    this.pushed = (this.pushed + 1) | 0;
    return true;
  }
}

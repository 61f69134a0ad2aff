// What a bad network does to one direction of a UDP flow, as decisions without I/O: each
// datagram is lost, passed, passed twice or held back behind later ones (reordering), and
// everything passed waits a fixed delay. The decisions come from a seeded generator, so a run
// with the same seed and the same packets repeats exactly. The relay (impairment-relay.ts)
// carries them out on packet slots; the caller passes the clock, so tests need none.

export interface ImpairmentSettings {
  /** Fraction of datagrams dropped (0.05 is 5 %). */
  readonly loss: number;
  /** Fraction of the datagrams passed that are passed twice. */
  readonly duplicate: number;
  /** Fraction of the datagrams passed that are held back behind later ones. */
  readonly reorder: number;
  /** How many later datagrams overtake a held one. */
  readonly reorderGap: number;
  /** Fixed one-way delay added to every datagram passed, ms. */
  readonly delayMs: number;
  readonly seed: number;
}

export const NO_IMPAIRMENT: ImpairmentSettings = { loss: 0, duplicate: 0, reorder: 0, reorderGap: 3, delayMs: 0, seed: 1 };

/** A held datagram is let go after this long even when no later ones come (a lone ping). */
export const REORDER_TIMEOUT_MS = 10;
/** Datagrams held for reordering at once; more are passed in order. */
const MAX_HELD = 64;

/** What `admit` decided: how many times the datagram will be sent (0: lost). */
export const Verdict = { LOST: 0, PASSED: 1, DUPLICATED: 2 } as const;

/** Where the decisions' draws come from: numbers in [0, 1). */
export interface Random {
  next(): number;
}

/** mulberry32: a small, fast 32-bit generator, plenty for test decisions (not for secrets). */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
}

export interface LineCounters {
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

/**
 * One direction's impairment over datagrams named by slot numbers. `admit` decides on each
 * arriving datagram and queues what passes; `due` hands out, in sending order, the slots
 * whose delay is over. A duplicated slot comes out twice.
 */
export class ImpairmentLine {
  readonly counters: LineCounters = { received: 0, lost: 0, duplicated: 0, reordered: 0 };
  // The delay queue: a ring of slots with the time each is due (in order, the delay being fixed).
  private readonly queueSlots: Uint32Array;
  private readonly queueDue: Float64Array;
  private head = 0;
  private length = 0;
  // Held datagrams: slot, later datagrams still to pass it, and when it was held.
  private readonly heldSlots = new Uint32Array(MAX_HELD);
  private readonly heldRemaining = new Uint32Array(MAX_HELD);
  private readonly heldSince = new Float64Array(MAX_HELD);
  private held = 0;

  /**
   * `slots`: how many distinct slots can be in flight; each is queued at most twice (a
   * duplicate). `random` is the settings' seeded generator unless a test scripts the draws.
   */
  constructor(
    private readonly settings: ImpairmentSettings,
    slots: number,
    private readonly random: Random = new SeededRandom(settings.seed),
  ) {
    this.queueSlots = new Uint32Array(2 * slots);
    this.queueDue = new Float64Array(2 * slots);
  }

  /** Decides on a datagram that arrived at `now` (ms); returns how many times it will come out of `due`. */
  admit(slot: number, now: number): number {
    const { loss, duplicate, reorder } = this.settings;
    this.counters.received++;
    // Three draws per datagram, whatever is decided, so one decision never shifts the others.
    const lost = this.random.next() < loss;
    const hold = this.random.next() < reorder && this.held < MAX_HELD;
    const twice = this.random.next() < duplicate;
    if (lost) {
      this.counters.lost++;
      return Verdict.LOST;
    }
    if (twice) {
      this.counters.duplicated++;
      this.enqueue(slot, now);
    }
    if (hold) {
      this.counters.reordered++;
      this.heldSlots[this.held] = slot;
      this.heldRemaining[this.held] = this.settings.reorderGap;
      this.heldSince[this.held] = now;
      this.held++;
    } else {
      this.enqueue(slot, now);
      this.overtake(now);
    }
    return twice ? Verdict.DUPLICATED : Verdict.PASSED;
  }

  /** Lets go held datagrams that waited REORDER_TIMEOUT_MS, then writes up to `out.length` due slots to `out`; returns how many. */
  due(now: number, out: Uint32Array): number {
    for (let i = this.held - 1; i >= 0; i--) {
      if (now - this.heldSince[i] >= REORDER_TIMEOUT_MS) this.release(i, now);
    }
    let count = 0;
    const capacity = this.queueSlots.length;
    while (count < out.length && this.length > 0 && this.queueDue[this.head] <= now) {
      out[count++] = this.queueSlots[this.head];
      this.head = (this.head + 1) % capacity;
      this.length--;
    }
    return count;
  }

  /** When the next datagram is due or a held one times out (ms, Infinity for never). */
  nextDeadline(): number {
    let next = this.length > 0 ? this.queueDue[this.head] : Infinity;
    for (let i = 0; i < this.held; i++) next = Math.min(next, this.heldSince[i] + REORDER_TIMEOUT_MS);
    return next;
  }

  /** Datagrams queued or held (a duplicate counts twice). */
  get pending(): number {
    return this.length + this.held;
  }

  // A datagram passed: every held one is overtaken once; those overtaken reorderGap times go.
  private overtake(now: number): void {
    for (let i = this.held - 1; i >= 0; i--) {
      if (--this.heldRemaining[i] === 0) this.release(i, now);
    }
  }

  private release(i: number, now: number): void {
    const slot = this.heldSlots[i];
    this.held--;
    this.heldSlots[i] = this.heldSlots[this.held];
    this.heldRemaining[i] = this.heldRemaining[this.held];
    this.heldSince[i] = this.heldSince[this.held];
    this.enqueue(slot, now);
  }

  private enqueue(slot: number, now: number): void {
    const capacity = this.queueSlots.length;
    if (this.length === capacity) throw new Error(`impairment queue full (${capacity}): more slots in flight than the line was made for`);
    const tail = (this.head + this.length) % capacity;
    this.queueSlots[tail] = slot;
    this.queueDue[tail] = now + this.settings.delayMs;
    this.length++;
  }
}

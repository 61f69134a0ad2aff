// The ring a datapath worker sleeps on. Its ops stay armed across wake-ups (multishot
// receives, the wake-up eventfd's read) and complete whenever the kernel has
// something, so ONE io_uring_enter submits whatever was re-armed and waits for every
// source at once. Each completion goes, by its user_data, to the sink that armed the op.
//
// Ops whose results the caller needs at once (sends, TUN/TAP writes) stay on the backend's
// other ring: their completions must not mix with these, which arrive at any time.
import { CqeFlag, Op, Sqe } from './abi.js';
import { Ring } from './ring.js';

export interface CompletionSink {
  /** One completion of an op this sink armed; flags are the CQE's (IORING_CQE_F_MORE: still armed). */
  complete(result: number, flags: number): void;
}

/** user_data of ops whose completions nobody needs (cancellations). */
const UNROUTED = 0;
/** Sink slots before the first growth: a worker's sockets, TUN/TAP queues and its wake-up. */
const INITIAL_SLOTS = 16;
/**
 * Completions a gathering wait asks for before its minimum wait is over. With deferred task
 * work the kernel counts pending work items, not datagrams, and a multishot receive that
 * has one queued adds no more: two means "more than one source has something".
 */
const GATHER_COMPLETIONS = 2;

export class EventRing {
  readonly ring: Ring;
  /** Byte offset (in ring.sqeBytes) of the SQE the last arm() claimed, for op-specific fields. */
  lastSqe = 0;
  /**
   * The sink of each armed op by slot (undefined: free); an op's tag is its slot + 1. A slot
   * is free again only once its op's last completion was routed, so a tag names one op in
   * flight. Not a Map: re-arming at packet rate would churn its hash table, and a promoted
   * Map allocates every rehashed table in the old generation, growing it until a full GC.
   */
  private readonly sinks: (CompletionSink | undefined)[] = [];
  /** Free slots (a stack, [0, freeCount)); grows with the ops armed at once, not with re-arms. */
  private free = new Int32Array(INITIAL_SLOTS);
  private freeCount = 0;

  constructor(entries: number) {
    this.ring = new Ring(entries, true);
  }

  /**
   * Claims an SQE for `sink` (submitted with the next wait or flush) and returns the op's
   * tag, for cancel(); the sink hears every completion until one comes without F_MORE.
   */
  arm(sink: CompletionSink, opcode: number, fd: number, addr: number, length: number): number {
    const ring = this.ring;
    let at = ring.claim();
    if (at < 0) {
      // a full SQ only means many re-arms since the last wait: hand them over now
      ring.submit(0);
      at = ring.claim();
    }
    const slot = this.freeCount > 0 ? this.free[--this.freeCount] : this.sinks.length;
    this.sinks[slot] = sink;
    const tag = slot + 1;
    ring.prepare(at, opcode, fd, addr, length, tag);
    this.lastSqe = at;
    return tag;
  }

  /** Asks the kernel to end the op with this tag (its sink hears -ECANCELED, or the result it already had). */
  cancel(tag: number): void {
    const ring = this.ring;
    let at = ring.claim();
    if (at < 0) {
      ring.submit(0);
      at = ring.claim();
    }
    ring.prepare(at, Op.ASYNC_CANCEL, -1, tag, 0, UNROUTED);
    // ASYNC_CANCEL names its target by user_data, passed in addr; the ring wrote only its low word
    ring.sqeWords[(at + Sqe.ADDR + 4) >> 2] = 0;
  }

  /** Submits what was armed or cancelled without waiting (before an fd behind an armed op is closed). */
  flush(): void {
    this.ring.submit(0);
  }

  /**
   * Submits the re-arms and blocks until a completion arrives or `timeoutMs` passed (0: no
   * blocking, -1: no limit), then routes every waiting completion to its sink. With
   * `gatherUs` > 0 (where the kernel supports it), a wait that finds nothing to do sleeps
   * that long for what comes meanwhile rather than waking for the first datagram.
   */
  wait(timeoutMs: number, gatherUs = 0): void {
    const ring = this.ring;
    if (ring.ready() !== 0 || timeoutMs === 0) ring.submit(0);
    else if (gatherUs > 0 && ring.minWait) ring.submit(GATHER_COMPLETIONS, timeoutMs, gatherUs);
    else ring.submit(1, timeoutMs);
    this.route();
  }

  private route(): void {
    const ring = this.ring;
    const sinks = this.sinks;
    for (let n = ring.ready(); n > 0; n = ring.ready()) {
      for (let k = 0; k < n; k++) {
        const tag = ring.cqeUserData(k);
        if (tag === UNROUTED || tag > sinks.length) continue;
        const sink = sinks[tag - 1];
        if (sink === undefined) continue;
        const flags = ring.cqeFlags(k);
        if ((flags & CqeFlag.MORE) === 0) this.release(tag - 1);
        sink.complete(ring.cqeResult(k), flags);
      }
      ring.consume(n);
    }
  }

  close(): void {
    this.sinks.length = 0;
    this.freeCount = 0;
    this.ring.close();
  }

  private release(slot: number): void {
    this.sinks[slot] = undefined;
    if (this.freeCount === this.free.length) {
      const grown = new Int32Array(this.free.length * 2);
      grown.set(this.free);
      this.free = grown;
    }
    this.free[this.freeCount++] = slot;
  }
}

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
/** Tags wrap below 2^30, so V8 keeps them small integers: routing never allocates. */
const TAG_LIMIT = 0x3fffffff;

export class EventRing {
  readonly ring: Ring;
  /** Byte offset (in ring.sqeBytes) of the SQE the last arm() claimed, for op-specific fields. */
  lastSqe = 0;
  private readonly sinks = new Map<number, CompletionSink>();
  private nextTag = 1;

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
    // after a wrap, a tag may still belong to an op armed long ago (a multishot receive)
    let tag = this.nextTag;
    while (this.sinks.has(tag)) tag = tag === TAG_LIMIT ? 1 : tag + 1;
    this.nextTag = tag === TAG_LIMIT ? 1 : tag + 1;
    ring.prepare(at, opcode, fd, addr, length, tag);
    this.sinks.set(tag, sink);
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
   * blocking, -1: no limit), then routes every waiting completion to its sink.
   */
  wait(timeoutMs: number): void {
    const ring = this.ring;
    if (ring.ready() === 0) ring.submit(timeoutMs === 0 ? 0 : 1, timeoutMs);
    else ring.submit(0);
    this.route();
  }

  private route(): void {
    const ring = this.ring;
    const sinks = this.sinks;
    for (let n = ring.ready(); n > 0; n = ring.ready()) {
      for (let k = 0; k < n; k++) {
        const tag = ring.cqeUserData(k);
        if (tag === UNROUTED) continue;
        const sink = sinks.get(tag);
        if (sink === undefined) continue;
        const flags = ring.cqeFlags(k);
        if ((flags & CqeFlag.MORE) === 0) sinks.delete(tag);
        sink.complete(ring.cqeResult(k), flags);
      }
      ring.consume(n);
    }
  }

  close(): void {
    this.sinks.clear();
    this.ring.close();
  }
}

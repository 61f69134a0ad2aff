// A TUN/TAP queue's reads on the io_uring backend: one READ stays armed on the worker's
// EventRing, so the wait that wakes the worker already carries the first frame of a burst
// (an idle ping costs no read(2) of its own); the rest of the burst is read by the plain
// reader until EAGAIN, as before. The armed READ fills a buffer of its own, from which the
// frame is copied into the caller's batch: one short copy per wake-up, no buffer swapping
// behind the batch's back.
import type { FrameBatch, FrameIo, IoCounters } from '../batch.js';
import { Errno } from '../libc.js';
import type { PacketMemory } from '../native-memory.js';
import { CURRENT_POSITION, Op, Sqe } from './abi.js';
import type { CompletionSink, EventRing } from './event-ring.js';


export class ArmedFrameReader implements FrameIo, CompletionSink {
  /** The plain reader's: the armed frames count as packets in, without a system call. */
  readonly counters: IoCounters;
  /** The fd is gone, or the worker gave up on it: never armed again. */
  dead = false;
  /**
   * Set by the caller when a burst is unlikely (the wake ended an idle spell): reads give the
   * armed frame alone, sparing the read(2) that would only say EAGAIN.
   */
  armedOnly = false;
  /** When the caller last read this queue, ms (performance.now()): its own record for deciding armedOnly. */
  lastReadAt = 0;
  private tag = 0;
  /** Length of the frame the armed READ delivered, not yet taken; -1: none. */
  private frame = -1;
  /** An error the armed READ ended with: the plain reader reports it on the next read. */
  private failed = false;
  /** The batch the last read filled, and its view from slot 1 on (for the plain reader). */
  private tailOf: FrameBatch | null = null;
  private tail: FrameBatch | null = null;

  constructor(
    private readonly events: EventRing,
    private readonly fd: number,
    private readonly packets: PacketMemory,
    /** Offset of `room` bytes of packet memory the armed READ fills. */
    readonly area: number,
    private readonly room: number,
    private readonly plain: FrameIo & { readonly counters: IoCounters },
  ) {
    this.counters = plain.counters;
  }

  /** Arms the READ (submitted with the next wait) unless it is armed or its frame not taken yet. */
  arm(): void {
    if (this.tag !== 0 || this.frame >= 0 || this.failed || this.dead) return;
    const events = this.events;
    this.tag = events.arm(this, Op.READ, this.fd, this.packets.base + this.area, this.room);
    const words = events.ring.sqeWords;
    words[(events.lastSqe + Sqe.OFF) >> 2] = CURRENT_POSITION;
    words[(events.lastSqe + Sqe.OFF + 4) >> 2] = CURRENT_POSITION;
  }

  complete(result: number): void {
    this.tag = 0;
    if (result === -Errno.ECANCELED) return;
    if (result >= 0) this.frame = result;
    else if (result === -Errno.EBADF) this.dead = true; // its fd was closed
    else this.failed = true;
  }

  /** Whether a frame (or an error to report) waits: the queue is readable. */
  ready(): boolean {
    return this.frame >= 0 || this.failed;
  }

  read(batch: FrameBatch): number {
    if (this.frame < 0) {
      if (this.armedOnly && !this.failed) {
        batch.count = 0;
        return 0;
      }
      this.failed = false;
      return this.plain.read(batch);
    }
    const length = Math.min(this.frame, batch.lengths[0]);
    this.packets.bytes.copyWithin(batch.offsets[0], this.area, this.area + length);
    batch.lengths[0] = length;
    batch.errors[0] = 0;
    this.frame = -1;
    this.counters.packetsIn++;
    let more = 0;
    if (batch.capacity > 1 && !this.armedOnly) {
      const tail = this.tailView(batch);
      try {
        more = this.plain.read(tail);
      } catch {
        // the frame we have goes first; the plain reader meets the error again next time
      }
    }
    batch.count = 1 + more;
    return batch.count;
  }

  write(batch: FrameBatch, start?: number): number {
    return this.plain.write(batch, start);
  }

  /** Ends the armed READ at once (the caller closes the fd next). */
  close(): void {
    this.dead = true;
    if (this.tag !== 0) {
      this.events.cancel(this.tag);
      this.events.flush();
      this.tag = 0;
    }
    this.plain.close();
  }

  private tailView(batch: FrameBatch): FrameBatch {
    if (this.tailOf !== batch || this.tail === null) {
      this.tailOf = batch;
      this.tail = {
        capacity: batch.capacity - 1,
        count: 0,
        offsets: batch.offsets.subarray(1),
        lengths: batch.lengths.subarray(1),
        errors: batch.errors.subarray(1),
      };
    }
    return this.tail;
  }
}

// The worker's one blocking point on the io_uring backend: ONE io_uring_enter on the
// backend's EventRing, where everything the worker waits for completes. The UDP sockets'
// multishot receives are armed by their MultishotReceivers and deliver the datagrams
// themselves; each TUN/TAP queue has a one-shot POLL_ADD, re-armed in the next wait after it
// fired (a one-shot poll checks readiness when armed, so frames left unread fire it at
// once, as poll(2) would); the wake-up eventfd has a READ that also resets its counter.
// Re-arms ride along with the wait, so a wake-up costs no system call besides the enter.
import { Errno } from '../../io/libc.js';
import { Op, POLLIN, Sqe } from '../../io/uring/abi.js';
import type { CompletionSink, EventRing } from '../../io/uring/event-ring.js';
import { NativeArea } from '../../io/native-memory.js';
import { Source, type Waiter } from './poller.js';

/** An eventfd is read as one 8-byte counter. */
const EVENTFD_VALUE_BYTES = 8;
const INITIAL_CAPACITY = 16;
/** A poll's result when its fd is not open (asm-generic/errno-base.h). */
const EBADF = 9;

/** One armed op: whether it fired since the last wait, and whether it can be armed again. */
class Armed implements CompletionSink {
  fired = false;
  tag = 0;
  /** The fd is gone (EBADF) or was disabled: never armed again. */
  dead = false;

  complete(result: number): void {
    this.tag = 0;
    if (result === -Errno.ECANCELED) return;
    if (result === -EBADF) this.dead = true;
    // an error is "readable" too: the read that follows reports it
    this.fired = true;
  }
}

export class RingWaiter implements Waiter {
  count = 0;
  kinds = new Uint8Array(INITIAL_CAPACITY);
  ids = new Int32Array(INITIAL_CAPACITY);
  private fds = new Int32Array(INITIAL_CAPACITY);
  private polls: (Armed | undefined)[] = [];
  private readonly wake = new Armed();
  private wakeFd = -1;
  private readonly wakeArea = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');

  constructor(
    private readonly events: EventRing,
    /** Whether socket `id`'s armed receive has datagrams waiting. */
    private readonly socketWaiting: (id: number) => boolean,
  ) {}

  /** Forgets all entries; their polls are cancelled (an interface's fd may be closed already). */
  clear(): void {
    for (let i = 0; i < this.count; i++) {
      const poll = this.polls[i];
      if (poll && poll.tag !== 0) this.events.cancel(poll.tag);
      this.polls[i] = undefined;
    }
    this.count = 0;
  }

  add(fd: number, kind: Source, id: number): void {
    if (this.count === this.kinds.length) this.grow();
    const i = this.count++;
    this.kinds[i] = kind;
    this.ids[i] = id;
    this.fds[i] = fd;
    if (kind === Source.Interface) this.polls[i] = new Armed();
    if (kind === Source.Wake) this.wakeFd = fd;
  }

  wait(timeoutMs: number): number {
    const events = this.events;
    let timeout = timeoutMs;
    for (let i = 0; i < this.count; i++) {
      const poll = this.polls[i];
      if (poll) {
        poll.fired = false;
        if (poll.tag === 0 && !poll.dead) {
          poll.tag = events.arm(poll, Op.POLL_ADD, this.fds[i], 0, 0);
          events.ring.sqeWords[(events.lastSqe + Sqe.OP_FLAGS) >> 2] = POLLIN;
        }
      } else if (this.kinds[i] === Source.Socket && this.socketWaiting(this.ids[i])) {
        // datagrams left from the last turn: look, don't sleep
        timeout = 0;
      }
    }
    this.wake.fired = false;
    if (this.wake.tag === 0 && this.wakeFd >= 0) this.wake.tag = events.arm(this.wake, Op.READ, this.wakeFd, this.wakeArea.address, EVENTFD_VALUE_BYTES);
    events.wait(timeout);
    return 1;
  }

  readable(i: number): boolean {
    switch (this.kinds[i]) {
      case Source.Wake:
        return this.wake.fired;
      case Source.Socket:
        return this.socketWaiting(this.ids[i]);
      default:
        return this.polls[i]?.fired ?? false;
    }
  }

  invalid(i: number): boolean {
    return this.polls[i]?.dead ?? false;
  }

  disable(i: number): void {
    const poll = this.polls[i];
    if (!poll) return;
    poll.dead = true;
    if (poll.tag !== 0) this.events.cancel(poll.tag);
  }

  /** The READ already reset the eventfd. */
  resetWake(): void {}

  close(): void {
    // the armed READ must not write into the value's memory once it is unmapped
    if (this.wake.tag !== 0) {
      this.events.cancel(this.wake.tag);
      this.events.flush();
    }
    this.wakeArea.release();
  }

  private grow(): void {
    const capacity = this.kinds.length * 2;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds);
    const ids = new Int32Array(capacity);
    ids.set(this.ids);
    const fds = new Int32Array(capacity);
    fds.set(this.fds);
    this.kinds = kinds;
    this.ids = ids;
    this.fds = fds;
  }
}

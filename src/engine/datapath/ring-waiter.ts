// The worker's one blocking point on the io_uring backend: ONE io_uring_enter on the
// backend's EventRing, where everything the worker waits for completes. The UDP sockets'
// multishot receives are armed by their MultishotReceivers and deliver the datagrams
// themselves; each TUN/TAP queue has a READ armed by its ArmedFrameReader, re-armed in the
// next wait once its frame was taken (a READ armed while frames wait completes at once, so
// nothing is left behind, as with poll(2)); the wake-up eventfd has a READ that also resets
// its counter. Re-arms ride along with the wait: a wake-up costs no system call besides it.
import { Errno } from '../../io/libc.js';
import { EVENTFD_VALUE_BYTES } from '../../io/linux-abi.js';
import { Op } from '../../io/uring/abi.js';
import type { ArmedFrameReader } from '../../io/uring/armed-read.js';
import type { CompletionSink, EventRing } from '../../io/uring/event-ring.js';
import { NativeArea } from '../../io/native-memory.js';
import { growSources, Source, type Waiter } from './poller.js';

const INITIAL_CAPACITY = 16;

/** The wake-up eventfd's READ: whether it fired since the last wait. */
class WakeRead implements CompletionSink {
  fired = false;
  tag = 0;

  complete(result: number): void {
    this.tag = 0;
    if (result !== -Errno.ECANCELED) this.fired = true;
  }
}

export class RingWaiter implements Waiter {
  count = 0;
  kinds = new Uint8Array(INITIAL_CAPACITY);
  ids = new Int32Array(INITIAL_CAPACITY);
  private readonly wake = new WakeRead();
  private wakeFd = -1;
  private readonly wakeArea = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');

  constructor(
    private readonly events: EventRing,
    /** Whether socket `id`'s armed receive has datagrams waiting. */
    private readonly socketWaiting: (id: number) => boolean,
    /** Interface `id`'s armed read (its owner cancels it when the interface goes). */
    private readonly readerOf: (id: number) => ArmedFrameReader | undefined,
  ) {}

  clear(): void {
    this.count = 0;
  }

  add(fd: number, kind: Source, id: number): void {
    if (this.count === this.kinds.length) growSources(this, this.count * 2);
    const i = this.count++;
    this.kinds[i] = kind;
    this.ids[i] = id;
    if (kind === Source.Wake) this.wakeFd = fd;
  }

  wait(timeoutMs: number, gatherUs = 0): void {
    const events = this.events;
    let timeout = timeoutMs;
    for (let i = 0; i < this.count; i++) {
      const kind = this.kinds[i];
      if (kind === Source.Interface) {
        const reader = this.readerOf(this.ids[i]);
        reader?.arm();
        // a frame (or error) not taken in the last turn: look, don't sleep
        if (reader?.ready()) timeout = 0;
      } else if (kind === Source.Socket && this.socketWaiting(this.ids[i])) {
        timeout = 0;
      }
    }
    // a wake-up a harvest collected after the loop had passed the wake-up source
    if (this.wake.fired) timeout = 0;
    if (this.wake.tag === 0 && this.wakeFd >= 0) this.wake.tag = events.arm(this.wake, Op.READ, this.wakeFd, this.wakeArea.address, EVENTFD_VALUE_BYTES);
    events.wait(timeout, gatherUs);
  }

  readable(i: number): boolean {
    switch (this.kinds[i]) {
      case Source.Wake:
        return this.wake.fired;
      case Source.Socket:
        return this.socketWaiting(this.ids[i]);
      default: {
        const reader = this.readerOf(this.ids[i]);
        return reader !== undefined && !reader.dead && reader.ready();
      }
    }
  }

  invalid(i: number): boolean {
    return this.kinds[i] === Source.Interface && (this.readerOf(this.ids[i])?.dead ?? false);
  }

  /** The loop gave up on an interface (reading it failed): its READ is not armed again. */
  disable(i: number): void {
    if (this.kinds[i] !== Source.Interface) return;
    const reader = this.readerOf(this.ids[i]);
    if (reader) reader.dead = true;
  }

  harvest(): void {
    this.events.wait(0);
  }

  /** The READ already reset the eventfd. */
  resetWake(): void {
    this.wake.fired = false;
  }

  close(): void {
    // the armed READ must not write into the value's memory once it is unmapped
    if (this.wake.tag !== 0) {
      this.events.cancel(this.wake.tag);
      this.events.flush();
    }
    this.wakeArea.release();
  }
}

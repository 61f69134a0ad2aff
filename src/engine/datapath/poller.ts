// The worker's one blocking point on the fallback backend: poll(2) over its wake-up eventfd,
// its UDP sockets and its TUN/TAP queues, with a timeout so that timers run. The pollfd array lives in native memory
// and is rewritten only when the set of fds changes (a peer with its own interface comes or
// goes), so a wait allocates nothing.
import { poll, errno, Errno, read, SystemError } from '../../io/libc.js';
import { EVENTFD_VALUE_BYTES, PollEvent, Pollfd } from '../../io/linux-abi.js';
import { NativeArea } from '../../io/native-memory.js';

/** What a pollfd entry stands for. */
export const Source = { Wake: 0, Socket: 1, Interface: 2 } as const;
export type Source = (typeof Source)[keyof typeof Source];

/** What taking batches from a socket or a queue left: it ran dry, it may hold more (the last batch came full), or reading failed. */
export const Taken = { Drained: 0, More: 1, Failed: 2 } as const;
export type Taken = (typeof Taken)[keyof typeof Taken];

const INITIAL_CAPACITY = 16;

/** How the loop waits: poll(2) here, or one io_uring_enter (ring-waiter.ts). */
export interface Waiter {
  readonly count: number;
  readonly kinds: Uint8Array;
  readonly ids: Int32Array;
  clear(): void;
  add(fd: number, kind: Source, id: number): void;
  /**
   * Blocks until something is ready or `timeoutMs` passed (-1: no limit). With `gatherUs` >
   * 0 a waiter that can (io_uring's minimum wait) lets that long of arrivals gather first.
   */
  wait(timeoutMs: number, gatherUs?: number): void;
  readable(i: number): boolean;
  invalid(i: number): boolean;
  disable(i: number): void;
  /** Without blocking: takes what became ready since wait() (sources not served yet in this turn see it). */
  harvest(): void;
  /** After the wake-up eventfd fired: reset its counter so the next wait sleeps. */
  resetWake(): void;
  close(): void;
}

/** Widens a waiter's source table (kinds and ids) to `capacity` entries, keeping what it holds. */
export function growSources(waiter: { kinds: Uint8Array; ids: Int32Array }, capacity: number): void {
  const kinds = new Uint8Array(capacity);
  kinds.set(waiter.kinds);
  const ids = new Int32Array(capacity);
  ids.set(waiter.ids);
  waiter.kinds = kinds;
  waiter.ids = ids;
}

export class Poller implements Waiter {
  count = 0;
  /** Per entry: Source and the socketId / interfaceId it stands for. */
  kinds = new Uint8Array(INITIAL_CAPACITY);
  ids = new Int32Array(INITIAL_CAPACITY);
  private area = new NativeArea(INITIAL_CAPACITY * Pollfd.SIZE, 'pollfd array');
  private capacity = INITIAL_CAPACITY;
  private wakeFd = -1;
  private readonly wakeArea = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');

  /** Forgets all entries (before adding the current set again). */
  clear(): void {
    this.count = 0;
  }

  add(fd: number, kind: Source, id: number): void {
    if (this.count === this.capacity) this.grow();
    const at = this.count * Pollfd.SIZE;
    this.area.view.setInt32(at + Pollfd.FD, fd, true);
    this.area.view.setInt16(at + Pollfd.EVENTS, PollEvent.IN, true);
    this.area.view.setInt16(at + Pollfd.REVENTS, 0, true);
    this.kinds[this.count] = kind;
    this.ids[this.count] = id;
    this.count++;
    if (kind === Source.Wake) this.wakeFd = fd;
  }

  /** Blocks until an fd is readable or `timeoutMs` passed; returns how many entries have events. */
  wait(timeoutMs: number): number {
    const ready = poll(this.area.address, this.count, timeoutMs);
    if (ready >= 0) return ready;
    const code = errno();
    if (code === Errno.EINTR) return 0;
    throw new SystemError('poll', code);
  }

  harvest(): void {
    this.wait(0);
  }

  /** Whether entry i is readable (or in an error state a read will report). */
  readable(i: number): boolean {
    return (this.area.view.getInt16(i * Pollfd.SIZE + Pollfd.REVENTS, true) & (PollEvent.IN | PollEvent.ERR | PollEvent.HUP)) !== 0;
  }

  /** An fd closed under us (POLLNVAL): stop polling it rather than spin on it. */
  invalid(i: number): boolean {
    return (this.area.view.getInt16(i * Pollfd.SIZE + Pollfd.REVENTS, true) & PollEvent.NVAL) !== 0;
  }

  /** poll(2) skips negative fds. */
  disable(i: number): void {
    this.area.view.setInt32(i * Pollfd.SIZE + Pollfd.FD, -1, true);
  }

  resetWake(): void {
    read(this.wakeFd, this.wakeArea.address, EVENTFD_VALUE_BYTES);
  }

  close(): void {
    this.wakeArea.release();
    this.area.release();
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const area = new NativeArea(capacity * Pollfd.SIZE, 'pollfd array');
    area.bytes.set(this.area.bytes.subarray(0, this.count * Pollfd.SIZE));
    this.area.release();
    this.area = area;
    growSources(this, capacity);
    this.capacity = capacity;
  }
}

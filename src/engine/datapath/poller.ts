// The worker's one blocking point: poll(2) over its wake-up eventfd, its UDP sockets and its
// TUN/TAP queues, with a timeout so that timers run. The pollfd array lives in native memory
// and is rewritten only when the set of fds changes (a peer with its own interface comes or
// goes), so a wait allocates nothing.
import { poll, errno, Errno, SystemError } from '../../io/libc.js';
import { PollEvent, Pollfd } from '../../io/linux-abi.js';
import { NativeArea } from '../../io/native-memory.js';

/** What a pollfd entry stands for. */
export const Source = { Wake: 0, Socket: 1, Interface: 2 } as const;
export type Source = (typeof Source)[keyof typeof Source];

const INITIAL_CAPACITY = 16;

export class Poller {
  count = 0;
  /** Per entry: Source and the socketId / interfaceId it stands for. */
  kinds = new Uint8Array(INITIAL_CAPACITY);
  ids = new Int32Array(INITIAL_CAPACITY);
  private area = new NativeArea(INITIAL_CAPACITY * Pollfd.SIZE, 'pollfd array');
  private capacity = INITIAL_CAPACITY;

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
  }

  /** Blocks until an fd is readable or `timeoutMs` passed; returns how many entries have events. */
  wait(timeoutMs: number): number {
    const ready = poll(this.area.address, this.count, timeoutMs);
    if (ready >= 0) return ready;
    const code = errno();
    if (code === Errno.EINTR) return 0;
    throw new SystemError('poll', code);
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

  close(): void {
    this.area.release();
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const area = new NativeArea(capacity * Pollfd.SIZE, 'pollfd array');
    area.bytes.set(this.area.bytes.subarray(0, this.count * Pollfd.SIZE));
    this.area.release();
    this.area = area;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds);
    const ids = new Int32Array(capacity);
    ids.set(this.ids);
    this.kinds = kinds;
    this.ids = ids;
    this.capacity = capacity;
  }
}

// Blocking until fds are readable, for a datapath worker on the fallback backend (the
// io_uring backend sleeps in io_uring_enter instead). poll(2) on a pollfd array prepared
// once, so each wait is one call and no allocation. Never call this on the main thread.
import { Errno, errno, poll, SystemError } from './libc.js';
import { PollEvent, Pollfd } from './linux-abi.js';
import { NativeArea } from './native-memory.js';

export class Poller {
  private readonly area: NativeArea;

  constructor(private readonly fds: readonly number[]) {
    this.area = new NativeArea(fds.length * Pollfd.SIZE, 'pollfd array');
    fds.forEach((fd, i) => {
      this.area.view.setInt32(i * Pollfd.SIZE + Pollfd.FD, fd, true);
      this.area.view.setInt16(i * Pollfd.SIZE + Pollfd.EVENTS, PollEvent.IN, true);
    });
  }

  /** Waits up to timeoutMs (-1: forever) for any fd to become readable; returns how many are. */
  wait(timeoutMs: number): number {
    for (;;) {
      const ready = poll(this.area.address, this.fds.length, timeoutMs);
      if (ready >= 0) return ready;
      if (errno() !== Errno.EINTR) throw new SystemError('poll', errno());
    }
  }

  /** Whether fd number i (in constructor order) had something to read (or an error) at the last wait. */
  readable(i: number): boolean {
    return this.area.view.getInt16(i * Pollfd.SIZE + Pollfd.REVENTS, true) !== 0;
  }

  close(): void {
    this.area.release();
  }
}

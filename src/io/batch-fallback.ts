// The fallback backend, for kernels or sandboxes without io_uring: recvmmsg/sendmmsg move
// a whole batch of UDP datagrams in one call; TUN/TAP queues have no batch system call, so
// frames are read and written one call each (read/write on the non-blocking fd; readv
// would add nothing, as a TUN/TAP fd hands over exactly one frame per call either way).
import { createCounters, type DatagramBatch, type DatagramIo, type FrameBatch, type FrameIo, type IoCounters } from './batch.js';
import { clearLocal, hasLocal } from './control-messages.js';
import { Errno, errno, read, recvmmsg, sendmmsg, SystemError, write } from './libc.js';
import { MessageFlag } from './linux-abi.js';
import { MessageTable, refusesLocal } from './message-table.js';
import type { PacketMemory } from './native-memory.js';

export interface FallbackDatagramOptions {
  /** Most datagrams per call (and the size of the msghdr table). */
  readonly capacity: number;
  /** Send runs of same-size datagrams to one peer as one UDP_SEGMENT message. */
  readonly gso: boolean;
}

/** recvmmsg/sendmmsg over one UDP socket. */
export class FallbackDatagramIo implements DatagramIo {
  readonly counters: IoCounters = createCounters();
  private readonly table: MessageTable;
  private gso: boolean;

  constructor(
    private readonly fd: number,
    packets: PacketMemory,
    options: FallbackDatagramOptions,
  ) {
    this.table = new MessageTable(packets, options.capacity);
    this.gso = options.gso;
  }

  receive(batch: DatagramBatch): number {
    const n = Math.min(batch.capacity, this.table.capacity);
    this.table.prepareReceive(batch, n);
    let received: number;
    do {
      this.counters.syscalls++;
      received = recvmmsg(this.fd, this.table.messages, n, MessageFlag.DONTWAIT, 0);
    } while (received < 0 && errno() === Errno.EINTR);
    if (received < 0) {
      const code = errno();
      batch.count = 0;
      if (code === Errno.EAGAIN) return 0;
      throw new SystemError('recvmmsg', code);
    }
    for (let i = 0; i < received; i++) this.table.finishReceive(batch, i, this.table.messageLength(i));
    batch.count = received;
    this.counters.packetsIn += received;
    return received;
  }

  send(batch: DatagramBatch, start = 0): number {
    let next = start;
    // Entries before gsoFrom go out one by one: set after the kernel refused a GSO message.
    let gsoFrom = 0;
    while (next < batch.count) {
      const messages = this.table.planSends(batch, next, this.gso, gsoFrom);
      this.counters.syscalls++;
      const sent = sendmmsg(this.fd, this.table.messages, messages, MessageFlag.DONTWAIT);
      if (sent < 0) {
        const code = errno();
        if (code === Errno.EINTR) continue;
        if (code === Errno.EAGAIN || code === Errno.ENOBUFS) return next;
        const count = this.table.entryCount[0];
        if (count > 1 && (code === Errno.EIO || code === Errno.EINVAL)) {
          // The kernel or the device refused segmentation: send this run one by one.
          this.counters.gsoFallbacks++;
          gsoFrom = next + count;
          continue;
        }
        if (count === 1 && refusesLocal(code) && hasLocal(batch, next)) {
          clearLocal(batch, next);
          continue;
        }
        batch.errors[next] = code;
        next++;
        continue;
      }
      for (let m = 0; m < sent; m++) {
        const first = this.table.firstEntry[m];
        const count = this.table.entryCount[m];
        batch.errors.fill(0, first, first + count);
        if (count > 1) {
          this.counters.gsoSends++;
          this.counters.gsoSegments += count;
        }
        this.counters.packetsOut += count;
        next = first + count;
      }
    }
    return next;
  }

  close(): void {
    this.table.release();
  }
}

/** read/write loops over one TUN/TAP queue. */
export class FallbackFrameIo implements FrameIo {
  readonly counters: IoCounters = createCounters();

  constructor(
    private readonly fd: number,
    private readonly packets: PacketMemory,
  ) {}

  read(batch: FrameBatch): number {
    const base = this.packets.base;
    let count = 0;
    while (count < batch.capacity) {
      this.counters.syscalls++;
      const length = read(this.fd, base + batch.offsets[count], batch.lengths[count]);
      if (length < 0) {
        const code = errno();
        if (code === Errno.EINTR) continue;
        if (code === Errno.EAGAIN || count > 0) break;
        throw new SystemError('read from TUN/TAP', code);
      }
      batch.lengths[count] = length;
      batch.errors[count] = 0;
      count++;
    }
    batch.count = count;
    this.counters.packetsIn += count;
    return count;
  }

  write(batch: FrameBatch, start = 0): number {
    const base = this.packets.base;
    let next = start;
    while (next < batch.count) {
      this.counters.syscalls++;
      const written = write(this.fd, base + batch.offsets[next], batch.lengths[next]);
      if (written < 0) {
        const code = errno();
        if (code === Errno.EINTR) continue;
        if (code === Errno.EAGAIN) return next;
        batch.errors[next] = code;
      } else {
        batch.errors[next] = 0;
        this.counters.packetsOut++;
      }
      next++;
    }
    return next;
  }

  close(): void {}
}

// The io_uring backend behind the same batch interface as the fallback: a batch of
// receives or sends becomes that many SQEs and ONE io_uring_enter, which submits them and
// waits for all their completions. The fds stay non-blocking (and receives carry
// MSG_DONTWAIT / RWF_NOWAIT), so every op completes inline with data or EAGAIN and the
// call never blocks; keeping receives armed across calls is multishot.ts's job.
//
// Datagram ops on one socket are linked (IOSQE_IO_LINK): they run in order, and the first
// that fails (EAGAIN: nothing more to receive, or a full socket buffer) cancels the rest,
// so results always form a prefix of the batch, just as recvmmsg/sendmmsg report them.
import { createCounters, type DatagramBatch, type DatagramIo, type FrameBatch, type FrameIo, type IoCounters } from '../batch.js';
import { Errno, SystemError } from '../libc.js';
import { MessageFlag } from '../linux-abi.js';
import { clearLocal, hasLocal } from '../control-messages.js';
import { MessageTable, refusesLocal } from '../message-table.js';
import type { PacketMemory } from '../native-memory.js';
import { CURRENT_POSITION, Op, RWF_NOWAIT, Sqe, SqeFlag } from './abi.js';
import type { FixedBuffers } from './fixed-buffers.js';
import type { Ring } from './ring.js';

export interface UringDatagramOptions {
  readonly capacity: number;
  readonly gso: boolean;
}

/** Submits `count` claimed SQEs and waits for all their completions. */
function submitAll(ring: Ring, count: number): void {
  ring.submit(count);
  if (ring.ready() < count) throw new SystemError('io_uring_enter returned before all completions', Errno.EIO);
}

/** Receive ops armed after an idle spell: room for a datagram and the EAGAIN that ends the link. */
const MIN_RECEIVE_WINDOW = 2;
/** How fast the armed receive ops grow while all of them come back with datagrams. */
const RECEIVE_WINDOW_GROWTH = 4;

export class UringDatagramIo implements DatagramIo {
  readonly counters: IoCounters = createCounters();
  private readonly table: MessageTable;
  /** Receive ops to arm in the next call: the first call of a burst arms a whole batch. */
  private receiveWindow: number;

  constructor(
    private readonly ring: Ring,
    private readonly fd: number,
    packets: PacketMemory,
    private readonly options: UringDatagramOptions,
  ) {
    // Each op's completion must fit the CQ before the next batch reaps them.
    this.table = new MessageTable(packets, Math.min(options.capacity, ring.sqEntries));
    this.receiveWindow = this.table.capacity;
  }

  /**
   * Receives until the batch is full or the socket has nothing more. Linked ops after the
   * first EAGAIN are cancelled, but each still costs an SQE and a CQE to prepare and reap,
   * so only about twice as many ops as the last call received are armed (an idle link gets
   * a datagram and an EAGAIN, not a whole batch of cancelled ops); when every armed op
   * comes back with a datagram, more are armed at once, growing towards the whole batch.
   */
  receive(batch: DatagramBatch): number {
    const ring = this.ring;
    const limit = Math.min(batch.capacity, this.table.capacity);
    let received = 0;
    let failure = 0;
    let window = this.receiveWindow;
    for (;;) {
      const n = Math.min(window, limit - received, ring.freeSqes());
      if (n <= 0) break;
      const end = received + n;
      this.table.prepareReceive(batch, end, received);
      for (let i = received; i < end; i++) {
        const at = ring.claim();
        ring.prepare(at, Op.RECVMSG, this.fd, this.table.messageAddress(i), 1, i);
        ring.sqeWords[(at + Sqe.OP_FLAGS) >> 2] = MessageFlag.DONTWAIT;
        if (i + 1 < end) ring.sqeBytes[at + Sqe.FLAGS] = SqeFlag.IO_LINK;
      }
      submitAll(ring, n);
      this.counters.syscalls++;
      let got = 0;
      for (let k = 0; k < n; k++) {
        const i = ring.cqeUserData(k);
        const result = ring.cqeResult(k);
        if (result >= 0) {
          this.table.finishReceive(batch, i, result);
          got++;
        } else if (failure === 0 && result !== -Errno.ECANCELED) {
          failure = -result;
        }
      }
      ring.consume(n);
      received += got;
      if (got < n || received === limit) break;
      window *= RECEIVE_WINDOW_GROWTH;
    }
    this.receiveWindow = Math.min(limit, Math.max(MIN_RECEIVE_WINDOW, received * 2));
    batch.count = received;
    this.counters.packetsIn += received;
    if (received === 0 && failure !== 0 && failure !== Errno.EAGAIN) throw new SystemError('io_uring recvmsg', failure);
    return received;
  }

  send(batch: DatagramBatch, start = 0): number {
    const ring = this.ring;
    let next = start;
    let gsoFrom = 0;
    while (next < batch.count) {
      const messages = Math.min(this.table.planSends(batch, next, this.options.gso, gsoFrom), ring.freeSqes());
      for (let m = 0; m < messages; m++) {
        const at = ring.claim();
        ring.prepare(at, Op.SENDMSG, this.fd, this.table.messageAddress(m), 1, m);
        ring.sqeWords[(at + Sqe.OP_FLAGS) >> 2] = MessageFlag.DONTWAIT;
        if (m + 1 < messages) ring.sqeBytes[at + Sqe.FLAGS] = SqeFlag.IO_LINK;
      }
      submitAll(ring, messages);
      this.counters.syscalls++;
      // Completions of linked ops arrive in submission order: walk them as sendmmsg's result.
      let stop = false;
      for (let k = 0; k < messages && !stop; k++) {
        const m = ring.cqeUserData(k);
        const result = ring.cqeResult(k);
        const first = this.table.firstEntry[m];
        const count = this.table.entryCount[m];
        if (result >= 0) {
          batch.errors.fill(0, first, first + count);
          this.counters.packetsOut += count;
          if (count > 1) {
            this.counters.gsoSends++;
            this.counters.gsoSegments += count;
          }
          next = first + count;
        } else if (result === -Errno.ECANCELED) {
          stop = true;
        } else if (result === -Errno.EAGAIN || result === -Errno.ENOBUFS) {
          ring.consume(messages);
          return next;
        } else if (count > 1 && (result === -Errno.EIO || result === -Errno.EINVAL)) {
          this.counters.gsoFallbacks++;
          gsoFrom = first + count;
          stop = true;
        } else if (count === 1 && refusesLocal(-result) && hasLocal(batch, first)) {
          clearLocal(batch, first);
          stop = true;
        } else {
          batch.errors[first] = -result;
          next = first + 1;
          stop = true;
        }
      }
      ring.consume(messages);
    }
    return next;
  }

  close(): void {
    this.table.release();
  }
}

/**
 * TUN/TAP reads and writes as READ/WRITE SQEs, or READ_FIXED/WRITE_FIXED for packets that
 * lie in a chunk registered with the ring (fixed-buffers.ts), with that chunk's slot. Reads are not linked: a TUN read is always shorter than its buffer, and io_uring treats
 * a short read as a failed link.
 */
export class UringFrameIo implements FrameIo {
  readonly counters: IoCounters = createCounters();

  constructor(
    private readonly ring: Ring,
    private readonly fd: number,
    private readonly packets: PacketMemory,
    private readonly fixed: FixedBuffers | null,
  ) {}

  /** Prepares entry i as the fixed op when its bytes lie in a registered chunk, else as the plain op; true for fixed. */
  private prepare(at: number, batch: FrameBatch, i: number, fixedOp: number, plainOp: number): boolean {
    const slot = this.fixed ? this.fixed.slotFor(batch.offsets[i], batch.lengths[i]) : -1;
    this.ring.prepare(at, slot >= 0 ? fixedOp : plainOp, this.fd, this.packets.base + batch.offsets[i], batch.lengths[i], i);
    if (slot < 0) return false;
    this.ring.sqeBytes[at + Sqe.BUF_INDEX] = slot & 0xff;
    this.ring.sqeBytes[at + Sqe.BUF_INDEX + 1] = slot >> 8;
    return true;
  }

  read(batch: FrameBatch): number {
    const ring = this.ring;
    const n = Math.min(batch.capacity, ring.freeSqes());
    for (let i = 0; i < n; i++) {
      const at = ring.claim();
      this.prepare(at, batch, i, Op.READ_FIXED, Op.READ);
      ring.sqeWords[(at + Sqe.OP_FLAGS) >> 2] = RWF_NOWAIT;
      ring.sqeWords[(at + Sqe.OFF) >> 2] = CURRENT_POSITION;
      ring.sqeWords[(at + Sqe.OFF + 4) >> 2] = CURRENT_POSITION;
    }
    submitAll(ring, n);
    this.counters.syscalls++;
    // Results land in slot order except when a frame arrived between two reads: move the
    // filled slots to the front, swapping buffers so that no buffer is lost.
    let filled = 0;
    let failure = 0;
    for (let k = 0; k < n; k++) {
      const i = ring.cqeUserData(k);
      const result = ring.cqeResult(k);
      if (result < 0) {
        if (failure === 0 && result !== -Errno.EAGAIN) failure = -result;
        batch.errors[i] = -result;
      } else {
        batch.lengths[i] = result;
        batch.errors[i] = 0;
      }
    }
    ring.consume(n);
    for (let i = 0; i < n; i++) {
      if (batch.errors[i] !== 0) continue;
      if (i !== filled) swapSlots(batch, i, filled);
      filled++;
    }
    batch.count = filled;
    this.counters.packetsIn += filled;
    if (filled === 0 && failure !== 0) throw new SystemError('io_uring read from TUN/TAP', failure);
    return filled;
  }

  // Writes are linked (a TUN write is never short), so they reach the interface in order
  // and the first that fails cancels the rest, which go again in the next round.
  write(batch: FrameBatch, start = 0): number {
    const ring = this.ring;
    let next = start;
    while (next < batch.count) {
      const n = Math.min(batch.count - next, ring.freeSqes());
      for (let k = 0; k < n; k++) {
        const i = next + k;
        const at = ring.claim();
        if (this.prepare(at, batch, i, Op.WRITE_FIXED, Op.WRITE)) this.fixed!.fixedWrites++;
        ring.sqeWords[(at + Sqe.OFF) >> 2] = CURRENT_POSITION;
        ring.sqeWords[(at + Sqe.OFF + 4) >> 2] = CURRENT_POSITION;
        if (k + 1 < n) ring.sqeBytes[at + Sqe.FLAGS] = SqeFlag.IO_LINK;
      }
      submitAll(ring, n);
      this.counters.syscalls++;
      let stop = false;
      for (let k = 0; k < n && !stop; k++) {
        const i = ring.cqeUserData(k);
        const result = ring.cqeResult(k);
        if (result === -Errno.ECANCELED) {
          stop = true;
        } else if (result === -Errno.EAGAIN) {
          ring.consume(n);
          return i;
        } else {
          batch.errors[i] = result < 0 ? -result : 0;
          if (result >= 0) this.counters.packetsOut++;
          next = i + 1;
          stop = result < 0;
        }
      }
      ring.consume(n);
    }
    return next;
  }

  close(): void {}
}

function swapSlots(batch: FrameBatch, a: number, b: number): void {
  const offset = batch.offsets[a];
  batch.offsets[a] = batch.offsets[b];
  batch.offsets[b] = offset;
  const length = batch.lengths[a];
  batch.lengths[a] = batch.lengths[b];
  batch.lengths[b] = length;
  const error = batch.errors[a];
  batch.errors[a] = batch.errors[b];
  batch.errors[b] = error;
}

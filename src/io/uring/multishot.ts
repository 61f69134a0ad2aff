// A UDP receive that stays armed: ONE multishot RECVMSG (Linux 6.0) posts a completion per
// datagram (or UDP GRO bundle) on the worker's EventRing, each into a buffer the kernel
// picks from the worker's provided-buffer ring (provided-ring.ts), which every socket of
// the worker shares. A batch lends the filled buffers to the datapath; release() (or the
// next receive()) frees them to the pool, which tops the ring up. Receiving costs no system
// call of its own: the worker's one wait harvests the datagrams.
//
// Each buffer the kernel fills is laid out as
//   | io_uring_recvmsg_out (16) | peer sockaddr (SOCKADDR_SLOT) | control (CONTROL_ROOM) | payload ... |
// so the payload of a buffer at offset o starts at o + MULTISHOT_HEADROOM.
import { createCounters, type DatagramBatch, type IoCounters } from '../batch.js';
import { Errno, SystemError } from '../libc.js';
import { readControl, RECEIVE_CONTROL_ROOM } from '../control-messages.js';
import { MessageFlag, SOCKADDR_SLOT } from '../linux-abi.js';
import type { PacketMemory } from '../native-memory.js';
import { CQE_BUFFER_SHIFT, CqeFlag, Op, RecvmsgOut, RecvSendFlag, Sqe, SqeFlag } from './abi.js';
import type { CompletionSink, EventRing } from './event-ring.js';
import type { ProvidedRing, RingReceiver } from './provided-ring.js';

const CONTROL_ROOM = RECEIVE_CONTROL_ROOM;
/** Bytes in front of the payload in every provided buffer. */
export const MULTISHOT_HEADROOM = RecvmsgOut.SIZE + SOCKADDR_SLOT + CONTROL_ROOM;
/** Completions without a buffer that can be queued besides the buffers' (the op's last one, a cancel's). */
const EXTRA_COMPLETIONS = 4;

export class MultishotReceiver implements CompletionSink, RingReceiver {
  /** Buffer ids of the last batch, freed by release() or the next receive. */
  private readonly lent: Uint16Array;
  private lentCount = 0;
  /** Completions routed to us, not yet taken by receive(): a ring of results and flags. */
  private readonly results: Int32Array;
  private readonly flags: Uint32Array;
  private queueHead = 0;
  private queued = 0;
  /** RECVMSG ops in the kernel: 1 when armed, 0 while ended (waiting to be re-armed, or for buffers). */
  private armedOps = 0;
  /** The armed op was cancelled by the ring's trim(): its last completion is reported to the ring. */
  private trimmed = false;
  private tag = 0;
  private closed = false;

  constructor(
    private readonly events: EventRing,
    private readonly fd: number,
    private readonly packets: PacketMemory,
    /** The worker's provided-buffer ring, shared with its other sockets. */
    private readonly ring: ProvidedRing,
    /** Where it counts datagrams, arms (receiveArms) and ENOBUFS ends (receiveExhausted): the datagrams waited in the socket meanwhile. */
    readonly counters: IoCounters = createCounters(),
  ) {
    const entries = ring.options.ringEntries;
    this.lent = new Uint16Array(entries);
    this.results = new Int32Array(entries + EXTRA_COMPLETIONS);
    this.flags = new Uint32Array(entries + EXTRA_COMPLETIONS);
    ring.add(this);
    ring.rearm(this);
  }

  complete(result: number, flags: number): void {
    const buffer = (flags & CqeFlag.BUFFER) !== 0;
    if (buffer) this.ring.taken(flags >>> CQE_BUFFER_SHIFT);
    if (this.closed) {
      // a datagram nobody will take: its buffer goes back at once, and a trimmed op still reports its end
      if (buffer) this.ring.free(flags >>> CQE_BUFFER_SHIFT);
      if ((flags & CqeFlag.MORE) === 0) this.opEnded();
      return;
    }
    // cannot be full: each buffer completes at most once until given back, plus the ops' ends
    if (this.queued === this.results.length) return;
    const at = (this.queueHead + this.queued) % this.results.length;
    this.results[at] = result;
    this.flags[at] = flags;
    this.queued++;
  }

  /** Whether datagrams (or the end of the armed op) wait to be taken: the worker must not sleep. */
  waiting(): boolean {
    return this.queued > 0;
  }

  /**
   * Frees the last batch's buffers to the pool, tops the ring up from it, and moves what
   * arrived since into the batch (payload offsets, lengths, addresses, GRO segment sizes).
   * Never blocks; re-arms the RECVMSG when it ended, or leaves that to the ring when it is empty.
   */
  receive(batch: DatagramBatch): number {
    this.release();
    let count = 0;
    let failure = 0;
    const capacity = this.results.length;
    const limit = Math.min(batch.capacity, this.lent.length);
    const wasArmed = this.armedOps > 0;
    while (this.queued > 0 && count < limit) {
      const result = this.results[this.queueHead];
      const flags = this.flags[this.queueHead];
      this.queueHead = (this.queueHead + 1) % capacity;
      this.queued--;
      if ((flags & CqeFlag.MORE) === 0) this.opEnded();
      if ((flags & CqeFlag.BUFFER) === 0) {
        // no buffer: the op ended, because the ring ran dry (ENOBUFS) or for a reason to report
        if (result === -Errno.ENOBUFS) {
          this.counters.receiveExhausted++;
          this.ring.ranDry();
        } else if (result < 0 && result !== -Errno.ECANCELED) failure = -result;
        continue;
      }
      const id = flags >>> CQE_BUFFER_SHIFT;
      this.lent[this.lentCount++] = id;
      this.takeBuffer(batch, count, this.ring.options.pool.offsetOf(id));
      count++;
    }
    batch.count = count;
    this.counters.packetsIn += count;
    // the datagrams the socket buffer kept meanwhile are received once the ring holds buffers
    if (wasArmed && this.armedOps === 0 && !this.closed) this.ring.rearm(this);
    if (count === 0 && failure !== 0) throw new SystemError('io_uring multishot recvmsg', failure);
    return count;
  }

  /** Gives the last batch's buffers back (its entries are not read after this) and tops the ring up. */
  release(): void {
    const ring = this.ring;
    for (let j = 0; j < this.lentCount; j++) ring.free(this.lent[j]);
    this.lentCount = 0;
    ring.topUp();
  }

  /** The ring holds buffers: the RECVMSG goes out with the next wait. */
  arm(): void {
    if (this.closed || this.armedOps > 0) return;
    const events = this.events;
    this.tag = events.arm(this, Op.RECVMSG, this.fd, this.ring.template.address, 1);
    const at = events.lastSqe;
    const sqe = events.ring.sqeBytes;
    const group = this.ring.options.groupId;
    sqe[at + Sqe.FLAGS] = SqeFlag.BUFFER_SELECT;
    sqe[at + Sqe.IOPRIO] = RecvSendFlag.RECV_MULTISHOT;
    sqe[at + Sqe.BUF_INDEX] = group & 0xff;
    sqe[at + Sqe.BUF_INDEX + 1] = group >> 8;
    this.armedOps++;
    this.counters.receiveArms++;
  }

  /** The ring is being trimmed: the armed op ends (with ECANCELED, or what it had), and the receive re-arms then. */
  cancel(): boolean {
    if (this.armedOps === 0 || this.trimmed) return false;
    this.trimmed = true;
    this.events.cancel(this.tag);
    return true;
  }

  private opEnded(): void {
    this.armedOps--;
    if (!this.trimmed) return;
    this.trimmed = false;
    this.ring.cancelEnded();
  }

  private takeBuffer(batch: DatagramBatch, i: number, offset: number): void {
    const bytes = this.packets.bytes;
    const view = this.packets.view;
    const room = this.ring.options.bufferSize - MULTISHOT_HEADROOM;
    const payloadLength = view.getUint32(offset + RecvmsgOut.PAYLOADLEN, true);
    const controlLength = view.getUint32(offset + RecvmsgOut.CONTROLLEN, true);
    const nameAt = offset + RecvmsgOut.SIZE;
    const slot = i * SOCKADDR_SLOT;
    const nameLength = Math.min(view.getUint32(offset + RecvmsgOut.NAMELEN, true), SOCKADDR_SLOT);
    // loops: a typed array's fill() is a call into V8's C++ runtime, dearer than the stores
    for (let b = 0; b < nameLength; b++) batch.addresses[slot + b] = bytes[nameAt + b];
    for (let b = nameLength; b < SOCKADDR_SLOT; b++) batch.addresses[slot + b] = 0;
    batch.offsets[i] = offset + MULTISHOT_HEADROOM;
    batch.lengths[i] = Math.min(payloadLength, room);
    const truncated = payloadLength > room || (view.getUint32(offset + RecvmsgOut.FLAGS, true) & MessageFlag.TRUNC) !== 0;
    batch.errors[i] = truncated ? Errno.EMSGSIZE : 0;
    readControl(bytes, view, offset + RecvmsgOut.SIZE + SOCKADDR_SLOT, Math.min(controlLength, CONTROL_ROOM), batch, i);
  }

  /** Ends the armed RECVMSG at once (the caller closes the socket next) and gives its buffers back to the pool. */
  close(): void {
    if (this.closed) return;
    // completions routed after this give their buffers straight back (complete())
    this.closed = true;
    this.ring.remove(this);
    if (this.armedOps > 0) {
      if (!this.trimmed) this.events.cancel(this.tag);
      this.events.flush();
    }
    const ring = this.ring;
    for (let j = 0; j < this.lentCount; j++) ring.free(this.lent[j]);
    this.lentCount = 0;
    for (; this.queued > 0; this.queued--) {
      const flags = this.flags[this.queueHead];
      if ((flags & CqeFlag.BUFFER) !== 0) ring.free(flags >>> CQE_BUFFER_SHIFT);
      if ((flags & CqeFlag.MORE) === 0) this.opEnded();
      this.queueHead = (this.queueHead + 1) % this.results.length;
    }
  }
}

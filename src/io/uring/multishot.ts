// A UDP receive that stays armed: ONE multishot RECVMSG (Linux 6.0) posts a completion per
// datagram (or UDP GRO bundle) on the worker's EventRing, each into a buffer the kernel
// picks from a provided-buffer ring (Linux 5.19). The buffers are a fixed set in the packet
// memory: a batch lends them to the datapath, and the next receive() gives them back to the
// kernel, just as the plain backends overwrite their receive slots on the next call. So
// receiving costs no system call of its own: the worker's one wait harvests the datagrams.
//
// Each buffer the kernel fills is laid out as
//   | io_uring_recvmsg_out (16) | peer sockaddr (SOCKADDR_SLOT) | control (CONTROL_ROOM) | payload ... |
// so the payload of buffer b starts at its offset + MULTISHOT_HEADROOM.
import { createCounters, type DatagramBatch, type IoCounters } from '../batch.js';
import { Errno, errno, SystemError } from '../libc.js';
import { Cmsghdr, cmsgLen, cmsgSpace, MessageFlag, Mmsghdr, Msghdr, SOCKADDR_SLOT, SOL_UDP, UdpOption } from '../linux-abi.js';
import { NativeArea, setU64, type PacketMemory } from '../native-memory.js';
import { BufReg, BufRingEntry, CQE_BUFFER_SHIFT, CqeFlag, Op, RecvmsgOut, RecvSendFlag, Register, Sqe, SqeFlag } from './abi.js';
import type { CompletionSink, EventRing } from './event-ring.js';

const CONTROL_ROOM = cmsgSpace(4);
/** Bytes in front of the payload in every provided buffer. */
export const MULTISHOT_HEADROOM = RecvmsgOut.SIZE + SOCKADDR_SLOT + CONTROL_ROOM;
/** Largest provided-buffer ring the kernel takes. */
const MAX_BUFFERS = 32768;
/** Completions without a buffer that can be queued besides the buffers' (the op's last one, a cancel's). */
const EXTRA_COMPLETIONS = 4;

export interface MultishotOptions {
  /** Buffers handed to the kernel; a power of two, at least twice the batches' capacity. */
  readonly buffers: number;
  /** Bytes of each buffer the kernel may fill, headroom included. */
  readonly bufferSize: number;
  /** Distance between buffers (bufferSize plus whatever the caller keeps free behind each). */
  readonly stride: number;
  /** Offset of the first buffer in the packet memory. */
  readonly area: number;
  /** Buffer group id, unique per ring. */
  readonly groupId: number;
}

export class MultishotReceiver implements CompletionSink {
  private readonly bufRing: NativeArea;
  private readonly template: NativeArea;
  private readonly tailWords: Uint16Array;
  private tail = 0;
  /** Buffer ids of the last batch, given back at the next receive. */
  private readonly lent: Uint16Array;
  private lentCount = 0;
  /** Completions routed to us, not yet taken by receive(): a ring of results and flags. */
  private readonly results: Int32Array;
  private readonly flags: Uint32Array;
  private queueHead = 0;
  private queued = 0;
  private armed = false;
  private tag = 0;
  private closed = false;

  constructor(
    private readonly events: EventRing,
    private readonly fd: number,
    private readonly packets: PacketMemory,
    private readonly options: MultishotOptions,
    /** Where it counts datagrams, arms (receiveArms) and ENOBUFS ends (receiveExhausted): the datagrams waited in the socket meanwhile. */
    readonly counters: IoCounters = createCounters(),
  ) {
    const { buffers } = options;
    if (buffers < 1 || buffers > MAX_BUFFERS || (buffers & (buffers - 1)) !== 0) throw new RangeError(`buffer count must be a power of two up to ${MAX_BUFFERS}`);
    if (options.bufferSize <= MULTISHOT_HEADROOM) throw new RangeError(`buffers must be larger than the ${MULTISHOT_HEADROOM}-byte headroom`);
    this.bufRing = new NativeArea(buffers * BufRingEntry.SIZE, 'provided-buffer ring');
    this.tailWords = new Uint16Array(this.bufRing.bytes.buffer);
    this.lent = new Uint16Array(buffers);
    this.results = new Int32Array(buffers + EXTRA_COMPLETIONS);
    this.flags = new Uint32Array(buffers + EXTRA_COMPLETIONS);
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring registration');
    try {
      setU64(reg.u32, BufReg.RING_ADDR, this.bufRing.address);
      reg.view.setUint32(BufReg.RING_ENTRIES, buffers, true);
      reg.view.setUint16(BufReg.BGID, options.groupId, true);
      if (events.ring.register(Register.PBUF_RING, reg.address, 1) < 0) throw new SystemError('IORING_REGISTER_PBUF_RING', errno());
    } finally {
      reg.release();
    }
    // The msghdr only tells the kernel how much room to leave for the name and control.
    this.template = new NativeArea(Mmsghdr.SIZE, 'multishot msghdr');
    this.template.view.setUint32(Msghdr.NAMELEN, SOCKADDR_SLOT, true);
    setU64(this.template.u32, Msghdr.CONTROLLEN, CONTROL_ROOM);
    for (let id = 0; id < buffers; id++) this.provide(id);
    this.arm();
  }

  /** Offset of buffer `id` in the packet memory. */
  bufferOffset(id: number): number {
    return this.options.area + id * this.options.stride;
  }

  complete(result: number, flags: number): void {
    // cannot be full: each buffer completes at most once until given back, plus the op's end
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
   * Gives the last batch's buffers back to the kernel and moves what arrived since into
   * the batch (payload offsets, lengths, addresses, GRO segment sizes). Never blocks;
   * re-arms the RECVMSG when it ended.
   */
  receive(batch: DatagramBatch): number {
    for (let j = 0; j < this.lentCount; j++) this.provide(this.lent[j]);
    this.lentCount = 0;
    let count = 0;
    let failure = 0;
    const capacity = this.results.length;
    while (this.queued > 0 && count < batch.capacity) {
      const result = this.results[this.queueHead];
      const flags = this.flags[this.queueHead];
      this.queueHead = (this.queueHead + 1) % capacity;
      this.queued--;
      if ((flags & CqeFlag.MORE) === 0) this.armed = false;
      if ((flags & CqeFlag.BUFFER) === 0) {
        // no buffer: the op ended, because the ring ran dry (ENOBUFS) or for a reason to report
        if (result === -Errno.ENOBUFS) this.counters.receiveExhausted++;
        else if (result < 0 && result !== -Errno.ECANCELED) failure = -result;
        continue;
      }
      const id = flags >>> CQE_BUFFER_SHIFT;
      this.lent[this.lentCount++] = id;
      this.takeBuffer(batch, count, this.bufferOffset(id));
      count++;
    }
    batch.count = count;
    this.counters.packetsIn += count;
    if (!this.armed && !this.closed) this.arm();
    if (count === 0 && failure !== 0) throw new SystemError('io_uring multishot recvmsg', failure);
    return count;
  }

  private provide(id: number): void {
    const at = (this.tail & (this.options.buffers - 1)) * BufRingEntry.SIZE;
    const ring = this.bufRing;
    setU64(ring.u32, at + BufRingEntry.ADDR, this.packets.base + this.bufferOffset(id));
    ring.view.setUint32(at + BufRingEntry.LEN, this.options.bufferSize, true);
    ring.view.setUint16(at + BufRingEntry.BID, id, true);
    this.tail = (this.tail + 1) & 0xffff;
    Atomics.store(this.tailWords, BufRingEntry.TAIL >> 1, this.tail);
  }

  private takeBuffer(batch: DatagramBatch, i: number, offset: number): void {
    const bytes = this.packets.bytes;
    const view = this.packets.view;
    const room = this.options.bufferSize - MULTISHOT_HEADROOM;
    const payloadLength = view.getUint32(offset + RecvmsgOut.PAYLOADLEN, true);
    const controlLength = view.getUint32(offset + RecvmsgOut.CONTROLLEN, true);
    const nameAt = offset + RecvmsgOut.SIZE;
    const slot = i * SOCKADDR_SLOT;
    batch.addresses.fill(0, slot, slot + SOCKADDR_SLOT);
    const nameLength = Math.min(view.getUint32(offset + RecvmsgOut.NAMELEN, true), SOCKADDR_SLOT);
    for (let b = 0; b < nameLength; b++) batch.addresses[slot + b] = bytes[nameAt + b];
    batch.offsets[i] = offset + MULTISHOT_HEADROOM;
    batch.lengths[i] = Math.min(payloadLength, room);
    const truncated = payloadLength > room || (view.getUint32(offset + RecvmsgOut.FLAGS, true) & MessageFlag.TRUNC) !== 0;
    batch.errors[i] = truncated ? Errno.EMSGSIZE : 0;
    const controlAt = offset + RecvmsgOut.SIZE + SOCKADDR_SLOT;
    const isGro =
      controlLength >= cmsgLen(4) &&
      view.getInt32(controlAt + Cmsghdr.LEVEL, true) === SOL_UDP &&
      view.getInt32(controlAt + Cmsghdr.TYPE, true) === UdpOption.GRO;
    batch.segmentSizes[i] = isGro ? view.getInt32(controlAt + Cmsghdr.DATA, true) : 0;
  }

  private arm(): void {
    const events = this.events;
    this.tag = events.arm(this, Op.RECVMSG, this.fd, this.template.address, 1);
    const at = events.lastSqe;
    const sqe = events.ring.sqeBytes;
    sqe[at + Sqe.FLAGS] = SqeFlag.BUFFER_SELECT;
    sqe[at + Sqe.IOPRIO] = RecvSendFlag.RECV_MULTISHOT;
    sqe[at + Sqe.BUF_INDEX] = this.options.groupId & 0xff;
    sqe[at + Sqe.BUF_INDEX + 1] = this.options.groupId >> 8;
    this.armed = true;
    this.counters.receiveArms++;
  }

  /** Ends the armed RECVMSG at once (the caller closes the socket next) and drops the buffer ring. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.armed) {
      this.events.cancel(this.tag);
      this.events.flush();
    }
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring unregistration');
    try {
      reg.view.setUint16(BufReg.BGID, this.options.groupId, true);
      this.events.ring.register(Register.UNREGISTER_PBUF_RING, reg.address, 1);
    } finally {
      reg.release();
    }
    this.template.release();
    this.bufRing.release();
  }
}

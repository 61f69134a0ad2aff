// A UDP receive that stays armed: ONE multishot RECVMSG (Linux 6.0) keeps posting a
// completion per datagram, each into a buffer the kernel picks from a provided-buffer ring
// (Linux 5.19) that the caller feeds from the packet memory. So a datapath worker blocks in
// io_uring_enter until datagrams arrive and then harvests them without submitting anything.
//
// Each buffer the kernel fills is laid out as
//   | io_uring_recvmsg_out (16) | peer sockaddr (SOCKADDR_SLOT) | control (CONTROL_ROOM) | payload ... |
// so the payload of a buffer given at offset o starts at o + HEADROOM.
//
// This receiver owns its ring's completion queue: every CQE on it is taken as its own.
import { createCounters, type DatagramBatch, type IoCounters } from '../batch.js';
import { Errno, errno, SystemError } from '../libc.js';
import { Cmsghdr, cmsgLen, cmsgSpace, Mmsghdr, Msghdr, SOCKADDR_SLOT, SOL_UDP, UdpOption } from '../linux-abi.js';
import { NativeArea, setU64, type PacketMemory } from '../native-memory.js';
import { BufReg, BufRingEntry, CQE_BUFFER_SHIFT, CqeFlag, Op, RecvmsgOut, RecvSendFlag, Register, Sqe, SqeFlag } from './abi.js';
import type { Ring } from './ring.js';

const CONTROL_ROOM = cmsgSpace(4);
/** Bytes in front of the payload in every provided buffer. */
export const MULTISHOT_HEADROOM = RecvmsgOut.SIZE + SOCKADDR_SLOT + CONTROL_ROOM;
/** user_data of the multishot RECVMSG (only its completions appear on this ring). */
const RECV_TAG = 1;

export interface MultishotOptions {
  /** Provided-buffer ring size; a power of two. */
  readonly entries: number;
  /** Bytes of each buffer the caller provides (headroom included). */
  readonly bufferSize: number;
  /** Buffer group id, unique per ring. */
  readonly groupId: number;
}

export class MultishotReceiver {
  readonly counters: IoCounters = createCounters();
  private readonly bufRing: NativeArea;
  private readonly template: NativeArea;
  private readonly tailWords: Uint16Array;
  private readonly bufferOffsets: Uint32Array;
  private readonly freeIds: Uint16Array;
  private freeCount: number;
  private tail = 0;
  private armed = false;

  constructor(
    private readonly ring: Ring,
    private readonly fd: number,
    private readonly packets: PacketMemory,
    private readonly options: MultishotOptions,
  ) {
    const { entries } = options;
    if (entries < 1 || entries > 32768 || (entries & (entries - 1)) !== 0) throw new RangeError('buffer ring entries must be a power of two up to 32768');
    if (options.bufferSize <= MULTISHOT_HEADROOM) throw new RangeError(`buffers must be larger than the ${MULTISHOT_HEADROOM}-byte headroom`);
    this.bufRing = new NativeArea(entries * BufRingEntry.SIZE, 'provided-buffer ring');
    this.tailWords = new Uint16Array(this.bufRing.bytes.buffer);
    this.bufferOffsets = new Uint32Array(entries);
    this.freeIds = new Uint16Array(entries);
    for (let i = 0; i < entries; i++) this.freeIds[i] = entries - 1 - i;
    this.freeCount = entries;
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring registration');
    try {
      setU64(reg.u32, BufReg.RING_ADDR, this.bufRing.address);
      reg.view.setUint32(BufReg.RING_ENTRIES, entries, true);
      reg.view.setUint16(BufReg.BGID, options.groupId, true);
      if (ring.register(Register.PBUF_RING, reg.address, 1) < 0) throw new SystemError('IORING_REGISTER_PBUF_RING', errno());
    } finally {
      reg.release();
    }
    // The msghdr only tells the kernel how much room to leave for the name and control.
    this.template = new NativeArea(Mmsghdr.SIZE, 'multishot msghdr');
    this.template.view.setUint32(Msghdr.NAMELEN, SOCKADDR_SLOT, true);
    setU64(this.template.u32, Msghdr.CONTROLLEN, CONTROL_ROOM);
  }

  /** How many more buffers the ring can take. */
  room(): number {
    return this.freeCount;
  }

  /** Hands the kernel a buffer of options.bufferSize bytes at `offset`; false when the ring is full. */
  provide(offset: number): boolean {
    if (this.freeCount === 0) return false;
    const id = this.freeIds[--this.freeCount];
    this.bufferOffsets[id] = offset;
    const at = (this.tail & (this.options.entries - 1)) * BufRingEntry.SIZE;
    const ringBytes = this.bufRing;
    setU64(ringBytes.u32, at + BufRingEntry.ADDR, this.packets.base + offset);
    ringBytes.view.setUint32(at + BufRingEntry.LEN, this.options.bufferSize, true);
    ringBytes.view.setUint16(at + BufRingEntry.BID, id, true);
    this.tail = (this.tail + 1) & 0xffff;
    Atomics.store(this.tailWords, BufRingEntry.TAIL >> 1, this.tail);
    return true;
  }

  /**
   * Moves received datagrams into the batch: offsets[i] is the payload (buffer start +
   * MULTISHOT_HEADROOM), bufferStarts[i] the buffer to give back with provide() once done.
   * When nothing is there yet, blocks in io_uring_enter for up to `waitMs` (0: not at all,
   * -1: until a datagram comes).
   */
  receive(batch: DatagramBatch, bufferStarts: Uint32Array, waitMs: number): number {
    const ring = this.ring;
    if (!this.armed) this.arm();
    if (ring.ready() === 0) {
      ring.submit(waitMs === 0 ? 0 : 1, waitMs);
      this.counters.syscalls++;
    }
    const available = Math.min(ring.ready(), batch.capacity);
    let count = 0;
    let failure = 0;
    for (let k = 0; k < available; k++) {
      const result = ring.cqeResult(k);
      const flags = ring.cqeFlags(k);
      if ((flags & CqeFlag.MORE) === 0) this.armed = false;
      if ((flags & CqeFlag.BUFFER) === 0) {
        // No buffer: the multishot op ended (ENOBUFS when the ring ran dry) or failed.
        if (result < 0 && result !== -Errno.ENOBUFS) failure = -result;
        continue;
      }
      const id = flags >>> CQE_BUFFER_SHIFT;
      this.freeIds[this.freeCount++] = id;
      this.takeBuffer(batch, count, this.bufferOffsets[id]);
      bufferStarts[count] = this.bufferOffsets[id];
      count++;
    }
    ring.consume(available);
    batch.count = count;
    this.counters.packetsIn += count;
    if (count === 0 && failure !== 0) throw new SystemError('io_uring multishot recvmsg', failure);
    return count;
  }

  private takeBuffer(batch: DatagramBatch, i: number, offset: number): void {
    const bytes = this.packets.bytes;
    const view = this.packets.view;
    const payloadLength = view.getUint32(offset + RecvmsgOut.PAYLOADLEN, true);
    const controlLength = view.getUint32(offset + RecvmsgOut.CONTROLLEN, true);
    const nameAt = offset + RecvmsgOut.SIZE;
    batch.addresses.fill(0, i * SOCKADDR_SLOT, (i + 1) * SOCKADDR_SLOT);
    const nameLength = Math.min(view.getUint32(offset + RecvmsgOut.NAMELEN, true), SOCKADDR_SLOT);
    for (let b = 0; b < nameLength; b++) batch.addresses[i * SOCKADDR_SLOT + b] = bytes[nameAt + b];
    batch.offsets[i] = offset + MULTISHOT_HEADROOM;
    batch.lengths[i] = Math.min(payloadLength, this.options.bufferSize - MULTISHOT_HEADROOM);
    batch.errors[i] = payloadLength > this.options.bufferSize - MULTISHOT_HEADROOM ? Errno.EMSGSIZE : 0;
    const controlAt = offset + RecvmsgOut.SIZE + SOCKADDR_SLOT;
    const isGro =
      controlLength >= cmsgLen(4) &&
      view.getInt32(controlAt + Cmsghdr.LEVEL, true) === SOL_UDP &&
      view.getInt32(controlAt + Cmsghdr.TYPE, true) === UdpOption.GRO;
    batch.segmentSizes[i] = isGro ? view.getInt32(controlAt + Cmsghdr.DATA, true) : 0;
  }

  private arm(): void {
    const ring = this.ring;
    const at = ring.claim();
    if (at < 0) throw new SystemError('io_uring SQ full while arming multishot recvmsg', Errno.EBUSY);
    ring.prepare(at, Op.RECVMSG, this.fd, this.template.address, 1, RECV_TAG);
    ring.sqeBytes[at + Sqe.FLAGS] = SqeFlag.BUFFER_SELECT;
    ring.sqeBytes[at + Sqe.IOPRIO] = RecvSendFlag.RECV_MULTISHOT;
    ring.sqeBytes[at + Sqe.BUF_INDEX] = this.options.groupId & 0xff;
    ring.sqeBytes[at + Sqe.BUF_INDEX + 1] = this.options.groupId >> 8;
    this.armed = true;
  }

  close(): void {
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring unregistration');
    try {
      reg.view.setUint16(BufReg.BGID, this.options.groupId, true);
      this.ring.register(Register.UNREGISTER_PBUF_RING, reg.address, 1);
    } finally {
      reg.release();
    }
    this.template.release();
    this.bufRing.release();
  }
}

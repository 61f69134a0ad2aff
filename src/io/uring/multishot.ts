// A UDP receive that stays armed: ONE multishot RECVMSG (Linux 6.0) posts a completion per
// datagram (or UDP GRO bundle) on the worker's EventRing, each into a buffer the kernel
// picks from a provided-buffer ring (Linux 5.19). The ring is fed from a BufferPool: a
// batch lends the filled buffers to the datapath, and the next receive() frees them to the
// pool and tops the ring up from it. A burst that runs the ring dry (ENOBUFS) doubles how
// many buffers the kernel is given, so the pool grows; after an idle spell trim() takes the
// extra ones back (a provided ring cannot hand entries back: it is re-registered), so the
// pool can shrink. Receiving costs no system call of its own: the worker's one wait
// harvests the datagrams.
//
// Each buffer the kernel fills is laid out as
//   | io_uring_recvmsg_out (16) | peer sockaddr (SOCKADDR_SLOT) | control (CONTROL_ROOM) | payload ... |
// so the payload of a buffer at offset o starts at o + MULTISHOT_HEADROOM.
// node:perf_hooks' binding, not the global: the global is a lazy accessor, a getter call on every use
import { performance } from 'node:perf_hooks';
import type { BufferPool } from '../../bufferpool/pool.js';
import { createCounters, type DatagramBatch, type IoCounters } from '../batch.js';
import { Errno, errno, SystemError } from '../libc.js';
import { readControl, RECEIVE_CONTROL_ROOM } from '../control-messages.js';
import { MessageFlag, Mmsghdr, Msghdr, SOCKADDR_SLOT } from '../linux-abi.js';
import { NativeArea, setU64, type PacketMemory } from '../native-memory.js';
import { BUFFER_ID_LIMIT, BufReg, BufRingEntry, CQE_BUFFER_SHIFT, CqeFlag, Op, RecvmsgOut, RecvSendFlag, Register, Sqe, SqeFlag } from './abi.js';
import type { CompletionSink, EventRing } from './event-ring.js';

const CONTROL_ROOM = RECEIVE_CONTROL_ROOM;
/** Bytes in front of the payload in every provided buffer. */
export const MULTISHOT_HEADROOM = RecvmsgOut.SIZE + SOCKADDR_SLOT + CONTROL_ROOM;
/** Largest provided-buffer ring the kernel takes. */
const MAX_BUFFERS = 32768;
/** Completions without a buffer that can be queued besides the buffers' (the op's last one, a cancel's). */
const EXTRA_COMPLETIONS = 4;
/**
 * Where a pool buffer is, for inKernel: not in the kernel's hands; posted in the provided
 * ring; or out of a ring that trim() unregistered, while the cancelled op may still report
 * it filled (from the kernel's CQ overflow list).
 */
const Held = { No: 0, Posted: 1, Retired: 2 } as const;


/** What the datapath decides about a socket's receive; the backend adds the group id. */
export interface MultishotSetup {
  /** Where the buffers come from, and go back to once their datagrams are handled. */
  readonly pool: BufferPool;
  /** Provided-buffer ring entries: a power of two, the most buffers the kernel holds at once. */
  readonly ringEntries: number;
  /** Buffers the kernel holds at first and again after an idle spell; at least twice the batches' capacity. */
  readonly initialFill: number;
  /** Bytes of each buffer the kernel may fill, headroom included (at most the pool's buffer size). */
  readonly bufferSize: number;
  /** How long (ms) without the ring running dry before trim() gives the extra buffers back. */
  readonly idleMs: number;
}

export interface MultishotOptions extends MultishotSetup {
  /** Buffer group id, unique per ring. */
  readonly groupId: number;
}

export class MultishotReceiver implements CompletionSink {
  private readonly bufRing: NativeArea;
  private readonly template: NativeArea;
  private readonly tailWords: Uint16Array;
  private readonly pool: BufferPool;
  private tail = 0;
  /** Buffers the kernel holds now, and how many it should hold. */
  private posted = 0;
  private fill: number;
  /** Per pool index: a Held state. */
  private readonly inKernel: Uint8Array;
  /** Buffers in the Retired state: given back to the pool once their op's last completion came. */
  private retired = 0;
  /** When the ring last ran dry (performance.now() ms). */
  private lastDry = 0;
  /** Buffer ids of the last batch, freed at the next receive. */
  private readonly lent: Uint16Array;
  private lentCount = 0;
  /** Completions routed to us, not yet taken by receive(): a ring of results and flags. */
  private readonly results: Int32Array;
  private readonly flags: Uint32Array;
  private queueHead = 0;
  private queued = 0;
  /** RECVMSG ops in the kernel: 1 when armed, 2 for a moment after trim() cancelled one. */
  private armedOps = 0;
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
    const { ringEntries, pool } = options;
    if (ringEntries < 1 || ringEntries > MAX_BUFFERS || (ringEntries & (ringEntries - 1)) !== 0) throw new RangeError(`ring entries must be a power of two up to ${MAX_BUFFERS}`);
    if (options.initialFill < 1 || options.initialFill > ringEntries) throw new RangeError('the initial fill must be between 1 and the ring entries');
    if (options.bufferSize <= MULTISHOT_HEADROOM) throw new RangeError(`buffers must be larger than the ${MULTISHOT_HEADROOM}-byte headroom`);
    if (options.bufferSize > pool.bufferSize) throw new RangeError(`receive buffers of ${options.bufferSize} bytes do not fit the pool's ${pool.bufferSize}`);
    if (pool.capacity > BUFFER_ID_LIMIT) throw new RangeError(`a receive pool holds at most ${BUFFER_ID_LIMIT} buffers (16-bit buffer ids)`);
    this.pool = pool;
    this.fill = options.initialFill;
    this.inKernel = new Uint8Array(pool.capacity);
    this.bufRing = new NativeArea(ringEntries * BufRingEntry.SIZE, 'provided-buffer ring');
    this.tailWords = new Uint16Array(this.bufRing.bytes.buffer);
    this.lent = new Uint16Array(ringEntries);
    this.results = new Int32Array(ringEntries + EXTRA_COMPLETIONS);
    this.flags = new Uint32Array(ringEntries + EXTRA_COMPLETIONS);
    // The msghdr only tells the kernel how much room to leave for the name and control.
    this.template = new NativeArea(Mmsghdr.SIZE, 'multishot msghdr');
    this.template.view.setUint32(Msghdr.NAMELEN, SOCKADDR_SLOT, true);
    setU64(this.template.u32, Msghdr.CONTROLLEN, CONTROL_ROOM);
    try {
      this.registerRing();
    } catch (error) {
      this.template.release();
      this.bufRing.release();
      throw error;
    }
    this.refill(performance.now());
    this.arm();
  }

  /** Buffers the kernel holds now (for tests and statistics). */
  get heldByKernel(): number {
    return this.posted;
  }

  complete(result: number, flags: number): void {
    if (this.closed) return;
    // cannot be full: each buffer completes at most once until given back, plus the ops' ends
    if (this.queued === this.results.length) return;
    if ((flags & CqeFlag.BUFFER) !== 0) {
      const id = flags >>> CQE_BUFFER_SHIFT;
      const held = this.inKernel[id];
      if (held !== Held.No) {
        this.inKernel[id] = Held.No;
        if (held === Held.Posted) this.posted--;
        else this.retired--;
      }
    }
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
   * Never blocks; re-arms the RECVMSG when it ended.
   */
  receive(batch: DatagramBatch): number {
    const pool = this.pool;
    for (let j = 0; j < this.lentCount; j++) pool.free(this.lent[j]);
    this.lentCount = 0;
    if (this.posted < this.fill && !this.closed) this.refill(performance.now());
    let count = 0;
    let failure = 0;
    const capacity = this.results.length;
    const limit = Math.min(batch.capacity, this.lent.length);
    while (this.queued > 0 && count < limit) {
      const result = this.results[this.queueHead];
      const flags = this.flags[this.queueHead];
      this.queueHead = (this.queueHead + 1) % capacity;
      this.queued--;
      if ((flags & CqeFlag.MORE) === 0) this.armedOps--;
      if ((flags & CqeFlag.BUFFER) === 0) {
        // no buffer: the op ended, because the ring ran dry (ENOBUFS) or for a reason to report
        if (result === -Errno.ENOBUFS) this.ranDry();
        else if (result < 0 && result !== -Errno.ECANCELED) failure = -result;
        continue;
      }
      const id = flags >>> CQE_BUFFER_SHIFT;
      this.lent[this.lentCount++] = id;
      this.takeBuffer(batch, count, pool.offsetOf(id));
      count++;
    }
    batch.count = count;
    this.counters.packetsIn += count;
    if (this.armedOps === 0 && !this.closed) {
      // the cancelled op has said its last: what it did not report filled is free
      if (this.retired > 0) this.releaseRetired();
      // the datagrams the socket buffer kept meanwhile need buffers before the new op
      if (this.posted < this.fill) this.refill(performance.now());
      this.arm();
    }
    if (count === 0 && failure !== 0) throw new SystemError('io_uring multishot recvmsg', failure);
    return count;
  }

  /**
   * Called from a timer: once the ring has not run dry for idleMs, gives the buffers beyond
   * the initial fill back to the pool (whose idle release then returns their memory). The
   * kernel cannot hand ring entries back, so the RECVMSG is cancelled and the ring
   * registered anew with the initial fill; datagrams arriving meanwhile wait in the socket.
   */
  trim(now: number): void {
    if (this.closed || this.fill === this.options.initialFill || now - this.lastDry < this.options.idleMs) return;
    this.fill = this.options.initialFill;
    this.retire(false);
    this.registerRing();
    this.refill(now);
    if (this.armedOps === 0) this.arm();
  }

  private ranDry(): void {
    this.counters.receiveExhausted++;
    this.lastDry = performance.now();
    this.fill = Math.min(this.fill * 2, this.options.ringEntries);
  }

  /**
   * Stops the armed op and takes the ring and every buffer still in it back (they go to the
   * pool). Completions are not routed here (the worker's wait does that, and its wake-up
   * logic relies on it): buffers whose completions already wait in the CQ stay taken, or,
   * with `freeWaiting` (closing: nobody will take them), go back to the pool too. A full CQ
   * keeps further completions in the kernel's overflow list, out of sight: when trimming
   * then, the buffers go to the pool only once the cancelled op's last completion came (releaseRetired).
   */
  private retire(freeWaiting: boolean): void {
    const cancelled = this.armedOps > 0;
    if (cancelled) this.events.cancel(this.tag);
    this.events.flush();
    this.claimPosted(freeWaiting);
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring unregistration');
    try {
      reg.view.setUint16(BufReg.BGID, this.options.groupId, true);
      this.events.ring.register(Register.UNREGISTER_PBUF_RING, reg.address, 1);
    } finally {
      reg.release();
    }
    const inKernel = this.inKernel;
    // trimming: a completion of the cancelled op hidden in the overflow list may still name the buffer
    const keep = cancelled && !freeWaiting && this.events.ring.cqOverflowing();
    for (let index = 0; index < inKernel.length; index++) {
      if (inKernel[index] === Held.No) continue;
      if (keep) {
        if (inKernel[index] === Held.Posted) this.retired++;
        inKernel[index] = Held.Retired;
        continue;
      }
      inKernel[index] = Held.No;
      this.pool.free(index);
    }
    this.posted = 0;
    if (!keep) this.retired = 0;
  }

  /** The buffers of a trimmed ring that its cancelled op never filled: back to the pool. */
  private releaseRetired(): void {
    const inKernel = this.inKernel;
    for (let index = 0; index < inKernel.length; index++) {
      if (inKernel[index] !== Held.Retired) continue;
      inKernel[index] = Held.No;
      this.pool.free(index);
    }
    this.retired = 0;
  }

  /** Marks the buffers named by our completions waiting unrouted in the CQ as out of the ring; with `free`, gives them to the pool. */
  private claimPosted(free: boolean): void {
    const ring = this.events.ring;
    for (let k = 0, n = ring.ready(); k < n; k++) {
      const flags = ring.cqeFlags(k);
      if (ring.cqeUserData(k) !== this.tag || (flags & CqeFlag.BUFFER) === 0) continue;
      const id = flags >>> CQE_BUFFER_SHIFT;
      if (this.inKernel[id] === Held.Posted) {
        this.inKernel[id] = Held.No;
        this.posted--;
        if (free) this.pool.free(id);
      }
    }
  }

  private registerRing(): void {
    this.tail = 0;
    Atomics.store(this.tailWords, BufRingEntry.TAIL >> 1, 0);
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring registration');
    try {
      setU64(reg.u32, BufReg.RING_ADDR, this.bufRing.address);
      reg.view.setUint32(BufReg.RING_ENTRIES, this.options.ringEntries, true);
      reg.view.setUint16(BufReg.BGID, this.options.groupId, true);
      if (this.events.ring.register(Register.PBUF_RING, reg.address, 1) < 0) throw new SystemError('IORING_REGISTER_PBUF_RING', errno());
    } finally {
      reg.release();
    }
  }

  /** Gives the kernel pool buffers until it holds `fill`; at the pool's ceiling it holds fewer (a dry ring ends in ENOBUFS, counted). */
  private refill(now: number): void {
    const pool = this.pool;
    while (this.posted < this.fill) {
      const index = pool.alloc(now);
      if (index < 0) break;
      this.provide(index);
    }
    Atomics.store(this.tailWords, BufRingEntry.TAIL >> 1, this.tail);
  }

  private provide(index: number): void {
    const at = (this.tail & (this.options.ringEntries - 1)) * BufRingEntry.SIZE;
    const ring = this.bufRing;
    setU64(ring.u32, at + BufRingEntry.ADDR, this.packets.base + this.pool.offsetOf(index));
    ring.view.setUint32(at + BufRingEntry.LEN, this.options.bufferSize, true);
    ring.view.setUint16(at + BufRingEntry.BID, index, true);
    this.tail = (this.tail + 1) & (BUFFER_ID_LIMIT - 1);
    this.inKernel[index] = Held.Posted;
    this.posted++;
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
    readControl(bytes, view, offset + RecvmsgOut.SIZE + SOCKADDR_SLOT, Math.min(controlLength, CONTROL_ROOM), batch, i);
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
    this.armedOps++;
    this.counters.receiveArms++;
  }

  /** Ends the armed RECVMSG at once (the caller closes the socket next), drops the buffer ring and gives every buffer back to the pool. */
  close(): void {
    if (this.closed) return;
    // completions routed after this are ignored: retire gives their buffers back now
    this.closed = true;
    this.retire(true);
    const pool = this.pool;
    for (let j = 0; j < this.lentCount; j++) pool.free(this.lent[j]);
    this.lentCount = 0;
    for (; this.queued > 0; this.queued--) {
      const flags = this.flags[this.queueHead];
      if ((flags & CqeFlag.BUFFER) !== 0) pool.free(flags >>> CQE_BUFFER_SHIFT);
      this.queueHead = (this.queueHead + 1) % this.results.length;
    }
    this.template.release();
    this.bufRing.release();
  }
}

// The provided-buffer ring (Linux 5.19) that ALL of a worker's UDP sockets receive into:
// every socket's multishot RECVMSG (multishot.ts) selects from this one buffer group, so
// the kernel hands a buffer to whichever socket a datagram arrives on. An idle socket holds
// none: a thousand per-peer sockets cost the buffers their traffic needs, not a ring of
// buffers each (which the packet memory limit could not hold: 1,000 × 32 GRO buffers of 64 KiB).
//
// The ring is fed from a BufferPool. A burst that runs it dry (ENOBUFS) doubles how many
// buffers it is given, so the pool grows; after an idle spell trim() takes the extra ones
// back (a provided ring cannot hand entries back: it is re-registered), so the pool can
// shrink. A receive whose op ended on an empty ring is not re-armed then (it would end
// with ENOBUFS at once, again and again): it waits, its datagrams kept in the socket
// buffer, until handled batches give their buffers back, and is armed by the refill.
//
// One per event ring: a completion that carries a buffer id on that ring names one of ours.
// node:perf_hooks' binding, not the global: the global is a lazy accessor, a getter call on every use
import { performance } from 'node:perf_hooks';
import type { BufferPool } from '../../bufferpool/pool.js';
import { RECEIVE_CONTROL_ROOM } from '../control-messages.js';
import { errno, SystemError } from '../libc.js';
import { Mmsghdr, Msghdr, SOCKADDR_SLOT } from '../linux-abi.js';
import { NativeArea, setU64, type PacketMemory } from '../native-memory.js';
import { BUFFER_ID_LIMIT, BufReg, BufRingEntry, CQE_BUFFER_SHIFT, CqeFlag, Register } from './abi.js';
import type { EventRing } from './event-ring.js';
import { MULTISHOT_HEADROOM } from './multishot.js';

/** Largest provided-buffer ring the kernel takes. */
const MAX_BUFFERS = 32768;
/**
 * Where a pool buffer is, for inKernel: not in the kernel's hands; posted in the ring; or
 * out of a ring that trim() unregistered, while a cancelled op may still report it filled
 * (from the kernel's CQ overflow list).
 */
const Held = { No: 0, Posted: 1, Retired: 2 } as const;

export interface ProvidedRingOptions {
  /** Where the buffers come from, and go back to once their datagrams are handled. */
  readonly pool: BufferPool;
  /** Ring entries: a power of two, the most buffers the kernel holds at once. */
  readonly ringEntries: number;
  /** Buffers the kernel holds at first and again after an idle spell. */
  readonly initialFill: number;
  /** Bytes of each buffer the kernel may fill, headroom included (at most the pool's buffer size). */
  readonly bufferSize: number;
  /** How long (ms) without the ring running dry before trim() gives the extra buffers back. */
  readonly idleMs: number;
  /** Buffer group id, unique per io_uring. */
  readonly groupId: number;
}

/** What the ring does with the receives that select from it. */
export interface RingReceiver {
  /** Arms the receive's RECVMSG (the ring holds buffers again). */
  arm(): void;
  /** Asks the kernel to end the armed RECVMSG (trim); false when none is armed. */
  cancel(): boolean;
}

export class ProvidedRing {
  readonly options: ProvidedRingOptions;
  /** The msghdr every RECVMSG names: it only tells the kernel how much room to leave for the name and control. */
  readonly template: NativeArea;
  private readonly bufRing: NativeArea;
  private readonly tailWords: Uint16Array;
  private readonly pool: BufferPool;
  private tail = 0;
  /** Buffers the kernel holds now, and how many it should hold. */
  private posted = 0;
  private fill: number;
  /** Per pool index: a Held state. */
  private readonly inKernel: Uint8Array;
  /** Buffers in the Retired state: given back to the pool once the cancelled ops said their last. */
  private retired = 0;
  /** Ops trim() cancelled whose last completion has not been taken yet. */
  private cancelling = 0;
  /** When the ring last ran dry (performance.now() ms). */
  private lastDry = 0;
  private readonly receivers = new Set<RingReceiver>();
  /** Receives whose op ended while the ring was empty: armed once it holds buffers again. */
  private starving: RingReceiver[] = [];
  private closed = false;

  constructor(
    private readonly events: EventRing,
    private readonly packets: PacketMemory,
    options: ProvidedRingOptions,
  ) {
    const { ringEntries, pool } = options;
    if (ringEntries < 1 || ringEntries > MAX_BUFFERS || (ringEntries & (ringEntries - 1)) !== 0) throw new RangeError(`ring entries must be a power of two up to ${MAX_BUFFERS}`);
    if (options.initialFill < 1 || options.initialFill > ringEntries) throw new RangeError('the initial fill must be between 1 and the ring entries');
    if (options.bufferSize <= MULTISHOT_HEADROOM) throw new RangeError(`buffers must be larger than the ${MULTISHOT_HEADROOM}-byte headroom`);
    if (options.bufferSize > pool.bufferSize) throw new RangeError(`receive buffers of ${options.bufferSize} bytes do not fit the pool's ${pool.bufferSize}`);
    if (pool.capacity > BUFFER_ID_LIMIT) throw new RangeError(`a receive pool holds at most ${BUFFER_ID_LIMIT} buffers (16-bit buffer ids)`);
    this.options = options;
    this.pool = pool;
    this.fill = options.initialFill;
    this.inKernel = new Uint8Array(pool.capacity);
    this.bufRing = new NativeArea(ringEntries * BufRingEntry.SIZE, 'provided-buffer ring');
    this.tailWords = new Uint16Array(this.bufRing.bytes.buffer);
    this.template = new NativeArea(Mmsghdr.SIZE, 'multishot msghdr');
    this.template.view.setUint32(Msghdr.NAMELEN, SOCKADDR_SLOT, true);
    setU64(this.template.u32, Msghdr.CONTROLLEN, RECEIVE_CONTROL_ROOM);
    try {
      this.registerRing();
    } catch (error) {
      this.template.release();
      this.bufRing.release();
      throw error;
    }
    this.refill(performance.now());
  }

  /** Buffers the kernel holds now (for tests and statistics). */
  get heldByKernel(): number {
    return this.posted;
  }

  /** Receives waiting for buffers (for tests). */
  get waitingForBuffers(): number {
    return this.starving.length;
  }

  add(receiver: RingReceiver): void {
    this.receivers.add(receiver);
  }

  /** The receive closed: it is neither armed nor cancelled by the ring again. */
  remove(receiver: RingReceiver): void {
    this.receivers.delete(receiver);
    const at = this.starving.indexOf(receiver);
    if (at >= 0) this.starving.splice(at, 1);
  }

  /** A completion named buffer `id`: the kernel has let go of it. */
  taken(id: number): void {
    const held = this.inKernel[id];
    if (held === Held.No) return;
    this.inKernel[id] = Held.No;
    if (held === Held.Posted) this.posted--;
    else this.retired--;
  }

  /** A buffer whose datagram was handled goes back to the pool. */
  free(id: number): void {
    this.pool.free(id);
  }

  /** A receive ended with ENOBUFS: the ring is given more buffers from now on. */
  ranDry(): void {
    this.lastDry = performance.now();
    this.fill = Math.min(this.fill * 2, this.options.ringEntries);
  }

  /** Gives the kernel buffers up to the fill, if it holds fewer; then arms the receives that waited for them. */
  topUp(): void {
    if (this.posted < this.fill && !this.closed) this.refill(performance.now());
  }

  /** `receiver`'s op ended: armed again at once if the ring holds buffers, else once it does. */
  rearm(receiver: RingReceiver): void {
    this.topUp();
    if (this.posted > 0) receiver.arm();
    else this.starving.push(receiver);
  }

  /** The last completion of an op trim() cancelled was taken: once all have been, what they did not fill is free. */
  cancelEnded(): void {
    this.cancelling--;
    if (this.cancelling === 0 && this.retired > 0) this.releaseRetired();
  }

  /**
   * Called from a timer: once the ring has not run dry for idleMs, gives the buffers beyond
   * the initial fill back to the pool (whose idle release then returns their memory). The
   * kernel cannot hand ring entries back, so every RECVMSG is cancelled and the ring
   * registered anew with the initial fill; datagrams arriving meanwhile wait in the sockets,
   * and each receive is armed again once its cancelled op's last completion is taken.
   */
  trim(now: number): void {
    if (this.closed || this.fill === this.options.initialFill || now - this.lastDry < this.options.idleMs) return;
    this.fill = this.options.initialFill;
    let cancelled = 0;
    for (const receiver of this.receivers) if (receiver.cancel()) cancelled++;
    this.cancelling += cancelled;
    this.events.flush();
    this.claimPosted();
    this.unregisterRing();
    // a completion of a cancelled op hidden in the CQ's overflow list may still name the buffer
    const keep = this.cancelling > 0 && this.events.ring.cqOverflowing();
    const inKernel = this.inKernel;
    for (let index = 0; index < inKernel.length; index++) {
      const held = inKernel[index];
      if (held === Held.No || (held === Held.Retired && keep)) continue;
      if (keep) {
        inKernel[index] = Held.Retired;
        this.retired++;
        continue;
      }
      inKernel[index] = Held.No;
      this.pool.free(index);
    }
    this.posted = 0;
    if (!keep) this.retired = 0;
    this.registerRing();
    this.refill(now);
  }

  /** Drops the ring and gives every buffer it holds back to the pool (after the receives closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.starving = [];
    this.unregisterRing();
    const inKernel = this.inKernel;
    for (let index = 0; index < inKernel.length; index++) {
      if (inKernel[index] === Held.No) continue;
      inKernel[index] = Held.No;
      this.pool.free(index);
    }
    this.posted = 0;
    this.retired = 0;
    this.template.release();
    this.bufRing.release();
  }

  /** The buffers of a trimmed ring that the cancelled ops never filled: back to the pool. */
  private releaseRetired(): void {
    const inKernel = this.inKernel;
    for (let index = 0; index < inKernel.length; index++) {
      if (inKernel[index] !== Held.Retired) continue;
      inKernel[index] = Held.No;
      this.pool.free(index);
    }
    this.retired = 0;
  }

  /** Marks the buffers named by completions waiting unrouted in the CQ as out of the kernel's hands (their receives get them). */
  private claimPosted(): void {
    const ring = this.events.ring;
    for (let k = 0, n = ring.ready(); k < n; k++) {
      const flags = ring.cqeFlags(k);
      if ((flags & CqeFlag.BUFFER) !== 0) this.taken(flags >>> CQE_BUFFER_SHIFT);
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

  private unregisterRing(): void {
    const reg = new NativeArea(BufReg.SIZE, 'buffer ring unregistration');
    try {
      reg.view.setUint16(BufReg.BGID, this.options.groupId, true);
      this.events.ring.register(Register.UNREGISTER_PBUF_RING, reg.address, 1);
    } finally {
      reg.release();
    }
  }

  /**
   * Gives the kernel pool buffers until it holds `fill` (at the pool's ceiling fewer: a dry
   * ring ends a receive with ENOBUFS), then arms the receives that waited for buffers.
   */
  private refill(now: number): void {
    const pool = this.pool;
    while (this.posted < this.fill) {
      const index = pool.alloc(now);
      if (index < 0) break;
      this.provide(index);
    }
    Atomics.store(this.tailWords, BufRingEntry.TAIL >> 1, this.tail);
    if (this.posted === 0 || this.starving.length === 0) return;
    const waiting = this.starving;
    this.starving = [];
    for (const receiver of waiting) receiver.arm();
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
}

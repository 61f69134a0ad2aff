// A datapath worker's UDP sockets and the I/O backend they (and the TUN/TAP queues) run on:
// io_uring, with one ring for all of this worker's fds, or recvmmsg/sendmmsg. Each socket
// has the outgoing batch the Sender fills. Sockets are drained one at a time and a drained
// batch is done with, so all of them share the batch the kernel fills and the per-datagram
// batch the receive path reads (with UDP GRO the kernel fills fewer, larger buffers): a
// thousand per-peer sockets need one set of receive memory. On io_uring the multishot
// receives take their buffers from the worker's provided-buffer ring instead, fed from a
// receive pool of its own. A removed socket's outgoing batch serves the next socket.
//
// Each socket's receive queue is kept short by CoDel (pipeline/codel.ts), on the receive time
// the kernel stamps every datagram with (SO_TIMESTAMPNS), and by a kernel buffer that holds a
// few ms of what the worker takes (receive-buffer.ts), for the times the worker is not running.
//
// Written by this worker's thread alone; the fds are the worker's own duplicates (the GRO and
// timestamp options set on one are the socket's, shared with the control plane's copy, which never reads).
import { BufferPool } from '../../bufferpool/pool.js';
import { createBackend, type IoBackend } from '../../io/backend.js';
import { createDatagramBatch, type DatagramBatch, type DatagramIo, type IoCounters } from '../../io/batch.js';
import { close } from '../../io/libc.js';
import { UDP_MAX_SEGMENTS } from '../../io/linux-abi.js';
import { enableReceiveTimestamps, enableUdpGro, probeUdpOffloads, socketDrops } from '../../io/udp.js';
import { BUFFER_ID_LIMIT } from '../../io/uring/abi.js';
import { MULTISHOT_HEADROOM } from '../../io/uring/multishot.js';
import { ProvidedRing } from '../../io/uring/provided-ring.js';
import type { InitMessage } from './messages.js';
import { CoDel } from './pipeline/codel.js';
import { ReceiveBuffer } from './receive-buffer.js';
import type { DatapathMemory } from './memory.js';
import { BATCH, CACHE_LINE, POOL_IDLE_MS, TAILROOM } from './sizes.js';
import { DropReason, type DatapathStats } from './tables/stats.js';

/** A socket's outgoing batch, with what each entry means for the statistics and the pool. */
export interface Outgoing {
  readonly batch: DatagramBatch;
  /** Peer each entry is sent for, NO_PEER for control packets (not counted). */
  readonly peerOf: Int32Array;
  /** Payload bytes of each entry, as fastd counts them (before sealing). */
  readonly payloadBytes: Uint32Array;
  /** Who gets each entry's memory back once it is sent (buffer-owner.ts). */
  readonly owner: Int32Array;
}

export interface Socket {
  readonly id: number;
  readonly fd: number;
  readonly io: DatagramIo & { readonly counters: IoCounters };
  /** What the kernel fills: with UDP GRO, GRO_ENTRIES buffers that hold up to UDP_MAX_SEGMENTS datagrams each. */
  readonly raw: DatagramBatch;
  /** One entry per datagram (split from raw by offset arithmetic with GRO; raw itself without). */
  readonly receive: DatagramBatch;
  readonly out: Outgoing;
  /** Drops data that queued too long before the worker took it (the receive path asks it per datagram). */
  readonly codel: CoDel;
  /** The kernel's receive buffer, sized by the time it holds (the receive path reports what it takes). */
  readonly buffer: ReceiveBuffer;
}

/** The receive batches all sockets share, with their memory. */
type ReceiveBatches = Pick<Socket, 'raw' | 'receive'>;

/**
 * Buffers the receive ring holds at first, per entry of a receive batch: while the datapath
 * holds one batch's buffers, the kernel still has as many to fill, so a burst rarely runs it dry.
 */
const RECEIVE_RING_PER_ENTRY = 2;
/** How far bursts can grow the receive ring beyond its initial fill. */
const RECEIVE_RING_GROWTH = 4;
/** The receive ring's buffer group id: the only one on the worker's event ring. */
const RECEIVE_RING_GROUP = 0;
/** Share of the worker's packet memory the receive pool may take (the packet pool takes half). */
const RECEIVE_POOL_SHARE = 1 / 4;

/** Entries of the shared receive batch with UDP GRO, each room for the largest UDP payload. */
export const GRO_ENTRIES = 16;
/** Room in each UDP GRO receive buffer: 64 KiB, the most one coalesced datagram can carry. */
export const GRO_ROOM = 65536;

export class UdpSockets {
  /** By socket id; undefined where none is open. */
  readonly list: (Socket | undefined)[] = [];
  /** io_uring (one ring for all of this worker's fds) or the recvmmsg/sendmmsg fallback. */
  readonly backend: IoBackend;
  /** UDP GRO on the sockets: the kernel hands over same-size datagrams of one sender coalesced. */
  readonly gro: boolean;
  /** UDP GSO on the sockets: a run of same-size datagrams to one address goes out as one send. */
  readonly gso: boolean;
  /**
   * io_uring: what the sockets' multishot receives feed the kernel from, its own size class
   * (a UDP GRO bundle with GRO), so it grows under a burst and shrinks when idle; null otherwise.
   */
  readonly receivePool: BufferPool | null = null;
  /** io_uring: the ring of receive-pool buffers every socket's multishot receive picks from; null otherwise. */
  readonly receiveRing: ProvidedRing | null = null;
  private shared: ReceiveBatches | null = null;
  private readonly spare: Outgoing[] = [];

  constructor(
    init: InitMessage,
    private readonly memory: DatapathMemory,
    private readonly stats: DatapathStats,
  ) {
    const offloads = probeUdpOffloads();
    this.gso = offloads.gso && init.gso !== false;
    this.gro = offloads.gro && init.gro !== false;
    this.backend = createBackend(memory.io, { prefer: init.ioBackend ?? 'io_uring', ringEntries: 4 * BATCH, eventRing: init.eventRing !== false });
    if (!this.backend.events) return;
    const size = Math.ceil((MULTISHOT_HEADROOM + this.receiveRoom() + TAILROOM) / CACHE_LINE) * CACHE_LINE;
    const most = Math.min(BUFFER_ID_LIMIT, Math.floor((memory.windowBytes * RECEIVE_POOL_SHARE) / size));
    this.receivePool = new BufferPool(memory.allocator, {
      bufferSize: size,
      buffersPerChunk: this.gro ? GRO_ENTRIES : BATCH,
      maxBuffers: most,
      minChunks: 1,
      idleReleaseMs: POOL_IDLE_MS,
    });
    const initialFill = (this.gro ? GRO_ENTRIES : BATCH) * RECEIVE_RING_PER_ENTRY;
    this.receiveRing = new ProvidedRing(this.backend.events, memory.io, {
      pool: this.receivePool,
      ringEntries: initialFill * RECEIVE_RING_GROWTH,
      initialFill,
      bufferSize: MULTISHOT_HEADROOM + this.receiveRoom(),
      idleMs: POOL_IDLE_MS,
      groupId: RECEIVE_RING_GROUP,
    });
  }

  /** Bytes each raw receive buffer takes (the tailroom stays free for kernels that round up to their block size). */
  receiveRoom(): number {
    return this.gro ? GRO_ROOM : this.memory.bufferSize - TAILROOM;
  }

  add(id: number, fd: number): void {
    // GRO and timestamps first: a multishot receive armed before could hand over a datagram without them
    if (this.gro) enableUdpGro(fd);
    enableReceiveTimestamps(fd);
    const { raw, receive } = (this.shared ??= this.receiveBatches());
    const out = this.spare.pop() ?? outgoing();
    const io = this.backend.datagrams(fd, { capacity: BATCH, gso: this.gso, multishot: this.receiveRing ?? undefined });
    this.stats.ioCounters.add(io.counters);
    this.list[id] = { id, fd, io, raw, receive, out, codel: new CoDel(), buffer: new ReceiveBuffer() };
  }

  /** Closes a socket the control plane opened for one peer; the caller sends what is queued on it first (control.ts flushes). */
  remove(id: number): void {
    const socket = this.list[id];
    if (!socket) return;
    socket.io.close();
    close(socket.fd);
    this.list[id] = undefined;
    this.spare.push(socket.out);
    this.stats.ioCounters.remove(socket.io.counters);
  }

  /** Called from the timer: counts what the kernel dropped at the sockets' receive buffers since (a system call for each socket that received). */
  countDrops(): void {
    for (const socket of this.list) {
      if (socket?.buffer.tookSince()) this.stats.drop(DropReason.ReceiveBuffer, socket.buffer.newDrops(socketDrops(socket.fd)));
    }
  }

  /** Called from the timer: the receive ring gives back what an idle spell left unused, then its pool (its buffers count as free then). */
  maintain(now: number): void {
    if (!this.receivePool) return;
    this.receiveRing?.trim(now);
    this.receivePool.maintain(now);
  }

  /** Closes the sockets, the receive ring and the backend: call when nothing else uses the backend (the queues closed). */
  close(): void {
    for (const socket of this.list) {
      if (!socket) continue;
      socket.io.close();
      close(socket.fd);
    }
    this.receiveRing?.close();
    this.backend.close();
  }

  private receiveBatches(): ReceiveBatches {
    if (this.backend.events) {
      // the kernel picks the buffers: raw's entries are set by each receive
      const raw = createDatagramBatch(this.gro ? GRO_ENTRIES : BATCH);
      return { raw, receive: this.gro ? createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS) : raw };
    }
    if (this.gro) {
      const buffer = GRO_ROOM + TAILROOM;
      const raw = createDatagramBatch(GRO_ENTRIES);
      const at = this.memory.allocator.reserve(GRO_ENTRIES * buffer);
      if (at < 0) throw new Error('packet memory ceiling too low for the UDP GRO receive buffers');
      for (let i = 0; i < GRO_ENTRIES; i++) raw.offsets[i] = at + i * buffer;
      return { raw, receive: createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS) };
    }
    const raw = createDatagramBatch(BATCH);
    for (let i = 0; i < BATCH; i++) raw.offsets[i] = this.memory.fixedBuffer();
    return { raw, receive: raw };
  }
}

function outgoing(): Outgoing {
  return { batch: createDatagramBatch(BATCH), peerOf: new Int32Array(BATCH), payloadBytes: new Uint32Array(BATCH), owner: new Int32Array(BATCH) };
}

// A datapath worker's UDP sockets, each with the batch the kernel fills, the per-datagram
// batch the receive path reads, and the outgoing batch the Sender fills. With UDP GRO the
// kernel fills fewer, larger buffers; on io_uring a multishot receive takes its buffers from
// the worker's receive pool instead. A removed socket's batches, with the receive memory
// they hold (taken from the packet memory for good), serve the next socket.
import { createDatagramBatch, type DatagramBatch, type DatagramIo, type IoCounters } from '../../io/batch.js';
import { close } from '../../io/libc.js';
import { UDP_MAX_SEGMENTS } from '../../io/linux-abi.js';
import { enableUdpGro } from '../../io/udp.js';
import { MULTISHOT_HEADROOM, type MultishotSetup } from '../../io/uring/multishot.js';
import type { Datapath } from './context.js';
import { BATCH, POOL_IDLE_MS, TAILROOM } from './sizes.js';

/** A socket's outgoing batch, with what each entry means for the statistics and the pool. */
export interface Outgoing {
  readonly batch: DatagramBatch;
  /** Peer each entry is sent for, NO_PEER for control packets (not counted). */
  readonly peerOf: Int32Array;
  /** Payload bytes of each entry, as fastd counts them (before sealing). */
  readonly payloadBytes: Uint32Array;
  /**
   * What to give back once the entry is sent: a pool index, NO_OWNER (-1: nothing, the memory
   * is owned elsewhere), or a buffer lent by another worker (below -1, handoff.ts lentOwner).
   */
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
  /** io_uring: how its multishot receive feeds the kernel from the receive pool (raw's entries point into those buffers). */
  readonly multishot?: MultishotSetup;
}

/** A socket's batches and their memory, which outlive the socket. */
type SocketBatches = Pick<Socket, 'raw' | 'receive' | 'out' | 'multishot'>;

/** Receive buffers per socket with UDP GRO, each room for the largest UDP payload. */
export const GRO_ENTRIES = 16;
/** Room in each UDP GRO receive buffer: 64 KiB, the most one coalesced datagram can carry. */
export const GRO_ROOM = 65536;
/**
 * Multishot receive buffers per raw batch entry: while the datapath holds one batch's
 * buffers, the kernel still has as many to fill, so a burst rarely runs it dry.
 */
const MULTISHOT_BUFFERS_PER_ENTRY = 2;
/** How far bursts can grow a socket's provided-buffer ring beyond its initial fill. */
const MULTISHOT_RING_GROWTH = 4;

export class UdpSockets {
  /** By socket id; undefined where none is open. */
  readonly list: (Socket | undefined)[] = [];
  private readonly spare: SocketBatches[] = [];
  constructor(private readonly dp: Datapath) {}

  add(id: number, fd: number): void {
    const dp = this.dp;
    // GRO first: a multishot receive armed before it could hand over an uncoalesced datagram.
    // The option is the socket's, shared with the control plane's copy of the fd; only this worker reads it.
    if (dp.gro) enableUdpGro(fd);
    const batches = this.spare.pop() ?? this.batches();
    const io = dp.backend.datagrams(fd, { capacity: BATCH, gso: dp.gso, multishot: batches.multishot });
    dp.ioCounters.add(io.counters);
    this.list[id] = { id, fd, io, ...batches };
  }

  /** Closes a socket the control plane opened for one peer; the caller sends what is queued on it first (control.ts flushes). */
  remove(id: number): void {
    const socket = this.list[id];
    if (!socket) return;
    socket.io.close();
    close(socket.fd);
    this.list[id] = undefined;
    this.spare.push({ raw: socket.raw, receive: socket.receive, out: socket.out, multishot: socket.multishot });
    this.dp.ioCounters.remove(socket.io.counters);
  }

  close(): void {
    for (const socket of this.list) {
      if (!socket) continue;
      socket.io.close();
      close(socket.fd);
    }
  }

  private batches(): SocketBatches {
    const dp = this.dp;
    let raw: DatagramBatch;
    let receive: DatagramBatch;
    let multishot: SocketBatches['multishot'];
    if (dp.backend.events) {
      // the kernel picks the buffers: raw's entries are set by each receive
      raw = createDatagramBatch(dp.gro ? GRO_ENTRIES : BATCH);
      receive = dp.gro ? createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS) : raw;
      const initialFill = raw.capacity * MULTISHOT_BUFFERS_PER_ENTRY;
      multishot = {
        pool: dp.receivePool!,
        ringEntries: initialFill * MULTISHOT_RING_GROWTH,
        initialFill,
        bufferSize: MULTISHOT_HEADROOM + dp.receiveRoom(),
        idleMs: POOL_IDLE_MS,
      };
    } else if (dp.gro) {
      const buffer = GRO_ROOM + TAILROOM;
      raw = createDatagramBatch(GRO_ENTRIES);
      const at = dp.memory.reserve(GRO_ENTRIES * buffer);
      if (at < 0) throw new Error('packet memory ceiling too low for the UDP GRO receive buffers');
      for (let i = 0; i < GRO_ENTRIES; i++) raw.offsets[i] = at + i * buffer;
      receive = createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS);
    } else {
      raw = receive = createDatagramBatch(BATCH);
      for (let i = 0; i < BATCH; i++) receive.offsets[i] = dp.fixedBuffer();
    }
    const out: Outgoing = {
      batch: createDatagramBatch(BATCH),
      peerOf: new Int32Array(BATCH),
      payloadBytes: new Uint32Array(BATCH),
      owner: new Int32Array(BATCH),
    };
    return { raw, receive, out, multishot };
  }
}

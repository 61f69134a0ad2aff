// A datapath worker's UDP sockets, each with the outgoing batch the Sender fills. Sockets
// are drained one at a time and a drained batch is done with, so all of them share the
// batch the kernel fills and the per-datagram batch the receive path reads (with UDP GRO
// the kernel fills fewer, larger buffers): a thousand per-peer sockets need one set of
// receive memory. On io_uring the multishot receives take their buffers from the worker's
// provided-buffer ring instead. A removed socket's outgoing batch serves the next socket.
import { createDatagramBatch, type DatagramBatch, type DatagramIo, type IoCounters } from '../../io/batch.js';
import { close } from '../../io/libc.js';
import { UDP_MAX_SEGMENTS } from '../../io/linux-abi.js';
import { enableUdpGro } from '../../io/udp.js';
import type { Datapath } from './context.js';
import { BATCH, TAILROOM } from './sizes.js';

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
}

/** The receive batches all sockets share, with their memory. */
type ReceiveBatches = Pick<Socket, 'raw' | 'receive'>;

/** Entries of the shared receive batch with UDP GRO, each room for the largest UDP payload. */
export const GRO_ENTRIES = 16;
/** Room in each UDP GRO receive buffer: 64 KiB, the most one coalesced datagram can carry. */
export const GRO_ROOM = 65536;

export class UdpSockets {
  /** By socket id; undefined where none is open. */
  readonly list: (Socket | undefined)[] = [];
  private shared: ReceiveBatches | null = null;
  private readonly spare: Outgoing[] = [];
  constructor(private readonly dp: Datapath) {}

  add(id: number, fd: number): void {
    const dp = this.dp;
    // GRO first: a multishot receive armed before it could hand over an uncoalesced datagram.
    // The option is the socket's, shared with the control plane's copy of the fd; only this worker reads it.
    if (dp.gro) enableUdpGro(fd);
    const { raw, receive } = (this.shared ??= this.receiveBatches());
    const out = this.spare.pop() ?? outgoing();
    const io = dp.backend.datagrams(fd, { capacity: BATCH, gso: dp.gso, multishot: dp.receiveRing ?? undefined });
    dp.ioCounters.add(io.counters);
    this.list[id] = { id, fd, io, raw, receive, out };
  }

  /** Closes a socket the control plane opened for one peer; the caller sends what is queued on it first (control.ts flushes). */
  remove(id: number): void {
    const socket = this.list[id];
    if (!socket) return;
    socket.io.close();
    close(socket.fd);
    this.list[id] = undefined;
    this.spare.push(socket.out);
    this.dp.ioCounters.remove(socket.io.counters);
  }

  close(): void {
    for (const socket of this.list) {
      if (!socket) continue;
      socket.io.close();
      close(socket.fd);
    }
  }

  private receiveBatches(): ReceiveBatches {
    const dp = this.dp;
    if (dp.backend.events) {
      // the kernel picks the buffers: raw's entries are set by each receive
      const raw = createDatagramBatch(dp.gro ? GRO_ENTRIES : BATCH);
      return { raw, receive: dp.gro ? createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS) : raw };
    }
    if (dp.gro) {
      const buffer = GRO_ROOM + TAILROOM;
      const raw = createDatagramBatch(GRO_ENTRIES);
      const at = dp.memory.reserve(GRO_ENTRIES * buffer);
      if (at < 0) throw new Error('packet memory ceiling too low for the UDP GRO receive buffers');
      for (let i = 0; i < GRO_ENTRIES; i++) raw.offsets[i] = at + i * buffer;
      return { raw, receive: createDatagramBatch(GRO_ENTRIES * UDP_MAX_SEGMENTS) };
    }
    const raw = createDatagramBatch(BATCH);
    for (let i = 0; i < BATCH; i++) raw.offsets[i] = dp.fixedBuffer();
    return { raw, receive: raw };
  }
}

function outgoing(): Outgoing {
  return { batch: createDatagramBatch(BATCH), peerOf: new Int32Array(BATCH), payloadBytes: new Uint32Array(BATCH), owner: new Int32Array(BATCH) };
}

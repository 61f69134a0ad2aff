// The worker's side of the statistics tables in messages.ts: per-peer and global counters
// in SharedArrayBuffers that only this worker writes and the control plane reads whenever
// it likes (a status request), so counting never costs a message. The peer table is this
// worker's own (the control plane sums the workers' rows of a peer), so a peer that moves
// between workers never has two threads adding to one number. The io layer's counters
// (syscalls, GSO, offloads) are running totals in the io objects themselves; the statistics
// timer sums them into the global table.
import type { BufferPoolStats } from '../../../bufferpool/pool.js';
import { createCounters, type IoCounters } from '../../../io/batch.js';
import type { OffloadCounters } from '../../../io/offload/offload-frame-io.js';
import { CounterTotals } from './counter-totals.js';
import { epochOf } from './epoch-time.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, PeerStat } from '../messages.js';

/** The packet/byte counter pairs fastd keeps (fastd_stat_type_t); the byte counter follows the packet counter. */
export const Counter = {
  Rx: PeerStat.RxPackets,
  RxReordered: PeerStat.RxReorderedPackets,
  Tx: PeerStat.TxPackets,
  TxDropped: PeerStat.TxDroppedPackets,
  TxError: PeerStat.TxErrorPackets,
} as const;
export type Counter = (typeof Counter)[keyof typeof Counter];

/** Why the worker dropped a received packet (global counters only: the peer may be unknown). */
export const DropReason = {
  Malformed: GlobalStat.DropMalformed,
  UnknownAddress: GlobalStat.DropUnknownAddress,
  Auth: GlobalStat.DropAuth,
  Replay: GlobalStat.DropReplay,
  /** Not received but handed between workers: the ring to the peer's owner was full. */
  Handoff: GlobalStat.DropHandoff,
  /** A handshake while the control plane had HANDSHAKES_IN_FLIGHT of this worker's still to take. */
  Handshake: GlobalStat.DropHandshake,
  /** A handshake over its source's or the global token bucket (handshake-limiter.ts). */
  HandshakeRate: GlobalStat.DropHandshakeRate,
  /** Data CoDel dropped before opening it: the socket's queue stood too long. */
  Queue: GlobalStat.DropQueue,
  /** Not received: the kernel dropped it at the socket's receive buffer, sized by time (receive-buffer.ts). */
  ReceiveBuffer: GlobalStat.DropReceiveBuffer,
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];


export class DatapathStats {
  /** I/O counters of every socket and queue, also of removed ones. */
  readonly ioCounters = new CounterTotals<IoCounters>(createCounters());
  /** Offload counters of every offloading queue, also of removed ones. */
  readonly offloadCounters = new CounterTotals<OffloadCounters>({ segmented: 0, segments: 0, checksummed: 0, dropped: 0, coalesced: 0, coalescedFrames: 0 });
  /** Rows of the peer table, one per peerId; replaced by a larger copy when a peerId does not fit. */
  private peers: Float64Array;
  private readonly global: Float64Array;
  /** Offload drops already counted as malformed: the offload counters are running totals. */
  private offloadDropsCounted = 0;

  constructor(peerStats: SharedArrayBuffer, globalStats: SharedArrayBuffer) {
    this.peers = new Float64Array(peerStats);
    this.global = new Float64Array(globalStats, 0, GLOBAL_STATS_FIELDS);
  }

  /** Peers the table has rows for. */
  get peerCapacity(): number {
    return Math.floor(this.peers.length / PEER_STATS_FIELDS);
  }

  /**
   * Makes room for `peerId` (control-plane work, before the peer is added): a table too small
   * is copied into a new one at least twice its size, which the returned buffer is, for the
   * control plane to read from now on (the old one keeps the counts as of the copy). Undefined
   * when the row exists.
   */
  fit(peerId: number): SharedArrayBuffer | undefined {
    const rows = this.peerCapacity;
    if (peerId < rows) return undefined;
    const buffer = new SharedArrayBuffer(Math.max(2 * rows, peerId + 1) * PEER_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT);
    const peers = new Float64Array(buffer);
    peers.set(this.peers);
    this.peers = peers;
    return buffer;
  }

  /** Zeroes a peer's row: rows are reused after a peer is removed. */
  resetPeer(peerId: number): void {
    const at = peerId * PEER_STATS_FIELDS;
    this.peers.fill(0, at, at + PEER_STATS_FIELDS);
  }

  /**
   * Counts `packets` packets of `bytes` bytes in total, for the peer and globally. Empty
   * payloads (keepalives, a session's confirmation) count nowhere, as in fastd_stats_add.
   */
  add(peerId: number, counter: Counter, packets: number, bytes: number): void {
    if (bytes === 0) return;
    const at = peerId * PEER_STATS_FIELDS + counter;
    this.peers[at] += packets;
    this.peers[at + 1] += bytes;
    this.global[counter] += packets;
    this.global[counter + 1] += bytes;
  }

  /** Counts `count` packets dropped on receipt before they reached a peer. */
  drop(reason: DropReason, count = 1): void {
    this.global[reason] += count;
  }

  /** Counts a handshake packet handed to the control plane. */
  handshake(): void {
    this.global[GlobalStat.HandshakesReceived]++;
  }

  /** Counts packets and frames handed to another worker. */
  handedOff(): void {
    this.global[GlobalStat.Handoffs]++;
  }

  /** Counts datagrams that arrived coalesced by GRO. */
  coalesced(datagrams: number): void {
    this.global[GlobalStat.GroDatagrams] += datagrams;
  }

  /** Publishes the io objects' totals (ioCounters, offloadCounters). */
  publishTotals(): void {
    this.io(this.ioCounters.list);
    this.offloads(this.offloadCounters.list);
  }

  /** Publishes the I/O layer's running totals. */
  io(counters: readonly IoCounters[]): void {
    let syscalls = 0;
    let packets = 0;
    let gso = 0;
    let gsoSends = 0;
    let gsoFallbacks = 0;
    let arms = 0;
    let exhausted = 0;
    for (const c of counters) {
      arms += c.receiveArms;
      exhausted += c.receiveExhausted;
      syscalls += c.syscalls;
      packets += c.packetsIn + c.packetsOut;
      gso += c.gsoSegments;
      gsoSends += c.gsoSends;
      gsoFallbacks += c.gsoFallbacks;
    }
    this.global[GlobalStat.GsoSends] = gsoSends;
    this.global[GlobalStat.GsoFallbacks] = gsoFallbacks;
    this.global[GlobalStat.IoSyscalls] = syscalls;
    this.global[GlobalStat.IoPackets] = packets;
    this.global[GlobalStat.GsoDatagrams] = gso;
    this.global[GlobalStat.ReceiveArms] = arms;
    this.global[GlobalStat.ReceiveExhausted] = exhausted;
  }

  /** io_uring_enter calls the worker made to wait (0 when it waits in poll(2)). */
  waits(count: number): void {
    this.global[GlobalStat.UringWaits] = count;
  }

  /**
   * Publishes the TUN/TAP offloads' running totals; the frames they dropped (a truncated or
   * inconsistent super-frame is bad input) are counted as malformed once.
   */
  offloads(counters: readonly OffloadCounters[]): void {
    const global = this.global;
    let segmented = 0;
    let segments = 0;
    let checksummed = 0;
    let dropped = 0;
    let coalesced = 0;
    let coalescedFrames = 0;
    for (const c of counters) {
      segmented += c.segmented;
      segments += c.segments;
      checksummed += c.checksummed;
      dropped += c.dropped;
      coalesced += c.coalesced;
      coalescedFrames += c.coalescedFrames;
    }
    global[GlobalStat.TsoSuperFrames] = segmented;
    global[GlobalStat.TsoSegments] = segments;
    global[GlobalStat.ChecksumsCompleted] = checksummed;
    global[GlobalStat.GroSuperFrames] = coalesced;
    global[GlobalStat.GroFrames] = coalescedFrames;
    global[GlobalStat.DropMalformed] += dropped - this.offloadDropsCounted;
    this.offloadDropsCounted = dropped;
  }

  /** Publishes the packet buffer pool's size and counters. */
  pool(stats: Readonly<BufferPoolStats>): void {
    this.publishPool(stats, GlobalStat.PoolSize);
  }

  /** Publishes the receive pool's (io_uring's provided buffers) size and counters. */
  receivePool(stats: Readonly<BufferPoolStats>): void {
    this.publishPool(stats, GlobalStat.ReceivePoolSize);
  }

  /** Publishes the fixed buffer registration: chunks registered now, WRITE_FIXED ops so far. */
  fixedBuffers(chunks: number, writes: number): void {
    this.global[GlobalStat.FixedChunks] = chunks;
    this.global[GlobalStat.FixedWrites] = writes;
  }

  // both pools' fields lie in messages.ts's order: size, in use, hits, misses, exhausted, grows, shrinks, bytes
  private publishPool(stats: Readonly<BufferPoolStats>, first: number): void {
    const global = this.global;
    global[first] = stats.size;
    global[first + 1] = stats.inUse;
    global[first + 2] = stats.hits;
    global[first + 3] = stats.misses;
    global[first + 4] = stats.exhausted;
    global[first + 5] = stats.grows;
    global[first + 6] = stats.shrinks;
    global[first + 7] = stats.bytes;
  }

  // `now` is the turn's performance.now(), made epoch time here: a clock read per call, and
  // its epoch result passed as an argument, would box a heap number per run of packets
  received(peerId: number, now: number): void {
    this.peers[peerId * PEER_STATS_FIELDS + PeerStat.LastReceive] = epochOf(now);
  }

  sent(peerId: number, now: number): void {
    this.peers[peerId * PEER_STATS_FIELDS + PeerStat.LastSend] = epochOf(now);
  }
}

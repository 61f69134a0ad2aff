// The status socket's JSON document, with fastd v23's key paths and value types
// (src/status.c): times in milliseconds, counters as integers, null where fastd has no
// value, `interface`/`mtu` per peer only when there is no single daemon-wide interface,
// `mac_addresses` only in TAP mode.
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, PeerStat } from '../engine/datapath/messages.js';
import type { PeerStatsReader } from '../engine/control/peer-stats.js';

export interface TrafficCounter {
  readonly packets: number;
  readonly bytes: number;
}

export interface StatusStatistics {
  readonly rx: TrafficCounter;
  readonly rx_reordered: TrafficCounter;
  readonly tx: TrafficCounter;
  readonly tx_dropped: TrafficCounter;
  readonly tx_error: TrafficCounter;
}

export interface StatusConnection {
  readonly established: number;
  readonly method: string | null;
  readonly statistics: StatusStatistics;
  readonly mac_addresses?: string[];
}

export interface StatusPeer {
  readonly name: string | null;
  readonly address: string;
  readonly interface?: string | null;
  readonly mtu?: number | null;
  readonly connection: StatusConnection | null;
}

export interface StatusDocument {
  readonly uptime: number;
  readonly interface?: string | null;
  readonly statistics: StatusStatistics;
  readonly peers: Record<string, StatusPeer>;
  /** What fastd-ts adds (fastd has no such key; fastd's readers ignore it). */
  readonly 'fastd-ts': FastdTsStatus;
}

export interface FastdTsStatus {
  /** The datapath I/O backend in use; null before the datapath is ready. */
  readonly io_backend: 'io_uring' | 'fallback' | null;
  /** Received packets dropped, by reason: each one counted once, as one of these. */
  readonly dropped: {
    /** Not a fastd packet (empty, unknown type, short, or an I/O error on receipt). */
    readonly malformed: number;
    /** Data from an address no established peer has (fast reconnect may answer it). */
    readonly unknown_address: number;
    /** Data that failed authentication on its peer's sessions. */
    readonly auth: number;
    /** Authentic data seen before or too old for the reorder window. */
    readonly replay: number;
    /** Handshake packets that came while the control plane was still behind with earlier ones (a flood). */
    readonly handshake: number;
    /** Data dropped by CoDel, before opening it: it had waited too long in a socket's receive queue. */
    readonly queue: number;
    /** Handshake packets over their source address's or the global rate (a flood), before the control plane saw them. */
    readonly handshake_rate: number;
    /** Datagrams the kernel dropped at a worker's socket: its receive buffer, sized to a few ms of what the worker takes, was full. */
    readonly receive_buffer: number;
  };
  /** Handshake packets received: the control plane decides about them. */
  readonly handshakes_received: number;
  /** The datapath workers' packet buffer pools, summed. */
  readonly buffer_pool: BufferPoolStatus;
  /** io_uring: the pools the sockets' multishot receives are fed from (provided buffers), summed; all zero with the fallback backend. */
  readonly receive_pool: BufferPoolStatus;
  /** TUN/TAP offloads (vnet header): what proves the kernel's super-frames are used. */
  readonly offloads: OffloadStatus;
  /** UDP segmentation offloads on the tunnel sockets. */
  readonly udp_offloads: {
    /** UDP GSO sends, and the datagrams sent inside them. */
    readonly gso_sends: number;
    readonly gso_datagrams: number;
    /** Datagrams that arrived coalesced by UDP GRO. */
    readonly gro_datagrams: number;
  };
  /** Packet I/O of the workers: how well system calls are batched. */
  readonly io: {
    /** System calls made for packet I/O (io_uring_enter included). */
    readonly system_calls: number;
    /** Packets and frames those calls moved (UDP and TUN/TAP, both directions). */
    readonly packets: number;
    /** io_uring: buffer pool chunks registered as fixed buffers now, and TUN/TAP writes made from them (WRITE_FIXED). */
    readonly fixed_chunks: number;
    readonly fixed_writes: number;
    /** UDP GSO sends the kernel refused, sent again one datagram at a time. */
    readonly gso_fallbacks: number;
  };
  /** The datapath workers, in order: what each serves. */
  readonly workers: readonly WorkerStatus[];
}

export interface WorkerStatus {
  /** Peers whose sessions the worker holds. */
  readonly peers: number;
  readonly rx_packets: number;
  readonly tx_packets: number;
  /** Packets and frames it handed to the worker owning their peer. */
  readonly handoffs: number;
  /** Of those, dropped because the ring to the owner was full. */
  readonly handoff_drops: number;
}

interface OffloadStatus {
  /** TCP super-frames read from the interface and cut into tunnel-MTU frames (TSO), and the frames they gave. */
  readonly tso_superframes: number;
  readonly tso_segments: number;
  /** Frames read with a partial checksum that the daemon completed. */
  readonly checksums_completed: number;
  /** Super-frames written to the interface, and the received frames coalesced into them (GRO). */
  readonly gro_superframes: number;
  readonly gro_frames: number;
}

export interface BufferPoolStatus {
  /** Buffers backed by memory. */
  readonly buffers: number;
  readonly in_use: number;
  /** Allocations served from a free list. */
  readonly hits: number;
  /** Allocations that found the free list empty (served by growing, or refused at the ceiling). */
  readonly misses: number;
  /** Allocations refused at the ceiling (`packet memory limit`): the packet was dropped. */
  readonly exhausted: number;
  /** Chunks of buffers brought into service, and given back to the OS after an idle period. */
  readonly grows: number;
  readonly shrinks: number;
  /** Packet memory behind the buffers. */
  readonly bytes: number;
}

// Both pools' fields lie in the same order from their first (messages.ts GlobalStat).
function bufferPoolStatus(stats: Float64Array, first: number): BufferPoolStatus {
  return {
    buffers: stats[first]!,
    in_use: stats[first + 1]!,
    hits: stats[first + 2]!,
    misses: stats[first + 3]!,
    exhausted: stats[first + 4]!,
    grows: stats[first + 5]!,
    shrinks: stats[first + 6]!,
    bytes: stats[first + 7]!,
  };
}

export function fastdTsStatus(source: StatusSource): FastdTsStatus {
  const stats = source.globalStats;
  return {
    io_backend: source.ioBackend ?? null,
    dropped: {
      malformed: stats[GlobalStat.DropMalformed]!,
      unknown_address: stats[GlobalStat.DropUnknownAddress]!,
      auth: stats[GlobalStat.DropAuth]!,
      replay: stats[GlobalStat.DropReplay]!,
      handshake: stats[GlobalStat.DropHandshake]!,
      queue: stats[GlobalStat.DropQueue]!,
      handshake_rate: stats[GlobalStat.DropHandshakeRate]!,
      receive_buffer: stats[GlobalStat.DropReceiveBuffer]!,
    },
    handshakes_received: stats[GlobalStat.HandshakesReceived]!,
    buffer_pool: bufferPoolStatus(stats, GlobalStat.PoolSize),
    receive_pool: bufferPoolStatus(stats, GlobalStat.ReceivePoolSize),
    offloads: {
      tso_superframes: stats[GlobalStat.TsoSuperFrames]!,
      tso_segments: stats[GlobalStat.TsoSegments]!,
      checksums_completed: stats[GlobalStat.ChecksumsCompleted]!,
      gro_superframes: stats[GlobalStat.GroSuperFrames]!,
      gro_frames: stats[GlobalStat.GroFrames]!,
    },
    udp_offloads: { gso_sends: stats[GlobalStat.GsoSends]!, gso_datagrams: stats[GlobalStat.GsoDatagrams]!, gro_datagrams: stats[GlobalStat.GroDatagrams]! },
    io: {
      system_calls: stats[GlobalStat.IoSyscalls]!,
      packets: stats[GlobalStat.IoPackets]!,
      fixed_chunks: stats[GlobalStat.FixedChunks]!,
      fixed_writes: stats[GlobalStat.FixedWrites]!,
      gso_fallbacks: stats[GlobalStat.GsoFallbacks]!,
    },
    workers: source.workers ?? [],
  };
}

/** fastd's traffic counters: where each one's packets and bytes lie in a PeerStat-layout row. */
export const TRAFFIC_FIELDS = {
  rx: { packets: PeerStat.RxPackets, bytes: PeerStat.RxBytes },
  rx_reordered: { packets: PeerStat.RxReorderedPackets, bytes: PeerStat.RxReorderedBytes },
  tx: { packets: PeerStat.TxPackets, bytes: PeerStat.TxBytes },
  tx_dropped: { packets: PeerStat.TxDroppedPackets, bytes: PeerStat.TxDroppedBytes },
  tx_error: { packets: PeerStat.TxErrorPackets, bytes: PeerStat.TxErrorBytes },
} as const satisfies Record<keyof StatusStatistics, Record<keyof TrafficCounter, number>>;

/** The fastd statistics of one row of a PeerStat-layout table (peer or global). */
function readStatistics(table: Float64Array, row: number, fields: number): StatusStatistics {
  const base = row * fields;
  const counter = ({ packets, bytes }: { readonly packets: number; readonly bytes: number }): TrafficCounter => ({
    packets: table[base + packets]!,
    bytes: table[base + bytes]!,
  });
  return {
    rx: counter(TRAFFIC_FIELDS.rx),
    rx_reordered: counter(TRAFFIC_FIELDS.rx_reordered),
    tx: counter(TRAFFIC_FIELDS.tx),
    tx_dropped: counter(TRAFFIC_FIELDS.tx_dropped),
    tx_error: counter(TRAFFIC_FIELDS.tx_error),
  };
}

/** Whole milliseconds from `since` to `now` (fastd's uptime and a session's `established`). */
export function elapsedMs(now: number, since: number): number {
  return Math.max(0, Math.floor(now - since));
}

/** What the engine tells the status document about one peer. */
export interface PeerStatusSource {
  readonly key: string;
  readonly name: string | undefined;
  /** fastd's "%I" form of the peer's current address ("any" when none). */
  readonly address: string;
  /** Per-peer interface (TUN/multitap without a single interface). */
  readonly iface: { readonly name: string; readonly mtu: number } | undefined;
  readonly peerId: number;
  /** undefined when not established. */
  readonly establishedAt: number | undefined;
  readonly method: string | undefined;
  readonly macAddresses: readonly string[];
}

/** What the status document is built from; the metrics read it too (metrics.ts). */
export interface StatusSource {
  readonly now: number;
  readonly startedAt: number;
  readonly mode: 'tap' | 'multitap' | 'tun';
  /** The daemon-wide interface's name, undefined when interfaces are per peer. */
  readonly singleInterface: string | undefined;
  readonly globalStats: Float64Array;
  readonly peerStats: PeerStatsReader;
  readonly peers: readonly PeerStatusSource[];
  readonly ioBackend: 'io_uring' | 'fallback' | undefined;
  /** undefined before the datapath workers exist. */
  readonly workers?: readonly WorkerStatus[];
}

function peerStatus(source: StatusSource, peer: PeerStatusSource): StatusPeer {
  let connection: StatusConnection | null = null;
  if (peer.establishedAt !== undefined) {
    connection = {
      established: elapsedMs(source.now, peer.establishedAt),
      method: peer.method ?? null,
      statistics: readStatistics(source.peerStats.peer(peer.peerId), 0, PEER_STATS_FIELDS),
      ...(source.mode === 'tap' ? { mac_addresses: [...peer.macAddresses] } : {}),
    };
  }
  // Each shape as a literal, not spread from parts: a status document may list 50,000 peers.
  if (source.singleInterface !== undefined) return { name: peer.name ?? null, address: peer.address, connection };
  const { iface } = peer;
  return { name: peer.name ?? null, address: peer.address, interface: iface?.name ?? null, mtu: iface && iface.mtu !== 0 ? iface.mtu : null, connection };
}

export function buildStatus(source: StatusSource): StatusDocument {
  const peers: Record<string, StatusPeer> = {};
  for (const peer of source.peers) peers[peer.key] = peerStatus(source, peer);
  return {
    uptime: elapsedMs(source.now, source.startedAt),
    ...(source.singleInterface !== undefined ? { interface: source.singleInterface } : {}),
    statistics: readStatistics(source.globalStats, 0, GLOBAL_STATS_FIELDS),
    peers,
    'fastd-ts': fastdTsStatus(source),
  };
}

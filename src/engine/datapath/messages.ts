// The contract between the control plane (main thread: config, handshakes, timers, hooks,
// status) and a datapath worker (worker_threads: sockets, TUN/TAP, seal/open). Control
// messages are rare and go by postMessage; the worker blocks in the kernel (poll or
// io_uring), so every message to it is followed by a write to its wake-up eventfd, and it
// drains its port with receiveMessageOnPort. Per-peer counters and activity times are
// written by each worker into its own SharedArrayBuffer that the main thread reads without asking.
import type { ThreadIds } from '../../io/capabilities.js';
import { readSockaddr } from '../../io/sockaddr.js';

/** A UDP endpoint as the control plane names it. */
export interface Endpoint {
  readonly family: 4 | 6;
  /** Textual address without brackets or scope, e.g. "192.0.2.1" or "fe80::1". */
  readonly address: string;
  readonly port: number;
  /** IPv6 scope (interface index), 0 if none. */
  readonly scopeId: number;
}

/** The sender in sockaddr slot i (io/sockaddr.ts) as an Endpoint (messages are rare: allocation is fine). */
export function endpointOf(addresses: Uint8Array, i: number): Endpoint {
  const address = readSockaddr(addresses, i);
  if (!address) return { family: 4, address: '0.0.0.0', port: 0, scopeId: 0 };
  return { family: address.address.includes(':') ? 6 : 4, address: address.address, port: address.port, scopeId: address.scopeId ?? 0 };
}

/** Our address in slot i, which a datagram came to on a wildcard socket (port 0); undefined for none. */
export function localOf(locals: Uint8Array, i: number): Endpoint | undefined {
  const address = readSockaddr(locals, i);
  if (!address) return undefined;
  return { family: address.address.includes(':') ? 6 : 4, address: address.address, port: 0, scopeId: address.scopeId ?? 0 };
}

export interface SocketSpec {
  /** The control plane's name for the socket: its configured sockets first, then per-peer ones (ids reused). */
  readonly socketId: number;
  /**
   * An open, bound, non-blocking UDP socket; fds are process-wide, so the worker uses it
   * directly. DatapathWorker.post (workers/worker-handle.ts) sends a duplicate that the worker owns and closes.
   */
  readonly fd: number;
  readonly family: 4 | 6;
}

export interface InterfaceSpec {
  readonly interfaceId: number;
  /** An open, non-blocking TUN/TAP queue fd (sent as a duplicate the worker owns, like a socket's). */
  readonly fd: number;
  readonly name: string;
  readonly kind: 'tap' | 'tun';
  readonly mtu: number;
  /**
   * The queue was opened with IFF_VNET_HDR and TSO/checksum offloads: every frame read or
   * written carries a virtio_net_hdr, and reads may be TCP super-frames (see io/offload).
   */
  readonly vnetHeader?: boolean;
}

/**
 * Where a worker stands among several (absent: it is the only one). Every worker has every
 * peer in its table, but only a peer's owner has its sessions and its interface, and counts
 * its packets (into its own statistics table); a packet that reaches another worker crosses to the owner through the handoff
 * rings by its offset in the one packet memory all workers share.
 */
export interface WorkerPlace {
  readonly index: number;
  readonly count: number;
  /**
   * The packet memory of all workers (PacketMemory.createShared), cut into windows of
   * `memoryCeiling` bytes back to back: worker i allocates from [i × memoryCeiling, (i + 1) ×
   * memoryCeiling), so the owner of a buffer follows from its offset.
   */
  readonly memory: WebAssembly.Memory;
  /** rings[from * count + to]: packets worker `from` hands to worker `to` (null where from = to). */
  readonly rings: readonly (SharedArrayBuffer | null)[];
  /** returns[from * count + to]: buffers of worker `to` that worker `from` is done with. */
  readonly returns: readonly (SharedArrayBuffer | null)[];
  /** Each worker's wake-up eventfd: a producer writes the consumer's when the ring says it sleeps. */
  readonly wakeFds: readonly number[];
  /** TAP mode's MAC learning table, one for all workers (SharedMacTable). */
  readonly macTable: SharedArrayBuffer;
}

/** What the worker's pipeline warm-up (warm-pipeline.ts) imitates: the datapath its `init` will ask for. */
export interface PipelineWarmUp {
  /** The first configured method. */
  readonly method: string;
  readonly ioBackend?: 'io_uring' | 'fallback';
  readonly gro?: boolean;
  readonly gso?: boolean;
  readonly eventRing?: boolean;
  /** One of several workers (a place of its own, a shared MAC table). */
  readonly several: boolean;
  readonly mtu: number;
}

/** `workerData` of a datapath worker: the eventfd the control plane writes after each message, and what to warm up before `loaded`. */
export interface DatapathWorkerData {
  readonly wakeFd: number;
  readonly warmUp?: PipelineWarmUp;
}

export type ToWorker =
  /** First message: what the worker serves. */
  | {
      readonly type: 'init';
      readonly mode: 'tap' | 'multitap' | 'tun';
      /** `forward yes`: TAP mode passes frames between peers. */
      readonly forward: boolean;
      readonly sockets: readonly SocketSpec[];
      /** TAP mode: the one interface; multitap/tun: none here, they come with addPeer. */
      readonly interfaces: readonly InterfaceSpec[];
      /**
       * This worker's own peer statistics table (see PeerStat), of any size: a peerId beyond it
       * makes the worker copy it into a larger one, which it reports with `peerStats`.
       */
      readonly peerStats: SharedArrayBuffer;
      readonly globalStats: SharedArrayBuffer;
      /** How many of this worker's handshake messages the control plane took (handshake-credit.ts). */
      readonly handshakeCredit: SharedArrayBuffer;
      /** Upper bound on the packet memory (bytes). */
      readonly memoryCeiling: number;
      /** Largest interface MTU to expect, also of interfaces that come later with addPeer (default 1500). */
      readonly maxMtu?: number;
      /** fastd's min_overhead: shorter data packets from unknown addresses get no attention (default 1). */
      readonly minDataLength?: number;
      /** UDP GRO on the sockets where the kernel has it (default true). */
      readonly gro?: boolean;
      /** UDP GSO on the sockets where the kernel has it (default true). */
      readonly gso?: boolean;
      /** The I/O backend to use: io_uring (the default) falls back to recvmmsg/sendmmsg by itself, saying why. */
      readonly ioBackend?: 'io_uring' | 'fallback';
      /** io_uring: wait on the event ring with multishot receives where the kernel has them (default true). */
      readonly eventRing?: boolean;
      /** A busy worker's waits let arrivals gather before it wakes (loop.ts; default true). */
      readonly gather?: boolean;
      /** With several workers: this worker's place among them. */
      readonly place?: WorkerPlace;
      /** `user`/`group`: the worker becomes them itself once set up (see io/capabilities.ts). */
      readonly user?: ThreadIds;
      /** Methods whose seal and open to run on dummy packets before reporting ready (warm-up.ts). */
      readonly warmUp?: readonly string[];
    }
  | {
      readonly type: 'addPeer';
      /** Slot in the statistics table; stable while the peer exists. */
      readonly peerId: number;
      /** multitap/tun: the peer's own interface (sent to its owner only). */
      readonly interface?: InterfaceSpec;
      /** The worker that owns the peer (default: this one). */
      readonly owner?: number;
      /** The peer moved here from another worker: its statistics row keeps counting. */
      readonly moved?: boolean;
    }
  | {
      readonly type: 'removePeer';
      readonly peerId: number;
      /** The peer goes to another worker (an addPeer with `moved` follows): this worker's row keeps what it counted. */
      readonly moved?: boolean;
    }
  /** A socket opened for one peer (fastd's dynamic socket of a port-less `bind`); its fd is handed over like init's. */
  | { readonly type: 'addSocket'; readonly socket: SocketSpec }
  /** The peer's socket is closed: what is queued on it is sent first; packets for it later are dropped. */
  | { readonly type: 'removeSocket'; readonly socketId: number }
  /** Where the peer is now (after a handshake, or when it floats), and our address it talks to (wildcard sockets; none: the kernel picks). */
  | { readonly type: 'setPeerAddress'; readonly peerId: number; readonly socketId: number; readonly endpoint: Endpoint; readonly local?: Endpoint }
  /**
   * A session from a completed handshake. The current session becomes the previous one
   * (kept for receiving until it expires, as fastd does); `sendEmpty` makes the worker send
   * an empty data packet at once (the responder's confirmation, and keepalives).
   */
  | {
      readonly type: 'installSession';
      readonly peerId: number;
      readonly method: string;
      readonly key: Uint8Array;
      readonly initiator: boolean;
      readonly compat: boolean;
      readonly sendEmpty: boolean;
    }
  /**
   * Where the peer state file remembers peers (restart-greeting.ts): handshakes from these
   * addresses and ports count as known peers' (handshake-limiter.ts) for `forMs`, while our
   * greetings' answers come back from them.
   */
  | { readonly type: 'rememberedEndpoints'; readonly endpoints: readonly Endpoint[]; readonly forMs: number }
  /**
   * The configured peers' resolved remotes (control/remote-endpoints.ts), replacing the last
   * set: the answers to our own handshakes come from there, and count as known peers' (handshake-limiter.ts).
   */
  | { readonly type: 'remoteEndpoints'; readonly endpoints: readonly Endpoint[] }
  /** Drop every session of a peer (reset, SIGUSR2, timeout). */
  | { readonly type: 'resetPeer'; readonly peerId: number }
  /** An empty data packet on each peer's current session (fastd's keepalive); the peers that came due together. */
  | { readonly type: 'keepalive'; readonly peerIds: readonly number[] }
  /** A burst is over: compact the worker's V8 heap if it grew (heap-compaction.ts). */
  | { readonly type: 'compactHeap' }
  | { readonly type: 'shutdown' };

/** The first message, from which the worker builds its datapath (context.ts). */
export type InitMessage = Extract<ToWorker, { type: 'init' }>;

export type FromWorker =
  /** Its modules are loaded; it waits for `init`. */
  | { readonly type: 'loaded' }
  /** Serving; with the I/O backend in use and, if io_uring was wanted but is not used, why. */
  | {
      readonly type: 'ready';
      readonly backend: 'io_uring' | 'fallback';
      readonly fallbackReason: string | null;
      /** io_uring: why the kernel refused to register the pools as fixed buffers (plain ops are used); null otherwise. */
      readonly fixedRefusal: string | null;
    }
  /**
   * The handshake packets (type 0x01) of one receive batch on socket `socketId`, for the
   * control plane's state machine: `count` records (handshake-records.ts), transferred;
   * `worker`: whose socket received them.
   */
  | { readonly type: 'handshakes'; readonly socketId: number; readonly worker: number; readonly count: number; readonly records: ArrayBuffer }
  /**
   * A data packet from an address with no session that could open it: fastd v23 answers with
   * a handshake (rate-limited per address) so a restarted peer reconnects quickly. Sent at most
   * once per source (address and port) per second by the worker.
   */
  | {
      readonly type: 'unknownData';
      readonly socketId: number;
      readonly endpoint: Endpoint;
      readonly local?: Endpoint;
      /** The packet was pre-v22 data (type 0x02): answer with a bare handshake, not an L2TP-framed one. */
      readonly compat: boolean;
    }
  /**
   * The first packet opened on a peer's newest session: the connection is confirmed. The
   * worker has already dropped the previous session and, as initiator, sent the empty
   * packet fastd sends at this point.
   */
  | { readonly type: 'sessionConfirmed'; readonly peerId: number }
  /** A data packet arrived from a new address, or to another of our addresses, on a valid session (`float`). */
  | { readonly type: 'peerMoved'; readonly peerId: number; readonly socketId: number; readonly endpoint: Endpoint; readonly local?: Endpoint }
  /**
   * tap mode: the MAC addresses learned behind each peer (fastd's status `mac_addresses`),
   * sent when they changed, at most once per second. Peers not listed have none.
   */
  | { readonly type: 'macAddresses'; readonly peers: readonly { readonly peerId: number; readonly addresses: readonly string[] }[] }
  /**
   * The worker's peer statistics table grew: its rows were copied into `buffer`, which it
   * writes from now on (the one before keeps the counts as of the copy).
   */
  | { readonly type: 'peerStats'; readonly buffer: SharedArrayBuffer }
  /** The worker failed in a way it cannot continue from. */
  | { readonly type: 'fatal'; readonly message: string };

/**
 * Per-peer statistics, one table per worker written only by that worker: a Float64Array with
 * PEER_STATS_FIELDS entries per peerId (a peer's counters are the sum of the workers' rows,
 * its activity times the latest of them), in this order (fastd's status socket statistics, plus activity times
 * in epoch milliseconds, performance.timeOrigin + performance.now(), which agrees across threads).
 */
export const PeerStat = {
  RxPackets: 0,
  RxBytes: 1,
  RxReorderedPackets: 2,
  RxReorderedBytes: 3,
  TxPackets: 4,
  TxBytes: 5,
  TxDroppedPackets: 6,
  TxDroppedBytes: 7,
  TxErrorPackets: 8,
  TxErrorBytes: 9,
  /** Last time a valid data packet was opened. */
  LastReceive: 10,
  /** Last time a data packet (including keepalives) was sent. */
  LastSend: 11,
} as const;
export const PEER_STATS_FIELDS = 12;

/**
 * Global statistics (same first ten fields), plus drops the worker counts by reason, and
 * what proves the batching mechanisms are used (updated once a second).
 */
export const GlobalStat = {
  ...PeerStat,
  DropMalformed: 12,
  DropUnknownAddress: 13,
  DropAuth: 14,
  DropReplay: 15,
  /** Datagrams that arrived coalesced by UDP GRO. */
  GroDatagrams: 16,
  /** Datagrams sent inside UDP GSO sends. */
  GsoDatagrams: 17,
  /** System calls (io_uring_enter included) made for packet I/O. */
  IoSyscalls: 18,
  /** Packets and frames moved by those calls (UDP and TUN/TAP, both directions). */
  IoPackets: 19,
  /** Handshake packets handed to the control plane (every received packet is this or a drop or data). */
  HandshakesReceived: 20,
  /** Packets and frames handed to the worker that owns their peer. */
  Handoffs: 21,
  /** Packets and frames dropped because the handoff ring to their owner was full. */
  DropHandoff: 22,
  /** The worker's buffer pool (bufferpool/pool.ts BufferPoolStats), published once a second. */
  PoolSize: 23,
  PoolInUse: 24,
  PoolHits: 25,
  PoolMisses: 26,
  PoolExhausted: 27,
  PoolGrows: 28,
  PoolShrinks: 29,
  PoolBytes: 30,
  /** TUN/TAP offloads (io/offload OffloadCounters), published once a second: TSO super-frames read and cut up, the frames they gave. */
  TsoSuperFrames: 31,
  TsoSegments: 32,
  /** Frames read whose partial checksum the worker completed. */
  ChecksumsCompleted: 33,
  /** Super-frames written to the interface (GRO on the TUN/TAP side), and the frames coalesced into them. */
  GroSuperFrames: 34,
  GroFrames: 35,
  /** UDP GSO sends (each carried GsoDatagrams / GsoSends datagrams on average). */
  GsoSends: 36,
  /** io_uring: the worker's waits (io_uring_enter on its event ring), multishot receives armed, and how often one ran out of buffers. */
  UringWaits: 37,
  ReceiveArms: 38,
  ReceiveExhausted: 39,
  /** io_uring: the pool the multishot receives are fed from (same fields as the packet pool's). */
  ReceivePoolSize: 40,
  ReceivePoolInUse: 41,
  ReceivePoolHits: 42,
  ReceivePoolMisses: 43,
  ReceivePoolExhausted: 44,
  ReceivePoolGrows: 45,
  ReceivePoolShrinks: 46,
  ReceivePoolBytes: 47,
  /** io_uring: pool chunks registered as fixed buffers now, and TUN/TAP writes that used them (WRITE_FIXED). */
  FixedChunks: 48,
  FixedWrites: 49,
  /** UDP GSO sends the kernel refused (EIO or EINVAL: it or the device cannot segment), sent again one datagram per message. */
  GsoFallbacks: 50,
  /** Handshake packets dropped because the control plane had not yet taken this worker's earlier ones (a flood). */
  DropHandshake: 51,
  /** Data dropped by CoDel: it had queued too long in a socket's receive queue (pipeline/codel.ts). */
  DropQueue: 52,
  /** Handshake packets over their token bucket (tables/handshake-limiter.ts): a flood. */
  DropHandshakeRate: 53,
  /** Datagrams the kernel dropped at a worker's socket, whose receive buffer holds a few ms of its rate (receive-buffer.ts). */
  DropReceiveBuffer: 54,
} as const;
export const GLOBAL_STATS_FIELDS = 55;

// Everything one datapath worker owns, built from the control plane's `init` message: the
// packet memory and its buffer pool, the sockets (udp-sockets.ts) and TUN/TAP queues with
// their batches, the peer and MAC tables, the statistics tables and the method providers.
// receive.ts, send.ts and control.ts act on it; loop.ts drives them; handoff.ts moves
// packets to and from the other workers, if there are several. The fds in the messages are
// the worker's own (workers/worker-handle.ts duplicates them before sending), so it closes them when done.
import { BufferPool } from '../../bufferpool/pool.js';
import { DEFAULT_MTU } from '../../config/draft.js';
import { PacketMemory, WASM_PAGE_BYTES } from '../../bufferpool/packet-memory.js';
import { createMethodProvider } from '../../crypto/methods/registry.js';
import type { MethodProvider, PacketBatch } from '../../crypto/methods/provider.js';
import { StateArena } from '../../crypto/state-arena.js';
import { createBackend, type IoBackend } from '../../io/backend.js';
import { CounterTotals } from './tables/counter-totals.js';
import { createCounters, createFrameBatch, type FrameBatch, type IoCounters } from '../../io/batch.js';
import { packetMemory, type PacketMemory as IoMemory } from '../../io/native-memory.js';
import { Ethernet } from '../../io/offload/headers.js';
import type { OffloadCounters } from '../../io/offload/offload-frame-io.js';
import { TunTapQueues, type TunTapQueue } from '../../io/tuntap-queue.js';
import { probeUdpOffloads } from '../../io/udp.js';
import { BUFFER_ID_LIMIT } from '../../io/uring/abi.js';
import { MULTISHOT_HEADROOM } from '../../io/uring/multishot.js';
import { ProvidedRing } from '../../io/uring/provided-ring.js';
import type { FixedBuffers } from '../../io/uring/fixed-buffers.js';
import { Handoff } from './handoff/handoff.js';
import { GRO_ENTRIES, GRO_ROOM, UdpSockets, type Socket } from './udp-sockets.js';
import { MacTable } from './tables/mac-table.js';
import { SharedMacTable } from './tables/shared-mac-table.js';
import type { FromWorker, InterfaceSpec, ToWorker } from './messages.js';
import { NO_PEER, PeerTable } from './tables/peer-table.js';
import { DatapathStats } from './tables/stats.js';
import { HandshakeCredit } from './tables/handshake-credit.js';
import { BATCH, HEADROOM, POOL_IDLE_MS, TAILROOM } from './sizes.js';
import { UnknownSources } from './tables/unknown-sources.js';

export type InitMessage = Extract<ToWorker, { type: 'init' }>;
// receive.ts and send.ts name a socket's types through this module
export type { Outgoing, Socket } from './udp-sockets.js';

export { BATCH, HEADROOM, TAILROOM } from './sizes.js';
const CACHE_LINE = 64;

export interface Interface {
  readonly spec: InterfaceSpec;
  /** tun/multitap: the peer the interface belongs to; NO_PEER for the tap interface. */
  readonly peerId: number;
  /** Frames opened for this interface, written at the end of each receive batch. */
  readonly pending: FrameBatch;
  /** Its TUN/TAP queue: reads, writes, counters and close. */
  readonly queue: TunTapQueue;
}

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
/** Fixed buffer slots for TUN/TAP offload scratch areas (one per offloading queue; further ones write plain). */
const OFFLOAD_SCRATCH_SLOTS = 64;

export class Datapath {
  readonly mode: InitMessage['mode'];
  readonly forward: boolean;
  /** This worker's index among the datapath workers (0 when it is the only one). */
  readonly self: number;
  readonly memory: PacketMemory;
  readonly io: IoMemory;
  readonly bytes: Uint8Array;
  readonly pool: BufferPool;
  /**
   * io_uring: what the sockets' multishot receives feed the kernel from, its own size class
   * (a UDP GRO bundle with GRO), so it grows under a burst and shrinks when idle; null otherwise.
   */
  readonly receivePool: BufferPool | null = null;
  /** io_uring: the ring of receive-pool buffers every socket's multishot receive picks from; null otherwise. */
  readonly receiveRing: ProvidedRing | null = null;
  /** io_uring: both pools' chunks registered on the ring that writes to TUN/TAP queues (WRITE_FIXED); null when refused or not io_uring. */
  readonly fixed: FixedBuffers | null = null;
  /** Why the kernel refused fixed buffers (logged once by the control plane); null otherwise. */
  readonly fixedRefusal: string | null = null;
  /** Bytes per pool buffer: headroom, the largest frame, tailroom. */
  readonly bufferSize: number;
  readonly stats: DatapathStats;
  readonly peers: PeerTable;
  /** TAP mode's MAC learning: shared by all workers when there are several. */
  readonly macs: MacTable | SharedMacTable;
  readonly unknown = new UnknownSources();
  /** Bounds the handshake messages waiting for the control plane. */
  readonly handshakes: HandshakeCredit;
  /** The UDP sockets and their batches; `sockets` is its list by socket id. */
  readonly udp: UdpSockets;
  readonly sockets: (Socket | undefined)[];
  /** Builds each interface's queue for this worker's backend. */
  private readonly queues: TunTapQueues;
  readonly interfaces: (Interface | undefined)[] = [];
  /** Data packets shorter than this from unknown addresses are ignored (fastd's min_overhead). */
  readonly minDataLength: number;
  /** io_uring (one ring for all of this worker's fds) or the recvmmsg/sendmmsg fallback. */
  readonly backend: IoBackend;
  /** I/O counters of every socket and interface, also of removed ones. */
  readonly ioCounters = new CounterTotals<IoCounters>(createCounters());
  /** Offload counters of every offloading interface, also of removed ones. */
  readonly offloadCounters = new CounterTotals<OffloadCounters>({ segmented: 0, segments: 0, checksummed: 0, dropped: 0, coalesced: 0, coalescedFrames: 0 });
  /** UDP GRO on the sockets: the kernel hands over same-size datagrams of one sender coalesced. */
  readonly gro: boolean;
  /** UDP GSO on the sockets: a run of same-size datagrams to one address goes out as one send. */
  readonly gso: boolean;
  /** With several workers: the rings to and from the others; null when this is the only worker. */
  readonly handoff: Handoff | null;
  private readonly providers = new Map<string, MethodProvider>();

  constructor(
    init: InitMessage,
    readonly post: (message: FromWorker) => void,
  ) {
    this.mode = init.mode;
    this.forward = init.forward;
    this.minDataLength = init.minDataLength ?? 1;
    // The whole memory is sized up front (pages are committed only when touched), so that
    // views over it never go stale. With several workers it is one memory for all of them
    // and this worker allocates from its own window.
    const bytes = Math.max(WASM_PAGE_BYTES, Math.floor(init.memoryCeiling / WASM_PAGE_BYTES) * WASM_PAGE_BYTES);
    const place = init.place;
    this.memory = place ? PacketMemory.window(place.memory, place.index * bytes, bytes) : new PacketMemory(bytes, bytes);
    this.self = place?.index ?? 0;
    this.macs = place ? new SharedMacTable(place.macTable) : new MacTable();
    StateArena.provideRegions(this.memory.memory, (size) => this.memory.reserve(size, WASM_PAGE_BYTES));
    this.io = packetMemory(this.memory.memory);
    this.bytes = this.io.bytes;
    const mtu = Math.max(init.maxMtu ?? DEFAULT_MTU, ...init.interfaces.map((i) => i.mtu));
    this.bufferSize = Math.ceil((HEADROOM + mtu + Ethernet.SIZE + TAILROOM) / CACHE_LINE) * CACHE_LINE;
    const maxBuffers = Math.floor((bytes / 2) / this.bufferSize);
    this.pool = new BufferPool(this.memory, { bufferSize: this.bufferSize, buffersPerChunk: BATCH, maxBuffers, minChunks: 1, idleReleaseMs: POOL_IDLE_MS });
    this.stats = new DatapathStats(init.peerStats, init.globalStats);
    this.handshakes = new HandshakeCredit(init.handshakeCredit);
    this.udp = new UdpSockets(this);
    this.sockets = this.udp.list;
    this.peers = new PeerTable(this.stats.peerCapacity);
    const offloads = probeUdpOffloads();
    this.gso = offloads.gso && init.gso !== false;
    this.gro = offloads.gro && init.gro !== false;
    this.backend = createBackend(this.io, { prefer: init.ioBackend ?? 'io_uring', ringEntries: 4 * BATCH, eventRing: init.eventRing !== false });
    if (this.backend.events) {
      const size = Math.ceil((MULTISHOT_HEADROOM + this.receiveRoom() + TAILROOM) / CACHE_LINE) * CACHE_LINE;
      const most = Math.min(BUFFER_ID_LIMIT, Math.floor((bytes * RECEIVE_POOL_SHARE) / size));
      this.receivePool = new BufferPool(this.memory, {
        bufferSize: size,
        buffersPerChunk: this.gro ? GRO_ENTRIES : BATCH,
        maxBuffers: most,
        minChunks: 1,
        idleReleaseMs: POOL_IDLE_MS,
      });
      const initialFill = (this.gro ? GRO_ENTRIES : BATCH) * RECEIVE_RING_PER_ENTRY;
      this.receiveRing = new ProvidedRing(this.backend.events, this.io, {
        pool: this.receivePool,
        ringEntries: initialFill * RECEIVE_RING_GROWTH,
        initialFill,
        bufferSize: MULTISHOT_HEADROOM + this.receiveRoom(),
        idleMs: POOL_IDLE_MS,
        groupId: RECEIVE_RING_GROUP,
      });
    }
    if (this.backend.registerFixed) {
      const slots = this.pool.chunkCapacity + (this.receivePool?.chunkCapacity ?? 0) + OFFLOAD_SCRATCH_SLOTS;
      try {
        this.fixed = this.backend.registerFixed({ base: this.memory.base, bytes: this.memory.maximumBytes - this.memory.base }, slots);
        this.pool.watch(this.fixed);
        this.receivePool?.watch(this.fixed);
        this.fixedRefusal = this.fixed.refusal;
      } catch (error) {
        this.fixedRefusal = (error as Error).message;
      }
    }
    this.handoff = place ? new Handoff(this, place, bytes) : null;
    this.queues = new TunTapQueues({
      backend: this.backend,
      packets: this.io,
      areas: this.memory,
      fixed: this.fixed,
      frameRoom: this.bufferSize - HEADROOM - TAILROOM,
      capacity: BATCH,
    });
    for (const spec of init.sockets) this.udp.add(spec.socketId, spec.fd);
    for (const spec of init.interfaces) this.addInterface(spec, NO_PEER);
  }

  /** The provider of a method name; throws for a name fastd would not know. */
  provider(method: string): MethodProvider {
    let provider = this.providers.get(method);
    if (!provider) {
      provider = createMethodProvider(method);
      if (!provider) throw new Error(`unknown method "${method}"`);
      this.providers.set(method, provider);
    }
    return provider;
  }

  /** A pool buffer's index, or -1 when the pool is at its ceiling (the caller drops the packet). */
  allocBuffer(now: number): number {
    return this.pool.alloc(now);
  }

  addInterface(spec: InterfaceSpec, peerId: number): Interface {
    const queue = this.queues.open(spec);
    for (const counters of queue.counters) this.ioCounters.add(counters);
    if (queue.offload) this.offloadCounters.add(queue.offload);
    const iface: Interface = { spec, peerId, pending: createFrameBatch(BATCH), queue };
    this.interfaces[spec.interfaceId] = iface;
    return iface;
  }

  removeInterface(interfaceId: number): void {
    const iface = this.interfaces[interfaceId];
    if (!iface) return;
    const queue = iface.queue;
    // a supernode's multitap peers come and go: their counters must not pile up
    for (const counters of queue.counters) this.ioCounters.remove(counters);
    if (queue.offload) this.offloadCounters.remove(queue.offload);
    queue.close();
    this.interfaces[interfaceId] = undefined;
  }

  /** Bytes each raw receive buffer takes (the tailroom stays free for kernels that round up to their block size). */
  receiveRoom(): number {
    return this.gro ? GRO_ROOM : this.bufferSize - TAILROOM;
  }

  /** Called from the timer: pools give back what an idle spell left unused (the receive ring first, so its buffers count as free). */
  maintainPools(now: number): void {
    this.pool.maintain(now);
    if (!this.receivePool) return;
    this.receiveRing?.trim(now);
    this.receivePool.maintain(now);
  }

  /** A buffer taken for good (receive slots): its offset. */
  fixedBuffer(): number {
    const index = this.pool.alloc(0);
    if (index < 0) throw new Error(`packet memory ceiling too low for the worker's ${BATCH}-packet batches`);
    return this.pool.offsetOf(index);
  }

  /** A batch descriptor for seal/open calls in this worker's memory. */
  packetBatch(capacity = BATCH): PacketBatch {
    return { memory: this.memory.memory, count: 0, offsets: new Uint32Array(capacity), lengths: new Uint32Array(capacity), status: new Uint8Array(capacity) };
  }

  close(): void {
    this.udp.close();
    this.receiveRing?.close();
    for (let id = 0; id < this.interfaces.length; id++) this.removeInterface(id);
    this.backend.close();
    this.handoff?.close();
    while (this.peers.count > 0) this.peers.remove(this.peers.ids[0]);
  }
}

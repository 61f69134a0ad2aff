// The control plane's view of N datapath workers as one: it posts messages as if there were
// a single worker, and this routes each to the workers that need it. Every worker knows
// every peer (its address, and which worker owns it); only the owner gets the peer's
// sessions, keepalives and interface. A peer belongs to the worker whose socket received
// its handshake: with SO_REUSEPORT the kernel hashes the peer's address to one of the
// workers' sockets, so its datagrams keep arriving there and need no handoff.
import { endpointKey } from '../control/endpoints.js';
import { DatapathWorker } from './worker-handle.js';
import { HANDSHAKE_CREDIT_BYTES, takeHandshakes } from '../datapath/tables/handshake-credit.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS, type Endpoint, type FromWorker, type InterfaceSpec, type PipelineWarmUp, type ToWorker } from '../datapath/messages.js';
import { PeerStatistics } from '../control/peer-stats.js';

/** Rows of each worker's first peer statistics table; it grows with the peerIds it is given. */
const INITIAL_PEER_ROWS = 64;
/** Handshake senders remembered for the owner decision; older ones are forgotten wholesale. */
const HANDSHAKE_MEMORY = 4096;
const NO_WORKER = -1;

type MacReport = Extract<FromWorker, { type: 'macAddresses' }>['peers'];

/** What Workers needs of a worker thread's handle (worker-handle.ts DatapathWorker; tests stand in). */
export interface WorkerHandle {
  readonly wakeFd: number;
  post(message: ToWorker, wake?: boolean): void;
  stop(): Promise<number>;
  on(event: 'message', listener: (message: FromWorker) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
}

interface PeerPlace {
  /** NO_WORKER until the peer's first address is known. */
  owner: number;
  interface: InterfaceSpec | undefined;
  address: { readonly socketId: number; readonly endpoint: Endpoint; readonly local: Endpoint | undefined } | undefined;
}

export class Workers {
  readonly count: number;
  /** One global statistics table per worker (see GlobalStat); `sumGlobalStats` adds them up. */
  readonly globalStats: readonly SharedArrayBuffer[];
  /** Each worker's first peer statistics table, for its init message. */
  readonly peerStatBuffers: readonly SharedArrayBuffer[];
  /** The workers' peer statistics read as one table, following each worker's growth. */
  readonly peerStats: PeerStatistics;
  /** Per worker: how many of its handshake messages were taken (see handshake-credit.ts). */
  readonly handshakeCredits: readonly SharedArrayBuffer[];
  private readonly handshakesTaken: readonly Int32Array[];
  private readonly peers = new Map<number, PeerPlace>();
  /** Per-peer sockets (port-less binds) live in one worker only. */
  private readonly socketWorker = new Map<number, number>();
  /** Which worker last received a handshake from a (socket, endpoint). */
  private readonly handshakeWorker = new Map<string, number>();
  /** Peers owned plus per-peer sockets held, per worker: new ones go to the least loaded. */
  private readonly load: Int32Array;
  /** Each worker's latest `macAddresses` report: it learns the addresses behind its own peers only. */
  private readonly macReports: MacReport[];

  /** Starts `count` worker threads (see DatapathWorker). */
  static spawn(count: number, misplace = false, warmUp?: PipelineWarmUp): Workers {
    return new Workers(Array.from({ length: count }, () => new DatapathWorker(undefined, warmUp)), misplace);
  }

  constructor(
    readonly handles: readonly WorkerHandle[],
    /**
     * Test switch: give each peer on a configured socket to the worker after the one its
     * datagrams arrive at, so that every packet of it crosses a handoff ring.
     */
    private readonly misplace = false,
  ) {
    const count = handles.length;
    this.count = count;
    this.globalStats = Array.from({ length: count }, () => new SharedArrayBuffer(GLOBAL_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT));
    this.peerStatBuffers = Array.from({ length: count }, () => new SharedArrayBuffer(INITIAL_PEER_ROWS * PEER_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT));
    this.peerStats = new PeerStatistics(this.peerStatBuffers);
    handles.forEach((handle, index) =>
      handle.on('message', (message: FromWorker) => {
        if (message.type === 'peerStats') this.peerStats.replace(index, message.buffer);
      }),
    );
    this.handshakeCredits = Array.from({ length: count }, () => new SharedArrayBuffer(HANDSHAKE_CREDIT_BYTES));
    this.handshakesTaken = this.handshakeCredits.map((buffer) => new Int32Array(buffer));
    this.load = new Int32Array(count);
    this.macReports = Array.from({ length: count }, () => []);
  }

  /** Takes one worker's MAC address report; returns all workers' reports together. */
  mergeMacAddresses(worker: number, report: MacReport): MacReport {
    this.macReports[worker] = report;
    return this.macReports.flat();
  }

  /** Calls `listener` with every message of every worker, and the worker's index. */
  onMessage(listener: (message: FromWorker, worker: number) => void): void {
    this.handles.forEach((handle, index) =>
      handle.on('message', (message: FromWorker) => {
        // the constructor's listener follows the table; the control plane has nothing to do
        if (message.type === 'peerStats') return;
        // off the worker's queue: it may post another
        if (message.type === 'handshakes') takeHandshakes(this.handshakesTaken[index]!, message.count);
        listener(message, index);
      }),
    );
  }

  onExit(listener: (code: number) => void): void {
    for (const handle of this.handles) handle.once('exit', listener);
  }

  /** The worker owning a peer, or -1 when the workers do not know it. */
  ownerOf(peerId: number): number {
    return this.peers.get(peerId)?.owner ?? NO_WORKER;
  }

  /** Peers each worker owns. */
  peerCounts(): number[] {
    const counts = new Array<number>(this.count).fill(0);
    for (const place of this.peers.values()) if (place.owner !== NO_WORKER) counts[place.owner]++;
    return counts;
  }

  /** Remembers which worker's socket a handshake came in on: the peer will be given to it. */
  noteHandshake(worker: number, socketId: number, endpoint: Endpoint): void {
    if (this.handshakeWorker.size >= HANDSHAKE_MEMORY) this.handshakeWorker.clear();
    this.handshakeWorker.set(`${socketId}|${endpointKey(endpoint)}`, worker);
  }

  /** Delivers a control-plane message to the workers concerned. */
  post(message: ToWorker): void {
    switch (message.type) {
      case 'init':
        throw new Error('init is per worker: use postTo');
      case 'addPeer':
        // announced with its first address, which tells where its datagrams arrive
        this.peers.set(message.peerId, { owner: NO_WORKER, interface: message.interface, address: undefined });
        return;
      case 'removePeer': {
        const place = this.peers.get(message.peerId);
        if (!place) return;
        this.peers.delete(message.peerId);
        if (place.owner === NO_WORKER) return;
        this.load[place.owner]--;
        this.toAll(message);
        return;
      }
      case 'setPeerAddress': {
        const place = this.peers.get(message.peerId);
        if (!place) return;
        place.address = { socketId: message.socketId, endpoint: message.endpoint, local: message.local };
        if (place.owner === NO_WORKER) {
          const arrival = this.arrivalWorker(place);
          place.owner = arrival === NO_WORKER ? this.leastLoaded() : arrival;
          this.load[place.owner]++;
          this.announce(message.peerId, place.owner, false);
        }
        this.toAll(message);
        return;
      }
      case 'installSession':
        // a new session is the moment to follow the kernel's choice of socket: the old
        // owner's sessions go, and this one is about to replace them anyway
        this.moveIfElsewhere(message.peerId);
        this.toOwner(message.peerId, message);
        return;
      case 'resetPeer':
        this.toOwner(message.peerId, message);
        return;
      case 'keepalive':
        this.keepalivesToOwners(message.peerIds);
        return;
      case 'addSocket': {
        const worker = this.leastLoaded();
        this.socketWorker.set(message.socket.socketId, worker);
        this.load[worker]++;
        this.postTo(worker, message);
        return;
      }
      case 'removeSocket': {
        const worker = this.socketWorker.get(message.socketId);
        if (worker === undefined) return;
        this.socketWorker.delete(message.socketId);
        this.load[worker]--;
        this.postTo(worker, message);
        return;
      }
      case 'rememberedEndpoints':
      case 'remoteEndpoints':
      case 'compactHeap':
      case 'shutdown':
        this.toAll(message);
        return;
    }
  }

  postTo(worker: number, message: ToWorker, wake = true): void {
    this.handles[worker]!.post(message, wake);
  }

  /** Resolves when every worker has stopped. */
  async stop(): Promise<void> {
    await Promise.all(this.handles.map((handle) => handle.stop()));
  }

  /** The workers' global statistics summed field by field. */
  sumGlobalStats(into: Float64Array): Float64Array {
    into.fill(0);
    for (const buffer of this.globalStats) {
      const stats = new Float64Array(buffer);
      for (let field = 0; field < into.length && field < stats.length; field++) into[field] += stats[field]!;
    }
    return into;
  }

  /** Where the peer's traffic arrives: the worker of its per-peer socket, or of the socket its last handshake came in on. */
  private arrivalWorker(place: PeerPlace): number {
    const address = place.address;
    if (!address) return NO_WORKER;
    const own = this.socketWorker.get(address.socketId);
    if (own !== undefined) return own;
    const arrival = this.handshakeWorker.get(`${address.socketId}|${endpointKey(address.endpoint)}`) ?? NO_WORKER;
    return this.misplace && arrival !== NO_WORKER ? (arrival + 1) % this.count : arrival;
  }

  private moveIfElsewhere(peerId: number): void {
    const place = this.peers.get(peerId);
    if (!place || place.owner === NO_WORKER) return;
    const target = this.arrivalWorker(place);
    if (target === NO_WORKER || target === place.owner) return;
    this.toAll({ type: 'removePeer', peerId, moved: true });
    this.load[place.owner]--;
    place.owner = target;
    this.load[target]++;
    this.announce(peerId, target, true);
    if (place.address) this.toAll({ type: 'setPeerAddress', peerId, ...place.address });
  }

  /** addPeer to every worker; the interface only to the owner, which alone reads and writes it. */
  private announce(peerId: number, owner: number, moved: boolean): void {
    const spec = this.peers.get(peerId)?.interface;
    for (let worker = 0; worker < this.count; worker++) {
      this.postTo(worker, {
        type: 'addPeer',
        peerId,
        owner,
        ...(moved ? { moved } : {}),
        ...(spec && worker === owner ? { interface: spec } : {}),
      });
    }
  }

  /** One keepalive message to each worker that owns some of the peers. */
  private keepalivesToOwners(peerIds: readonly number[]): void {
    const byOwner = Array.from({ length: this.count }, (): number[] => []);
    // a peer no worker owns yet has no session to keep alive
    for (const peerId of peerIds) byOwner[this.ownerOf(peerId)]?.push(peerId);
    byOwner.forEach((owned, worker) => {
      // no wake-up of its own: a keepalive is due 20 s after the last send and a peer is
      // dropped after 90 s of silence, so it can wait for the worker's timer (at most a second),
      // which rides along with a wake-up the worker has anyway (1,000 idle routers: ~20 a second)
      if (owned.length > 0) this.postTo(worker, { type: 'keepalive', peerIds: owned }, false);
    });
  }

  private toOwner(peerId: number, message: ToWorker): void {
    const owner = this.ownerOf(peerId);
    if (owner !== NO_WORKER) this.postTo(owner, message);
  }

  private toAll(message: ToWorker): void {
    for (let worker = 0; worker < this.count; worker++) this.postTo(worker, message);
  }

  private leastLoaded(): number {
    let best = 0;
    for (let worker = 1; worker < this.count; worker++) if (this.load[worker]! < this.load[best]!) best = worker;
    return best;
  }
}

// The send path, in the order a frame goes through it:
//   1. read   a batch of frames from a TUN/TAP queue (io/tuntap-queue.ts) into the read
//             slots; with a vnet header it cuts the kernel's TSO super-frames into frames.
//   2. route  each frame to its peer(s): tap by its destination MAC (tables/mac-table.ts), tun
//             and multitap to the queue's peer. Frames the receive path forwards between
//             peers (tap with `forward`) join here, and so do frames other workers read for
//             our peers; a peer another worker owns gets its frames through handoff/.
//   3. seal   consecutive frames for one peer as one run, with its current session.
//   4. batch  each sealed packet into its socket's outgoing batch, with the owner that gets its
//             memory back (buffer-owner.ts).
//   5. send   each socket's batch with sendmmsg or io_uring (UDP GSO), counting per peer.
// Frames for several peers (broadcasts, unknown destinations) are copied per peer, as fastd
// duplicates them. The entry points, by the stage they enter: read (1, the loop),
// routeForwarded and routeHandedOver (2, the receive path and handoff), sealEmpty and
// queueEmpty (3, keepalives) and send (5: everything queued goes out). Handshakes go out from the control
// plane itself (engine/net/control-sender.ts).
import { PacketStatus, type PacketBatch } from '../../../crypto/methods/provider.js';
import { createFrameBatch, type DatagramIo, type FrameBatch } from '../../../io/batch.js';
import { Ethernet } from '../../../io/offload/headers.js';
import { copySlot } from '../tables/address-key.js';
import { lentOwner, NO_OWNER, pooledOwner, releaseOwner } from '../buffer-owner.js';
import type { BufferPool } from '../../../bufferpool/pool.js';
import type { Datapath } from '../context.js';
import type { Interface } from '../queues.js';
import type { Outgoing, Socket } from '../udp-sockets.js';
import { HandoffKind, type HandoffBatch } from '../handoff/handoff-ring.js';
import { isUnicast, LOCAL, UNKNOWN, type MacTable } from '../tables/mac-table.js';
import { NO_PEER, type DatapathPeer, type PeerTable } from '../tables/peer-table.js';
import type { SharedMacTable } from '../tables/shared-mac-table.js';
import { Counter, DropReason, type DatapathStats } from '../tables/stats.js';
import { BATCH, BATCHES_PER_TURN, HEADROOM } from '../sizes.js';
import { Taken } from '../poller.js';

export class Sender {
  /** Read slots for TUN/TAP queues (one queue is read and its frames sent before the next), taken for good. */
  private readonly reads: FrameBatch;
  /** Slots of `reads` the last read filled (the rest still hold readRoom). */
  private readsUsed = Number.MAX_SAFE_INTEGER;
  /** The room the unfilled read slots hold: the last queue's (they differ with per-peer MTUs). */
  private readRoom = 0;
  /** Frames a peer sent that go on to other peers (tap with `forward`), where the receive path has them. */
  private readonly forwards: FrameBatch;
  /** The peer each of `forwards` came from. */
  private readonly forwardSource = new Int32Array(BATCH);
  /** The run: consecutive payloads for one peer, sealed together. */
  private readonly run: PacketBatch;
  private runPeer = NO_PEER;
  private readonly runOwner = new Int32Array(BATCH);
  private readonly runPayload = new Uint32Array(BATCH);
  /** The parts of the datapath this path reads per frame, held here (one field load each). */
  private readonly peers: PeerTable;
  private readonly macs: MacTable | SharedMacTable;
  private readonly sockets: readonly (Socket | undefined)[];
  private readonly bytes: Uint8Array;
  private readonly pool: BufferPool;
  private readonly stats: DatapathStats;

  constructor(private readonly dp: Datapath) {
    this.peers = dp.peers.table;
    this.macs = dp.peers.macs;
    this.sockets = dp.sockets.list;
    this.bytes = dp.memory.bytes;
    this.pool = dp.memory.pool;
    this.stats = dp.stats;
    this.reads = createFrameBatch(BATCH);
    for (let i = 0; i < BATCH; i++) this.reads.offsets[i] = dp.memory.fixedBuffer() + HEADROOM;
    this.forwards = createFrameBatch(BATCH);
    this.run = dp.memory.packetBatch();
  }

  // 1. read

  /**
   * Reads and sends what the interface's queue has, at most `batches` batches; Failed when
   * reading failed (it is not polled again), More when the last batch came full. `written`:
   * the worker just wrote to the queue, so it reads whatever the kernel queued meanwhile.
   */
  read(iface: Interface, now: number, batches: number = BATCHES_PER_TURN, written = false): Taken {
    const dp = this.dp;
    const reads = this.reads;
    const queue = iface.queue;
    const limit = queue.frameLimit;
    if (limit + 1 !== this.readRoom) {
      this.readRoom = limit + 1;
      this.readsUsed = reads.capacity;
    }
    const peer = iface.peerId < 0 ? undefined : this.peers.get(iface.peerId);
    queue.woke(now, written);
    for (let turn = 0; turn < batches; turn++) {
      // a read changes only the lengths of the slots it filled
      reads.lengths.fill(this.readRoom, 0, this.readsUsed);
      let count: number;
      try {
        count = queue.read(reads);
      } catch (error) {
        // fastd exits when reading its interface fails (e.g. it was deleted): the control plane decides
        dp.post({ type: 'fatal', message: `reading from ${iface.spec.name}: ${(error as Error).message}` });
        return Taken.Failed;
      }
      this.readsUsed = count;
      if (count === 0) return Taken.Drained;
      this.routeReads(peer, limit, count, now);
      if (count < reads.capacity) return Taken.Drained;
    }
    // The batches ended inside a TSO super-frame: its other segments are ours already, so the
    // queue may look empty; left for its next frame, they could wait for a TCP retransmission.
    while (queue.holdsSegments()) {
      reads.lengths.fill(this.readRoom, 0, this.readsUsed);
      this.readsUsed = queue.readHeld(reads);
      this.routeReads(peer, limit, this.readsUsed, now);
    }
    return Taken.More;
  }

  // 2. route

  /** Routes and sends the first `count` read slots, read from a queue whose frames may be `limit` bytes long (tun: for `peer`). */
  private routeReads(peer: DatapathPeer | undefined, limit: number, count: number, now: number): void {
    const dp = this.dp;
    const reads = this.reads;
    for (let i = 0; i < count; i++) {
      const length = reads.lengths[i];
      // longer than fastd's MTU (the admin raised the kernel's): a peer with the same MTU could not take it
      if (length > limit) this.stats.drop(DropReason.Malformed);
      else if (dp.mode === 'tap') this.route(reads.offsets[i], length, NO_PEER, NO_OWNER, now);
      else if (peer) this.toPeer(peer, reads.offsets[i], length, NO_OWNER, now);
    }
    // the read slots are reused by the next read: everything must be sent first
    this.flush(now);
  }

  /**
   * tap with `forward`: a frame from peer `source` that also goes on to the other peers,
   * unless its destination is local. It is noted where the receive path has it and routed by
   * send(), which the receive path calls once its frames reached our own interface (or when
   * forwardsFull).
   */
  routeForwarded(source: number, offset: number, length: number, now: number): void {
    const dp = this.dp;
    const destination = offset + Ethernet.DESTINATION;
    if (isUnicast(this.bytes, destination) && this.macs.lookupAt(this.bytes, destination, now) === LOCAL) return;
    // a forwarded frame is copied behind HEADROOM into a buffer of its own: it must fit there
    if (length > dp.memory.frameRoom) return;
    const forwards = this.forwards;
    forwards.offsets[forwards.count] = offset;
    forwards.lengths[forwards.count] = length;
    this.forwardSource[forwards.count++] = source;
  }

  /** No room for another forwarded frame: the receive path delivers what it holds and calls send() first. */
  get forwardsFull(): boolean {
    return this.forwards.count === this.forwards.capacity;
  }

  // Runs after the receive path's interface writes; the frames are copied behind HEADROOM, since sealing works in place.
  private routeForwards(now: number): void {
    const forwards = this.forwards;
    for (let f = 0; f < forwards.count; f++) {
      const index = this.pool.alloc(now);
      if (index < 0) continue;
      const copy = this.pool.offsetOf(index) + HEADROOM;
      this.bytes.copyWithin(copy, forwards.offsets[f], forwards.offsets[f] + forwards.lengths[f]);
      this.route(copy, forwards.lengths[f], this.forwardSource[f], pooledOwner(index), now);
    }
    forwards.count = 0;
  }

  /**
   * The Seal and SealAll entries of a batch from another worker's ring: frames it read for a
   * peer of ours, or for everybody, in buffers it lent us; then sends.
   */
  routeHandedOver(taken: HandoffBatch, now: number): void {
    const dp = this.dp;
    for (let i = 0; i < taken.count; i++) {
      const kind = taken.kinds[i];
      const offset = taken.offsets[i];
      const owner = lentOwner(offset);
      if (kind === HandoffKind.Seal) {
        const peer = this.peers.get(taken.peerId(i));
        if (peer && peer.owner === dp.self) {
          this.toPeer(peer, offset, taken.lengths[i], owner, now);
          continue;
        }
        // it moved on meanwhile
        if (peer) this.stats.add(peer.id, Counter.TxDropped, 1, taken.lengths[i]);
        this.release(owner);
      } else if (kind === HandoffKind.SealAll) {
        this.toLocalPeers(offset, taken.lengths[i], taken.sourcePeer(i), now);
        this.release(owner);
      }
    }
    this.flush(now);
  }

  /**
   * tap mode: routes one Ethernet frame at bytes[offset, offset + length) (HEADROOM bytes
   * free in front of it) from `source` (NO_PEER: from our own interface) by its destination
   * MAC and queues it for sealing. `owner` gets the frame's memory back once it is dealt with.
   */
  private route(offset: number, length: number, source: number, owner: number, now: number): void {
    const dp = this.dp;
    if (length < Ethernet.SIZE) {
      this.release(owner);
      return;
    }
    const bytes = this.bytes;
    if (source === NO_PEER && isUnicast(bytes, offset + Ethernet.SOURCE)) {
      this.macs.learnAt(bytes, offset + Ethernet.SOURCE, LOCAL, now);
    }
    if (isUnicast(bytes, offset + Ethernet.DESTINATION)) {
      const target = this.macs.lookupAt(bytes, offset + Ethernet.DESTINATION, now);
      if (target !== UNKNOWN) {
        const peer = target === LOCAL || target === source ? undefined : this.peers.get(target);
        if (peer && peer.owner === dp.self) this.toPeer(peer, offset, length, owner, now);
        else {
          if (peer) dp.handoff!.seal(peer.owner, peer.id, offset, length, now);
          this.release(owner);
        }
        return;
      }
    }
    this.toLocalPeers(offset, length, source, now);
    dp.handoff?.sealForAll(source, offset, length, now);
    this.release(owner);
  }

  /**
   * Copies the frame for every established peer of this worker but its source (fastd's
   * send_all; the other workers get it through the handoff rings).
   */
  private toLocalPeers(offset: number, length: number, source: number, now: number): void {
    for (let i = 0; i < this.peers.count; i++) {
      const peer = this.peers.get(this.peers.ids[i])!;
      if (peer.id === source || !peer.established) continue;
      const index = this.pool.alloc(now);
      if (index < 0) {
        this.stats.add(peer.id, Counter.TxDropped, 1, length);
        continue;
      }
      const copy = this.pool.offsetOf(index) + HEADROOM;
      this.bytes.copyWithin(copy, offset, offset + length);
      this.toPeer(peer, copy, length, pooledOwner(index), now);
    }
  }

  // 3. seal

  /** An empty data packet on the peer's current session (keepalive, confirmation), sent at once. */
  sealEmpty(peer: DatapathPeer, now: number): void {
    this.queueEmpty(peer, now);
    this.flush(now);
  }

  /**
   * An empty data packet, sent with the next send(): the keepalives that come due together
   * go out as one batch per socket, one system call for all of them (sent one by one, those
   * of 1,000 idle routers cost ~50 io_uring_enter calls a second).
   */
  queueEmpty(peer: DatapathPeer, now: number): void {
    const index = this.pool.alloc(now);
    if (index < 0) {
      this.stats.add(peer.id, Counter.TxDropped, 1, 0);
      return;
    }
    this.toPeer(peer, this.pool.offsetOf(index) + HEADROOM, 0, pooledOwner(index), now);
  }

  /** Queues a payload (HEADROOM bytes free in front of it) for sealing towards one peer. */
  private toPeer(peer: DatapathPeer, offset: number, length: number, owner: number, now: number): void {
    if (peer.id !== this.runPeer || this.run.count === BATCH) {
      this.sealRun(now);
      this.runPeer = peer.id;
    }
    const batch = this.run;
    const i = batch.count++;
    batch.offsets[i] = offset;
    batch.lengths[i] = length;
    this.runOwner[i] = owner;
    this.runPayload[i] = length;
  }

  // Seals the run and puts it into its peer's socket's batch (4. batch).
  private sealRun(now: number): void {
    const batch = this.run;
    if (batch.count === 0) return;
    const peer = this.peers.get(this.runPeer);
    const socket = peer ? this.sockets[peer.socketId] : undefined;
    if (!peer || !peer.current || !socket) {
      for (let i = 0; i < batch.count; i++) {
        if (peer) this.stats.add(peer.id, Counter.TxDropped, 1, this.runPayload[i]);
        this.release(this.runOwner[i]);
      }
      batch.count = 0;
      return;
    }
    // fastd's use_old_session: an initiator keeps sealing with the previous session until a
    // packet on the new one shows the responder has it too (its finish packet may be late)
    const session = peer.current.initiator && peer.previous?.isValid(now) ? peer.previous : peer.current;
    session.seal(batch, now);
    const out = socket.out;
    for (let i = 0; i < batch.count; i++) {
      if (batch.status[i] !== PacketStatus.Ok) {
        this.stats.add(peer.id, Counter.TxDropped, 1, this.runPayload[i]);
        this.release(this.runOwner[i]);
        continue;
      }
      if (out.batch.count === out.batch.capacity) this.sendSocket(out, socket.io, now);
      const j = out.batch.count++;
      out.batch.offsets[j] = batch.offsets[i];
      out.batch.lengths[j] = batch.lengths[i];
      copySlot(this.peers.addressWords, peer.id, out.batch.addressWords, j);
      copySlot(this.peers.localWords, peer.id, out.batch.localWords, j);
      out.peerOf[j] = peer.id;
      out.payloadBytes[j] = this.runPayload[i];
      out.owner[j] = this.runOwner[i];
    }
    batch.count = 0;
  }

  // 5. send

  /** Routes the forwarded frames, seals what is queued and sends every socket's batch. Call before the memory of queued frames is reused. */
  send(now: number): void {
    this.routeForwards(now);
    this.flush(now);
  }

  private flush(now: number): void {
    this.sealRun(now);
    const sockets = this.sockets;
    for (let s = 0; s < sockets.length; s++) {
      const socket = sockets[s];
      if (socket && socket.out.batch.count > 0) this.sendSocket(socket.out, socket.io, now);
    }
  }

  private sendSocket(out: Outgoing, io: DatagramIo, now: number): void {
    const batch = out.batch;
    // EAGAIN (socket buffer full) stops the send; fastd drops such packets too.
    const sent = io.send(batch);
    for (let i = 0; i < batch.count; i++) {
      const peerId = out.peerOf[i];
      if (peerId !== NO_PEER && this.peers.get(peerId)) {
        if (i >= sent) this.stats.add(peerId, Counter.TxDropped, 1, out.payloadBytes[i]);
        else if (batch.errors[i] !== 0) this.stats.add(peerId, Counter.TxError, 1, out.payloadBytes[i]);
        else {
          this.stats.add(peerId, Counter.Tx, 1, out.payloadBytes[i]);
          this.stats.sent(peerId, now);
        }
      }
      this.release(out.owner[i]);
    }
    batch.count = 0;
  }

  private release(owner: number): void {
    releaseOwner(owner, this.pool, this.dp.handoff);
  }
}

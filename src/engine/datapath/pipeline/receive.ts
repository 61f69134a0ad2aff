// The receive path: a batch of datagrams from a socket (whose kernel buffer follows the rate it is
// taken at: receive-buffer.ts) → classify (protocol/wire.ts) →
// handshakes within their token buckets (handshake-limiter.ts) to the control plane (held up to HANDSHAKE_HOLD_MS, then one message: handshake-records.ts); data that queued too long → dropped by the socket's CoDel
// (codel.ts), before it costs an open; data → the peer its address belongs to → open with the
// peer's current session, then what failed with the previous one (a packet that fails stays
// byte for byte as received) → deliver the frames to the TUN/TAP, keepalives only counted
// (tap with `forward`: and hand them to the send path, which routes them on to other peers).
// Consecutive packets of one peer are opened with one call; frames for one interface are
// written with one batch write at the end.
import { PacketStatus, type PacketBatch } from '../../../crypto/methods/provider.js';
import type { DatagramBatch } from '../../../io/batch.js';
import { splitSegments } from '../../../io/gro.js';
import { SystemError } from '../../../io/libc.js';
import { setReceiveBuffer } from '../../../io/udp.js';
import { Ethernet } from '../../../io/offload/headers.js';
import { classifyPacket, L2tpHeader, PacketClass, PacketType } from '../../../protocol/wire.js';
import { endpointKey, sourceKey } from '../tables/address-key.js';
import type { Datapath } from '../context.js';
import type { Interface } from '../queues.js';
import type { Socket } from '../udp-sockets.js';
import { HandoffKind, type HandoffBatch } from '../handoff/handoff-ring.js';
import { isUnicast, type MacTable } from '../tables/mac-table.js';
import { HandshakeRecords } from '../handshake-records.js';
import { endpointOf, localOf } from '../messages.js';
import { confirmCurrent, NO_PEER, type DatapathPeer, type PeerTable } from '../tables/peer-table.js';
import type { SharedMacTable } from '../tables/shared-mac-table.js';
import type { Sender } from './send.js';
import { Counter, DropReason, type DatapathStats } from '../tables/stats.js';
import { BATCH, BATCHES_PER_TURN } from '../sizes.js';
import { Taken } from '../poller.js';


/**
 * How long a handshake may wait for others to go up with it, ms. Each message wakes the main
 * thread, and a wake-up of Node's event loop costs more CPU than the handshake it brings
 * (~100 µs measured on the loaded 2-core machine, an answered init's whole main-thread cost):
 * a flood or a connect storm whose inits come a few ms apart goes up in a few messages
 * instead of one each. fastd's handshakes wait for seconds-long timers; a few ms are nothing to them.
 */
export const HANDSHAKE_HOLD_MS = 5;
/** This many held handshakes go up at once, whatever their age. */
const HANDSHAKE_HOLD_COUNT = 64;
/**
 * Frames this short (bytes) are no bulk data: the kernel's answer to one (a ping's reply) is
 * read right after the socket's batch (Loop). Under TCP flows the data segments are ~1,400
 * bytes and their answers, ACKs, wait for the turn's end: reading after every batch cost
 * ~50 % more system calls per packet.
 */
const SHORT_FRAME = 256;

export class Receiver {
  private runPeer = NO_PEER;
  /** The run's packets are pre-v22 data (0x02): a handshake asked for answers in that framing. */
  private runCompat = false;
  /** A packet of the run came to another local address than the peer's: where (batch and entry), null for none. */
  private runLocals: DatagramBatch | null = null;
  private runLocalSlot = 0;
  /** The run's packets, opened with one call on the peer's current session. */
  private readonly open: PacketBatch;
  /** What the current session refused before its reorder check, tried on the previous one. */
  private readonly retry: PacketBatch;
  /** A datagram from an unknown address, tried on one session after another. */
  private readonly trial: PacketBatch;
  /** For each entry of the open batch: 1 if it opened on the previous session. */
  private readonly onPrevious = new Uint8Array(BATCH);
  /** For each entry of the retry batch: its index in the open batch. */
  private readonly retryOf = new Uint16Array(BATCH);
  /** Handshakes held for the control plane, to go up in one message; from `heldSocket` since `heldSince` (ms, performance.now()). */
  private readonly handshakes = new HandshakeRecords();
  private heldSocket = -1;
  private heldSince = 0;
  /** Interfaces with frames pending, [0, dirtyCount). */
  private readonly dirty = new Int32Array(BATCH);
  private dirtyCount = 0;
  /** Datagrams of the batch being handled that were data for a session: opened, or handed to the peer's worker (CoDel's garbage rule). */
  private forSessions = 0;
  /** Frames written to our interfaces so far: the loop tells by it whether a turn wrote any. */
  framesWritten = 0;
  /**
   * interfaceIds of the interfaces a short frame went to since the loop last cleared
   * answeredCount (an id twice in a row once; at most BATCH): the kernel answers such a frame
   * (a ping to our address, ARP, a TCP handshake) while it is written, and someone waits for
   * the answer, so the loop reads there right after the socket's batch.
   */
  readonly answered = new Int32Array(BATCH);
  answeredCount = 0;
  private readonly tap: Interface | undefined;
  /** The parts of the datapath this path reads per packet, held here (one field load each). */
  private readonly peers: PeerTable;
  private readonly interfaces: readonly (Interface | undefined)[];
  private readonly macs: MacTable | SharedMacTable;
  private readonly bytes: Uint8Array;
  private readonly stats: DatapathStats;

  constructor(
    private readonly dp: Datapath,
    private readonly sender: Sender,
  ) {
    this.peers = dp.peers.table;
    this.interfaces = dp.queues.list;
    this.macs = dp.peers.macs;
    this.bytes = dp.memory.bytes;
    this.stats = dp.stats;
    this.open = dp.memory.packetBatch();
    this.retry = dp.memory.packetBatch();
    this.trial = dp.memory.packetBatch(1);
    this.tap = dp.mode === 'tap' ? dp.queues.first() : undefined;
  }

  /**
   * Receives from a socket until it has nothing more or `batches` batches were taken; then its
   * buffers go back (an idle socket holds none). More: the last batch came full.
   */
  drain(socket: Socket, now: number, batches: number = BATCHES_PER_TURN): Taken {
    const raw = socket.raw;
    const room = this.dp.sockets.receiveRoom();
    const wallClock = this.dp.wallClock;
    let taken: Taken = Taken.Drained;
    for (let turn = 0; turn < batches; turn++) {
      taken = Taken.Drained;
      // a receive changes only the lengths of the entries it filled (raw.count of them);
      // the last entry short of the room means they were never set (or the room changed)
      if (raw.lengths[raw.capacity - 1] !== room) raw.lengths.fill(room);
      // a loop: a typed array's fill() is a call into V8's C++ runtime, dearer than a few stores
      else for (let i = 0; i < raw.count; i++) raw.lengths[i] = room;
      let received: number;
      try {
        received = socket.io.receive(raw);
      } catch (error) {
        // e.g. an ICMP error reported on the socket: nothing to receive this time
        if (error instanceof SystemError) break;
        throw error;
      }
      if (received === 0) break;
      // CoDel's clock: the kernel stamps with CLOCK_REALTIME
      const wall = wallClock.now();
      if (raw !== socket.receive) {
        // each GRO buffer holds at most UDP_MAX_SEGMENTS datagrams, which the split batch has room for
        socket.receive.count = 0;
        splitSegments(raw, socket.receive);
        if (socket.receive.count > received) this.countCoalesced(raw);
      }
      let bytes = 0;
      for (let i = 0; i < raw.count; i++) bytes += raw.lengths[i];
      socket.buffer.took(bytes);
      this.handle(socket, now, wall, received < raw.capacity);
      if (received < raw.capacity) break;
      taken = Taken.More;
    }
    socket.io.release?.();
    const size = socket.buffer.resize(now);
    if (size > 0) setReceiveBuffer(socket.fd, size);
    return taken;
  }

  private countCoalesced(raw: Socket['raw']): void {
    let datagrams = 0;
    for (let i = 0; i < raw.count; i++) {
      const size = raw.segmentSizes[i];
      if (size > 0 && raw.lengths[i] > size) datagrams += Math.ceil(raw.lengths[i] / size);
    }
    this.stats.coalesced(datagrams);
  }

  private handle(socket: Socket, now: number, wall: number, drained: boolean): void {
    const dp = this.dp;
    const batch = socket.receive;
    // the only datagram the socket had: however long it waited, it queued behind nothing
    const alone = drained && batch.count === 1;
    const bytes = this.bytes;
    this.forSessions = 0;
    for (let i = 0; i < batch.count; i++) {
      let offset = batch.offsets[i];
      let length = batch.lengths[i];
      const kind = batch.errors[i] === 0 ? classifyPacket(bytes, offset, length) : PacketClass.Invalid;
      if (kind === PacketClass.Handshake || kind === PacketClass.L2tpHandshake) {
        const known = this.peers.find(batch.addressWords, i) !== NO_PEER || dp.peers.handshakeRate.knows(endpointKey(batch.addressWords, i), now);
        if (!dp.peers.handshakeRate.admit(known, sourceKey(batch.addressWords, i), now)) {
          this.stats.drop(DropReason.HandshakeRate);
          continue;
        }
        if (!dp.peers.handshakes.admit()) {
          this.stats.drop(DropReason.Handshake);
          continue;
        }
        this.stats.handshake();
        if (this.handshakes.count === 0 || this.heldSocket !== socket.id) {
          this.postHandshakes();
          this.heldSocket = socket.id;
          this.heldSince = now;
        }
        this.handshakes.add(batch.addresses, batch.locals, i, bytes, offset, length);
        continue;
      }
      if (kind === PacketClass.Invalid) {
        this.stats.drop(DropReason.Malformed);
        continue;
      }
      const receivedAt = batch.receivedAt[i];
      if (receivedAt !== 0 && socket.codel.decide(wall - receivedAt, wall, alone)) {
        this.stats.drop(DropReason.Queue);
        continue;
      }
      if (kind === PacketClass.L2tpData) {
        // fastd strips the control header of any packet type before the method sees it
        offset += L2tpHeader.SIZE;
        length -= L2tpHeader.SIZE;
      }
      const peerId = this.peers.find(batch.addressWords, i);
      const peer = peerId === NO_PEER ? undefined : this.peers.get(peerId);
      if (peer && peer.owner !== dp.self) {
        dp.handoff!.open(peer.owner, peerId, offset, length, now);
        this.forSessions++;
        continue;
      }
      if (!peer || !peer.established) {
        this.fromUnknown(socket, i, offset, length, now);
        continue;
      }
      this.queueOpen(peer, offset, length, now);
      if (!this.peers.talksTo(peer.id, batch.localWords, i)) {
        this.runLocals = batch;
        this.runLocalSlot = i;
      }
    }
    this.finishBatch(now);
    socket.codel.tookBatch(this.forSessions, batch.count);
    if (this.handshakes.count >= HANDSHAKE_HOLD_COUNT) this.postHandshakes();
  }

  /** When the held handshakes are due at the control plane (ms, performance.now()); Infinity when none are held. */
  get handshakesDue(): number {
    return this.handshakes.count > 0 ? this.heldSince + HANDSHAKE_HOLD_MS : Infinity;
  }

  /** Hands the held handshakes to the control plane in one message. */
  postHandshakes(): void {
    const count = this.handshakes.count;
    if (count === 0) return;
    const records = this.handshakes.take();
    this.dp.post({ type: 'handshakes', socketId: this.heldSocket, worker: this.dp.self, count, records }, [records]);
  }

  /**
   * The Open entries of a batch from another worker's ring: datagrams its socket received
   * for peers of ours. Its buffers are given back after this returns, so everything that
   * points into them is written out before.
   */
  openHandedOver(taken: HandoffBatch, now: number): void {
    const dp = this.dp;
    for (let i = 0; i < taken.count; i++) {
      if (taken.kinds[i] !== HandoffKind.Open) continue;
      const peer = this.peers.get(taken.peerId(i));
      if (peer && peer.owner === dp.self && peer.established) {
        this.queueOpen(peer, taken.offsets[i], taken.lengths[i], now);
        continue;
      }
      // it moved on meanwhile, or has no session (any more): as if from an unknown address
      this.stats.drop(DropReason.UnknownAddress);
      if (peer && peer.owner === dp.self) this.askForHandshake(peer, taken.offsets[i], taken.lengths[i], now);
    }
    this.finishBatch(now);
  }

  // Data from our peer without a session to open it: the peer has one we do not (it
  // restarted, or we reset it), so the control plane answers with a handshake, rate-limited.
  private askForHandshake(peer: DatapathPeer, offset: number, length: number, now: number): void {
    const dp = this.dp;
    if (length < dp.minDataLength || !dp.peers.unknown.admit(endpointKey(this.peers.addressWords, peer.id), now)) return;
    dp.post({ type: 'unknownData', socketId: peer.socketId, endpoint: endpointOf(this.peers.addressBytes, peer.id), local: localOf(this.peers.localBytes, peer.id), compat: isCompatData(this.bytes, offset) });
  }

  private queueOpen(peer: DatapathPeer, offset: number, length: number, now: number): void {
    const open = this.open;
    if (peer.id !== this.runPeer || open.count === BATCH) {
      this.openRun(now);
      this.runPeer = peer.id;
    }
    open.offsets[open.count] = offset;
    open.lengths[open.count] = length;
    open.count++;
    this.runCompat = isCompatData(this.bytes, offset);
  }

  private finishBatch(now: number): void {
    this.openRun(now);
    this.writeAndSend(now);
  }

  // The frames go to our interfaces before those to forward go on to other peers.
  private writeAndSend(now: number): void {
    this.writeInterfaces();
    this.sender.send(now);
  }

  private openRun(now: number): void {
    const dp = this.dp;
    const open = this.open;
    const peer = this.peers.get(this.runPeer);
    if (open.count === 0 || !peer || !peer.current) {
      open.count = 0;
      this.runLocals = null;
      return;
    }
    peer.current.open(open, now);
    for (let k = 0; k < open.count; k++) this.onPrevious[k] = 0;
    if (peer.previous) this.retryOnPrevious(peer, now);
    let opened = false;
    let refused = false;
    for (let k = 0; k < open.count; k++) {
      const status = open.status[k];
      if (status === PacketStatus.Ok || status === PacketStatus.Reordered) {
        opened = true;
        this.forSessions++;
        if (this.onPrevious[k] === 0 && !peer.confirmed) this.confirm(peer, now);
        // an empty payload is a keepalive: it counts as a sign of life, nothing more
        if (open.lengths[k] > 0) this.deliver(peer, open.offsets[k], open.lengths[k], status === PacketStatus.Reordered, now);
      } else if (status === PacketStatus.DropReplay) {
        this.stats.drop(DropReason.Replay);
      } else if (status === PacketStatus.DropMalformed) {
        this.stats.drop(DropReason.Malformed);
      } else {
        this.stats.drop(DropReason.Auth);
        refused = true;
      }
    }
    if (opened) {
      this.stats.received(peer.id, now);
      if (this.runLocals) this.talksToNewLocal(peer);
    }
    // Only packets no session of ours opens: the peer may have a session we missed (it
    // restarted, or our answer got lost); a new handshake sorts that out.
    else if (refused && dp.peers.unknown.admit(endpointKey(this.peers.addressWords, peer.id), now)) {
      dp.post({ type: 'unknownData', socketId: peer.socketId, endpoint: endpointOf(this.peers.addressBytes, peer.id), local: localOf(this.peers.localBytes, peer.id), compat: this.runCompat });
    }
    open.count = 0;
    this.runLocals = null;
  }

  // Authentic data came to another of our addresses than the peer's last (a wildcard
  // socket on a host with several): from now on everything to it leaves from there.
  private talksToNewLocal(peer: DatapathPeer): void {
    const dp = this.dp;
    const locals = this.runLocals!;
    this.peers.setLocal(peer.id, locals.localWords, this.runLocalSlot);
    dp.post({ type: 'peerMoved', peerId: peer.id, socketId: peer.socketId, endpoint: endpointOf(this.peers.addressBytes, peer.id), local: localOf(locals.locals, this.runLocalSlot) });
  }

  // Entries the current session refused before its reorder check are intact: try them on the previous one.
  private retryOnPrevious(peer: DatapathPeer, now: number): void {
    const open = this.open;
    const retry = this.retry;
    retry.count = 0;
    for (let k = 0; k < open.count; k++) {
      const status = open.status[k];
      if (status === PacketStatus.Ok || status === PacketStatus.Reordered || status === PacketStatus.DropReplay) continue;
      retry.offsets[retry.count] = open.offsets[k];
      retry.lengths[retry.count] = open.lengths[k];
      this.retryOf[retry.count++] = k;
    }
    if (retry.count === 0) return;
    peer.previous!.open(retry, now);
    for (let r = 0; r < retry.count; r++) {
      const k = this.retryOf[r];
      open.status[k] = retry.status[r];
      open.offsets[k] = retry.offsets[r];
      open.lengths[k] = retry.lengths[r];
      this.onPrevious[k] = 1;
    }
  }

  // The first packet on a new session: the previous one goes, the control plane learns the
  // connection is confirmed, and an initiator answers with an empty packet, as fastd does.
  private confirm(peer: DatapathPeer, now: number): void {
    confirmCurrent(peer);
    this.dp.post({ type: 'sessionConfirmed', peerId: peer.id });
    if (peer.current!.initiator) this.sender.sealEmpty(peer, now);
  }

  private deliver(peer: DatapathPeer, offset: number, length: number, reordered: boolean, now: number): void {
    const dp = this.dp;
    const iface = this.tap ?? this.interfaces[peer.interfaceId];
    if (!iface) return;
    if (this.tap) {
      if (length < Ethernet.SIZE) {
        this.stats.drop(DropReason.Malformed);
        return;
      }
      if (isUnicast(this.bytes, offset + Ethernet.SOURCE)) this.macs.learnAt(this.bytes, offset + Ethernet.SOURCE, peer.id, now);
    }
    this.stats.add(peer.id, Counter.Rx, 1, length);
    if (reordered) this.stats.add(peer.id, Counter.RxReordered, 1, length);
    const pending = iface.pending;
    if (pending.count === pending.capacity) this.writeInterface(iface);
    if (pending.count === 0) {
      if (this.dirtyCount === this.dirty.length) this.writeInterfaces();
      this.dirty[this.dirtyCount++] = iface.spec.interfaceId;
    }
    pending.offsets[pending.count] = offset;
    pending.lengths[pending.count] = length;
    pending.count++;
    if (length <= SHORT_FRAME) this.noteAnswered(iface.spec.interfaceId);
    // tap with `forward`: the send path passes every frame on to the other peers too
    if (this.tap && dp.forward) {
      if (this.sender.forwardsFull) this.writeAndSend(now);
      this.sender.routeForwarded(peer.id, offset, length, now);
    }
  }

  private noteAnswered(id: number): void {
    const n = this.answeredCount;
    if (n < BATCH && (n === 0 || this.answered[n - 1] !== id)) this.answered[this.answeredCount++] = id;
  }

  private writeInterfaces(): void {
    for (let d = 0; d < this.dirtyCount; d++) {
      const iface = this.interfaces[this.dirty[d]];
      if (iface) this.writeInterface(iface);
    }
    this.dirtyCount = 0;
  }

  // A queue that is full (EAGAIN) loses the rest of the batch, as fastd loses a failed write.
  private writeInterface(iface: Interface): void {
    this.framesWritten += iface.pending.count;
    iface.queue.write(iface.pending);
    iface.pending.count = 0;
  }

  // No established peer has this address: perhaps a peer that moved (try the sessions),
  // else tell the control plane, which answers with a handshake. Both rate-limited per address.
  private fromUnknown(socket: Socket, i: number, offset: number, length: number, now: number): void {
    const dp = this.dp;
    const batch = socket.receive;
    if (length < dp.minDataLength || !dp.peers.unknown.admit(endpointKey(batch.addressWords, i), now)) {
      this.stats.drop(DropReason.UnknownAddress);
      return;
    }
    const moved = this.trySessions(offset, length, now);
    this.stats.drop(DropReason.UnknownAddress);
    if (moved !== NO_PEER) {
      dp.post({ type: 'peerMoved', peerId: moved, socketId: socket.id, endpoint: endpointOf(batch.addresses, i), local: localOf(batch.locals, i) });
      return;
    }
    // the peer may be another worker's: they try their sessions too
    dp.handoff?.tryElsewhere(socket.id, offset, length, batch.addressWords, i, now);
    dp.post({ type: 'unknownData', socketId: socket.id, endpoint: endpointOf(batch.addresses, i), local: localOf(batch.locals, i), compat: isCompatData(this.bytes, offset) });
  }

  /**
   * A datagram from an unknown address that another worker received and none of its
   * sessions opened: if one of ours does, its peer moved there (`float`).
   */
  tryHandedOver(socketId: number, offset: number, length: number, addresses: Uint8Array, slot: number, now: number): void {
    const moved = this.trySessions(offset, length, now);
    if (moved !== NO_PEER) this.dp.post({ type: 'peerMoved', peerId: moved, socketId, endpoint: endpointOf(addresses, slot) });
  }

  /** The authenticated peer of ours whose current session opens the packet, or NO_PEER (within the trial budget). */
  private trySessions(offset: number, length: number, now: number): number {
    const dp = this.dp;
    const trial = this.trial;
    for (let p = 0; p < this.peers.count; p++) {
      const peer = this.peers.get(this.peers.ids[p])!;
      // without a key (the null methods) any packet "opens": that proves nothing
      if (!peer.current || !peer.authenticated) continue;
      if (!dp.peers.unknown.takeTrial()) break;
      trial.count = 1;
      trial.offsets[0] = offset;
      trial.lengths[0] = length;
      peer.current.open(trial, now);
      const status = trial.status[0];
      if (status === PacketStatus.Ok || status === PacketStatus.Reordered) return peer.id;
      // authentic but replayed: it belongs to this peer, and the packet is no longer intact
      if (status === PacketStatus.DropReplay) break;
    }
    return NO_PEER;
  }
}

/**
 * Pre-v22 data (type 0x02, never behind an L2TP header): fastd answers a data packet it
 * cannot place with a handshake in the framing of that packet, so an old peer can read it.
 */
function isCompatData(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === PacketType.DataCompat;
}

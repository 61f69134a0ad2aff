// The send path: a frame from a TUN/TAP queue (or one forwarded between peers) → pick the
// peer(s) → seal with the peer's current session → its socket's outgoing batch → sendmmsg.
// Frames are handed over one at a time but sealed in runs: consecutive frames for the same
// peer are sealed with one call, so a batch read from the interface towards one peer costs
// one seal and one send. Frames for several peers (broadcasts, unknown destinations) are
// copied per peer, as fastd duplicates them.
import { PacketStatus, type PacketBatch } from '../../../crypto/methods/provider.js';
import type { DatagramIo } from '../../../io/batch.js';
import { clearLocal } from '../../../io/control-messages.js';
import { writeSockaddr } from '../../../io/sockaddr.js';
import { Ethernet } from '../../../io/offload/headers.js';
import { copySlot } from '../tables/address-key.js';
import { lentOwner, pooledOwner, releaseOwner } from '../buffer-owner.js';
import { BATCH, HEADROOM, type Datapath, type Outgoing } from '../context.js';
import { isUnicast, LOCAL, macKey, UNKNOWN } from '../tables/mac-table.js';
import type { Endpoint } from '../messages.js';
import { NO_PEER, type DatapathPeer } from '../tables/peer-table.js';
import { Counter, epochNow } from '../tables/stats.js';

export class Sender {
  /** The run: consecutive payloads for one peer, sealed together. */
  private readonly run: PacketBatch;
  private runPeer = NO_PEER;
  private readonly runOwner = new Int32Array(BATCH);
  private readonly runPayload = new Uint32Array(BATCH);

  constructor(private readonly dp: Datapath) {
    this.run = dp.packetBatch();
  }

  /**
   * tap mode: routes one Ethernet frame at bytes[offset, offset + length) (HEADROOM bytes
   * free in front of it) from `source` (NO_PEER: from our own interface) by its destination
   * MAC and queues it for sealing. `owner` (buffer-owner.ts) gets the frame's memory back
   * once it is dealt with.
   */
  routeFrame(offset: number, length: number, source: number, owner: number, now: number): void {
    const dp = this.dp;
    if (length < Ethernet.SIZE) {
      this.release(owner);
      return;
    }
    const bytes = dp.bytes;
    if (source === NO_PEER && isUnicast(bytes, offset + Ethernet.SOURCE)) {
      dp.macs.learn(macKey(bytes, offset + Ethernet.SOURCE), LOCAL, now);
    }
    if (isUnicast(bytes, offset + Ethernet.DESTINATION)) {
      const target = dp.macs.lookup(macKey(bytes, offset + Ethernet.DESTINATION), now);
      if (target !== UNKNOWN) {
        const peer = target === LOCAL || target === source ? undefined : dp.peers.get(target);
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

  /** A frame another worker read for a peer of ours, in a buffer it lent us. */
  sealHandedOver(peerId: number, offset: number, length: number, now: number): void {
    const peer = this.dp.peers.get(peerId);
    const owner = lentOwner(offset);
    if (peer && peer.owner === this.dp.self) {
      this.toPeer(peer, offset, length, owner, now);
      return;
    }
    if (peer) this.dp.stats.add(peer.id, Counter.TxDropped, 1, length);
    this.release(owner);
  }

  /** An empty data packet on the peer's current session (keepalive, confirmation). */
  sendEmpty(peer: DatapathPeer, now: number): void {
    const index = this.dp.allocBuffer(now);
    if (index < 0) {
      this.dp.stats.add(peer.id, Counter.TxDropped, 1, 0);
      return;
    }
    this.toPeer(peer, this.dp.pool.offsetOf(index) + HEADROOM, 0, pooledOwner(index), now);
    this.flush(now);
  }

  /** Sends a control packet (a handshake) as it is, uncounted, from `local` where given. */
  sendControl(socketId: number, endpoint: Endpoint, local: Endpoint | undefined, packet: Uint8Array, now: number): void {
    const socket = this.dp.sockets[socketId];
    const index = packet.length <= this.dp.bufferSize ? this.dp.allocBuffer(now) : -1;
    if (!socket || index < 0) {
      if (index >= 0) this.dp.pool.free(index);
      return;
    }
    this.sealRun(now);
    const out = socket.out;
    if (out.batch.count === out.batch.capacity) this.sendSocket(out, socket.io);
    const i = out.batch.count++;
    const offset = this.dp.pool.offsetOf(index);
    this.dp.bytes.set(packet, offset);
    out.batch.offsets[i] = offset;
    out.batch.lengths[i] = packet.length;
    writeSockaddr(out.batch.addresses, i, endpoint);
    if (local) writeSockaddr(out.batch.locals, i, local);
    else clearLocal(out.batch, i);
    out.peerOf[i] = NO_PEER;
    out.payloadBytes[i] = 0;
    out.owner[i] = pooledOwner(index);
    this.flush(now);
  }

  /** Seals what is queued and sends every socket's batch. Call before the memory of queued frames is reused. */
  flush(now: number): void {
    this.sealRun(now);
    const sockets = this.dp.sockets;
    for (let s = 0; s < sockets.length; s++) {
      const socket = sockets[s];
      if (socket && socket.out.batch.count > 0) this.sendSocket(socket.out, socket.io);
    }
  }

  /**
   * Copies the frame for every established peer of this worker but its source (fastd's
   * send_all; the other workers get it through the handoff rings).
   */
  toLocalPeers(offset: number, length: number, source: number, now: number): void {
    const dp = this.dp;
    for (let i = 0; i < dp.peers.count; i++) {
      const peer = dp.peers.get(dp.peers.ids[i])!;
      if (peer.id === source || !peer.established) continue;
      const index = dp.allocBuffer(now);
      if (index < 0) {
        dp.stats.add(peer.id, Counter.TxDropped, 1, length);
        continue;
      }
      const copy = dp.pool.offsetOf(index) + HEADROOM;
      dp.bytes.copyWithin(copy, offset, offset + length);
      this.toPeer(peer, copy, length, pooledOwner(index), now);
    }
  }

  /** Queues a payload (HEADROOM bytes free in front of it) for sealing towards one peer. */
  toPeer(peer: DatapathPeer, offset: number, length: number, owner: number, now: number): void {
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

  private sealRun(now: number): void {
    const dp = this.dp;
    const batch = this.run;
    if (batch.count === 0) return;
    const peer = dp.peers.get(this.runPeer);
    const socket = peer ? dp.sockets[peer.socketId] : undefined;
    if (!peer || !peer.current || !socket) {
      for (let i = 0; i < batch.count; i++) {
        if (peer) dp.stats.add(peer.id, Counter.TxDropped, 1, this.runPayload[i]);
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
        dp.stats.add(peer.id, Counter.TxDropped, 1, this.runPayload[i]);
        this.release(this.runOwner[i]);
        continue;
      }
      if (out.batch.count === out.batch.capacity) this.sendSocket(out, socket.io);
      const j = out.batch.count++;
      out.batch.offsets[j] = batch.offsets[i];
      out.batch.lengths[j] = batch.lengths[i];
      copySlot(dp.peers.addressWords, peer.id, out.batch.addressWords, j);
      copySlot(dp.peers.localWords, peer.id, out.batch.localWords, j);
      out.peerOf[j] = peer.id;
      out.payloadBytes[j] = this.runPayload[i];
      out.owner[j] = this.runOwner[i];
    }
    batch.count = 0;
  }

  private sendSocket(out: Outgoing, io: DatagramIo): void {
    const dp = this.dp;
    const batch = out.batch;
    // EAGAIN (socket buffer full) stops the send; fastd drops such packets too.
    const sent = io.send(batch);
    const epoch = epochNow();
    for (let i = 0; i < batch.count; i++) {
      const peerId = out.peerOf[i];
      if (peerId !== NO_PEER && dp.peers.get(peerId)) {
        if (i >= sent) dp.stats.add(peerId, Counter.TxDropped, 1, out.payloadBytes[i]);
        else if (batch.errors[i] !== 0) dp.stats.add(peerId, Counter.TxError, 1, out.payloadBytes[i]);
        else {
          dp.stats.add(peerId, Counter.Tx, 1, out.payloadBytes[i]);
          dp.stats.sent(peerId, epoch);
        }
      }
      this.release(out.owner[i]);
    }
    batch.count = 0;
  }

  private release(owner: number): void {
    releaseOwner(owner, this.dp.pool, this.dp.handoff);
  }
}

// Packets that reach a worker which does not own their peer cross to the owner through the
// handoff rings (handoff-ring.ts), by offset in the packet memory all workers share: a
// datagram received on another worker's socket is opened by the owner (Open), a frame read
// from another worker's TAP queue is sealed by the owner (Seal), a frame for everybody is
// sealed by each worker for its own peers (SealAll), and a datagram from an unknown address
// is tried on the other workers' sessions (Try: a floating peer of theirs moved). The
// producer copies the packet into a buffer of its own pool; the consumer gives that buffer
// back through the return ring once it is done with it (Free), and the owner frees it into
// its pool. A producer never lends a worker more buffers than its return ring holds, so a
// Free always finds room; a full ring drops the packet and counts it.
//
// Written by this worker's thread alone; each ring is shared with exactly one other worker,
// one producing and one consuming (handoff-ring.ts says how), and a lent buffer belongs to
// its consumer until the Free for it is taken.
import { write } from '../../../io/libc.js';
import { EVENTFD_VALUE_BYTES } from '../../../io/linux-abi.js';
import { NativeArea } from '../../../io/native-memory.js';
import type { Lender } from '../buffer-owner.js';
import type { BufferPool } from '../../../bufferpool/pool.js';
import type { DatapathMemory } from '../memory.js';
import { HandoffBatch, HandoffKind, HandoffRing } from './handoff-ring.js';
import type { WorkerPlace } from '../messages.js';
import { ABSENT, NumberMap } from '../tables/number-map.js';
import { DropReason, type DatapathStats } from '../tables/stats.js';
import { BATCH, BATCHES_PER_TURN, HEADROOM, TAILROOM } from '../sizes.js';

/** Entries per ring: a few batches in flight before a slow owner makes the others drop. */
export const HANDOFF_RING_CAPACITY = 1024;

/** What drain() hands the entries to: the receive path opens (and tries), the send path seals. */
export interface HandedOverReceiver {
  openHandedOver(taken: HandoffBatch, now: number): void;
  tryHandedOver(socketId: number, offset: number, length: number, addresses: Uint8Array, slot: number, now: number): void;
}
export interface HandedOverSender {
  routeHandedOver(taken: HandoffBatch, now: number): void;
}

export class Handoff implements Lender {
  private readonly self: number;
  private readonly count: number;
  private readonly windowBytes: number;
  private readonly wakeFds: readonly number[];
  /** Indexed by the other worker: rings to it, from it, and the two return rings. */
  private readonly toWorker: (HandoffRing | null)[] = [];
  private readonly fromWorker: (HandoffRing | null)[] = [];
  private readonly returnsTo: (HandoffRing | null)[] = [];
  private readonly returnsFrom: (HandoffRing | null)[] = [];
  /** Buffers lent to each worker and not yet given back. */
  private readonly lentTo: Int32Array;
  /** Offset of each lent buffer → its pool index. */
  private readonly lent: NumberMap;
  private readonly taken = new HandoffBatch(BATCH);
  /** The taken entries' sender addresses as bytes (sockaddr slots), for Try entries. */
  private readonly takenAddresses = new Uint8Array(this.taken.addressWords.buffer);
  private readonly wakeValue = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');

  private readonly pool: BufferPool;
  private readonly bytes: Uint8Array;

  constructor(
    private readonly memory: DatapathMemory,
    private readonly stats: DatapathStats,
    place: WorkerPlace,
  ) {
    this.self = place.index;
    this.count = place.count;
    this.windowBytes = memory.windowBytes;
    this.pool = memory.pool;
    this.bytes = memory.bytes;
    this.wakeFds = place.wakeFds;
    const ring = (buffer: SharedArrayBuffer | null | undefined) => (buffer ? new HandoffRing(buffer) : null);
    for (let other = 0; other < this.count; other++) {
      this.toWorker.push(ring(place.rings[this.self * this.count + other]));
      this.fromWorker.push(ring(place.rings[other * this.count + this.self]));
      this.returnsTo.push(ring(place.returns[this.self * this.count + other]));
      this.returnsFrom.push(ring(place.returns[other * this.count + this.self]));
    }
    this.lentTo = new Int32Array(this.count);
    this.lent = new NumberMap(4 * HANDOFF_RING_CAPACITY * this.count);
    this.wakeValue.view.setBigUint64(0, 1n, true);
  }

  /**
   * A datagram of `owner`'s peer that arrived here (from the peer's known address, found in
   * the peer table every worker has): the owner opens it.
   */
  open(owner: number, peerId: number, offset: number, length: number, now: number): void {
    // opening needs no headroom: the copy starts at the buffer
    const copy = this.lend(owner, offset, length, 0, this.memory.bufferSize - TAILROOM, now);
    this.pushed(owner, copy, copy >= 0 && this.toWorker[owner]!.pushOpen(peerId, copy, length));
  }

  /** A frame for `owner`'s peer read here: the owner seals and sends it. */
  seal(owner: number, peerId: number, offset: number, length: number, now: number): void {
    const copy = this.lend(owner, offset, length, HEADROOM, this.memory.bufferSize - HEADROOM - TAILROOM, now);
    this.pushed(owner, copy, copy >= 0 && this.toWorker[owner]!.pushSeal(peerId, copy, length));
  }

  /** A frame for every peer (broadcast, unknown destination): each other worker seals it for its own peers. */
  sealForAll(source: number, offset: number, length: number, now: number): void {
    for (let other = 0; other < this.count; other++) {
      if (other === this.self) continue;
      const copy = this.lend(other, offset, length, HEADROOM, this.memory.bufferSize - HEADROOM - TAILROOM, now);
      this.pushed(other, copy, copy >= 0 && this.toWorker[other]!.pushSealAll(source, copy, length));
    }
  }

  /**
   * A datagram from an unknown address none of our sessions opened: every other worker tries
   * theirs. Not counted as a handoff: the datagram is already counted as dropped, and a try
   * that does not fit only leaves the peer to the handshake the control plane answers with.
   */
  tryElsewhere(socketId: number, offset: number, length: number, addressWords: Uint32Array, slot: number, now: number): void {
    for (let other = 0; other < this.count; other++) {
      if (other === this.self) continue;
      const copy = this.lend(other, offset, length, 0, this.memory.bufferSize - TAILROOM, now);
      if (copy >= 0 && !this.toWorker[other]!.pushTry(socketId, copy, length, addressWords, slot)) this.reclaimOne(other, copy);
    }
  }

  /** A lent buffer this worker is done with goes back to the worker it belongs to. */
  giveBack(offset: number): void {
    const owner = Math.floor(offset / this.windowBytes);
    // cannot fail: the owner lends no more than the return ring holds
    this.returnsTo[owner]?.pushFree(offset);
  }

  /** Serves what the other workers handed over: opens, seals, and buffers coming back. */
  drain(receiver: HandedOverReceiver, sender: HandedOverSender, now: number): void {
    const taken = this.taken;
    for (let other = 0; other < this.count; other++) {
      const returns = this.returnsFrom[other];
      if (returns) while (returns.take(taken) > 0) this.reclaim(other, taken);
      const ring = this.fromWorker[other];
      if (!ring) continue;
      // a busy producer must not keep this worker from its own sockets: what is left waits
      // for the next turn, which does not sleep while a ring has entries
      for (let turn = 0; turn < BATCHES_PER_TURN && ring.take(taken) > 0; turn++) {
        receiver.openHandedOver(taken, now);
        // the Seal and SealAll entries' buffers go back once the send path is done with them
        sender.routeHandedOver(taken, now);
        for (let i = 0; i < taken.count; i++) {
          const kind = taken.kinds[i];
          if (kind === HandoffKind.Try) receiver.tryHandedOver(taken.socketId(i), taken.offsets[i], taken.lengths[i], this.takenAddresses, i, now);
          if (kind === HandoffKind.Open || kind === HandoffKind.Try) this.giveBack(taken.offsets[i]);
        }
      }
    }
  }

  /** Makes everything pushed visible, and wakes the workers that were about to sleep. */
  publish(): void {
    for (let other = 0; other < this.count; other++) {
      if (this.toWorker[other]?.publish()) this.wake(other);
      if (this.returnsTo[other]?.publish()) this.wake(other);
    }
  }

  /** Before blocking: false when something arrived meanwhile (then the loop must not sleep). */
  prepareToSleep(): boolean {
    for (let other = 0; other < this.count; other++) {
      if (this.fromWorker[other] && !this.fromWorker[other]!.prepareToSleep()) return this.awake();
      if (this.returnsFrom[other] && !this.returnsFrom[other]!.prepareToSleep()) return this.awake();
    }
    return true;
  }

  /** After blocking: producers need not write our eventfd any more. Returns false for prepareToSleep. */
  awake(): false {
    for (let other = 0; other < this.count; other++) {
      this.fromWorker[other]?.awake();
      this.returnsFrom[other]?.awake();
    }
    return false;
  }

  close(): void {
    this.wakeValue.release();
  }

  /** Copies a packet into a pool buffer lent to `other`: the copy's offset, or -1 (too long, pool or return ring full). */
  private lend(other: number, offset: number, length: number, headroom: number, room: number, now: number): number {
    const returns = this.returnsFrom[other];
    const index = length <= room && returns && this.lentTo[other]! < returns.capacity ? this.pool.alloc(now) : -1;
    if (index < 0) return -1;
    const copy = this.pool.offsetOf(index) + headroom;
    this.bytes.copyWithin(copy, offset, offset + length);
    this.lent.set(copy, index);
    this.lentTo[other]++;
    return copy;
  }

  // A full ring keeps the buffer here: it goes straight back to the pool.
  private pushed(other: number, copy: number, accepted: boolean): void {
    if (accepted) {
      this.stats.handedOff();
      return;
    }
    if (copy >= 0) this.reclaimOne(other, copy);
    this.stats.drop(DropReason.Handoff);
  }

  private reclaim(other: number, taken: HandoffBatch): void {
    for (let i = 0; i < taken.count; i++) this.reclaimOne(other, taken.offsets[i]);
  }

  private reclaimOne(other: number, offset: number): void {
    const index = this.lent.get(offset);
    if (index === ABSENT) return;
    this.lent.delete(offset);
    this.lentTo[other]--;
    this.pool.free(index);
  }

  private wake(other: number): void {
    write(this.wakeFds[other]!, this.wakeValue.address, EVENTFD_VALUE_BYTES);
  }
}

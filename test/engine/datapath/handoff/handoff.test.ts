// The handoff between two workers' datapaths, both in this thread over one shared packet
// memory: a full ring drops what does not fit and counts it, the consumer opens what was
// handed over and gives every buffer back, and the owner's pool gets all of them again.
// A peer that moves between them keeps its counts: each worker adds to its own statistics
// table, which grows for peerIds past its size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyControl } from '../../../../src/engine/datapath/control.js';
import { Datapath } from '../../../../src/engine/datapath/context.js';
import { HEADROOM } from '../../../../src/engine/datapath/sizes.js';
import { createHandoffPlaces, windowBytes } from '../../../../src/engine/workers/handoff-places.js';
import { HANDOFF_RING_CAPACITY } from '../../../../src/engine/datapath/handoff/handoff.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, type Endpoint, type FromWorker } from '../../../../src/engine/datapath/messages.js';
import { Receiver } from '../../../../src/engine/datapath/pipeline/receive.js';
import { Sender } from '../../../../src/engine/datapath/pipeline/send.js';
import { check, close, eventfd, read } from '../../../../src/io/libc.js';
import { EVENTFD_VALUE_BYTES, EventFdFlag, SOCKADDR_SLOT } from '../../../../src/io/linux-abi.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { NativeArea } from '../../../../src/io/native-memory.js';
import { PeerStat } from '../../../../src/engine/datapath/messages.js';
import { PeerStatistics } from '../../../../src/engine/control/peer-stats.js';
import { workerInit } from '../worker-init.js';
import { queuePair, type QueuePair } from '../queue-pair.js';
import { Taken } from '../../../../src/engine/datapath/poller.js';

const CEILING = 16 << 20;
const PEER = 3;
const OWNER = 1;
/** A peer of the owner's with a keyed session, whose datagrams arrive from a new address. */
const FLOATING = 4;
/** A null-method data packet: the type byte, then the payload. */
const PACKET = [0x00, ...Array.from({ length: 100 }, (_, i) => i)];

describe('handoff between two workers', () => {
  const wakeFds: number[] = [];
  const workers: { dp: Datapath; sender: Sender; receiver: Receiver; global: Float64Array; posted: FromWorker[] }[] = [];
  const eventValue = new NativeArea(EVENTFD_VALUE_BYTES, 'eventfd value');
  /** Each worker's own peer statistics table, read as one the way the control plane does. */
  const peerStatBuffers = [0, 1].map(() => new SharedArrayBuffer(8 * PEER_STATS_FIELDS * 8));
  const peerStats = new PeerStatistics(peerStatBuffers);
  const now = 1000;
  /** TUN queues of peers (socketpairs), to close at the end. */
  const queues: QueuePair[] = [];
  /** 100-byte frames as a TUN queue hands them over. */
  const FRAME = new Array<number>(100).fill(0x45);

  beforeAll(() => {
    for (let i = 0; i < 2; i++) wakeFds.push(check(eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC), 'eventfd'));
    const places = createHandoffPlaces(wakeFds, CEILING);
    for (const place of places) {
      const ownTable = peerStatBuffers[place.index]!;
      const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
      const posted: FromWorker[] = [];
      const dp = new Datapath(
        workerInit({ mode: 'tun', peerStats: ownTable, globalStats, memoryCeiling: windowBytes(2, CEILING), ioBackend: 'fallback', gro: false, place }),
        (message) => {
          if (message.type === 'peerStats') peerStats.replace(place.index, message.buffer);
          posted.push(message);
        },
      );
      const sender = new Sender(dp);
      workers.push({ dp, sender, receiver: new Receiver(dp, sender), global: new Float64Array(globalStats), posted });
    }
    for (const { dp, sender } of workers) applyControl(dp, sender, { type: 'addPeer', peerId: PEER, owner: OWNER }, now);
    const owner = workers[OWNER]!;
    applyControl(owner.dp, owner.sender, { type: 'installSession', peerId: PEER, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
  });

  afterAll(() => {
    for (const { dp } of workers) dp.close();
    for (const fd of wakeFds) close(fd);
    for (const queue of queues) queue.close();
    eventValue.release();
  });

  /** Hands `count` datagrams of the peer from worker 0 (which received them) to its owner. */
  function handOver(count: number): void {
    const { dp } = workers[0]!;
    const index = dp.memory.pool.alloc(now);
    const at = dp.memory.pool.offsetOf(index);
    dp.memory.bytes.set(PACKET, at);
    for (let i = 0; i < count; i++) dp.handoff!.open(OWNER, PEER, at, PACKET.length, now);
    dp.memory.pool.free(index);
    dp.handoff!.publish();
  }

  /** Lets a worker serve its rings until they are empty (a turn takes a bounded number of batches). */
  function serve(worker: (typeof workers)[0]): void {
    const handoff = worker.dp.handoff!;
    do {
      handoff.drain(worker.receiver, worker.sender, now);
      handoff.publish();
    } while (!handoff.prepareToSleep());
    handoff.awake();
  }

  /** Lets both workers serve their rings until every lent buffer is home. */
  function settle(): void {
    for (const worker of [...workers, workers[0]!]) serve(worker);
  }

  /** Adds `peerId` to both workers; its owner gets a TUN queue for it, as the control plane gives it one. */
  function addTunPeer(peerId: number, owner: number, moved = false): QueuePair {
    const queue = queuePair();
    queues.push(queue);
    for (const { dp, sender } of workers) {
      const own = dp.self === owner ? { interface: { interfaceId: peerId, fd: queue.fd, name: `tun${peerId}`, kind: 'tun' as const, mtu: 1280 } } : {};
      applyControl(dp, sender, { type: 'addPeer', peerId, owner, ...own, ...(moved ? { moved } : {}) }, now);
    }
    return queue;
  }

  function wakeUps(fd: number): number {
    return read(fd, eventValue.address, EVENTFD_VALUE_BYTES) === EVENTFD_VALUE_BYTES ? Number(eventValue.view.getBigUint64(0, true)) : 0;
  }

  it('drops what a full ring cannot take and counts it; the owner opens the rest; every buffer comes back', () => {
    const [receiving, owner] = workers as [(typeof workers)[0], (typeof workers)[0]];
    const inUseBefore = receiving.dp.memory.pool.stats().inUse;
    const extra = 100;

    // the owner is about to block in poll: the producer's publish must wake it
    expect(owner.dp.handoff!.prepareToSleep()).toBe(true);
    handOver(HANDOFF_RING_CAPACITY + extra);
    expect(wakeUps(wakeFds[OWNER]!)).toBe(1);
    owner.dp.handoff!.awake();
    expect(receiving.global[GlobalStat.Handoffs]).toBe(HANDOFF_RING_CAPACITY);
    expect(receiving.global[GlobalStat.DropHandoff]).toBe(extra);
    expect(receiving.dp.memory.pool.stats().inUse).toBe(inUseBefore + HANDOFF_RING_CAPACITY);

    // the owner opens every packet on the peer's session and gives the buffers back
    serve(owner);
    // the first packet opened on the new session confirms it: proof the owner opened them
    expect(owner.posted).toContainEqual({ type: 'sessionConfirmed', peerId: PEER });
    for (const field of [GlobalStat.DropAuth, GlobalStat.DropMalformed, GlobalStat.DropUnknownAddress, GlobalStat.DropReplay]) {
      expect(owner.global[field]).toBe(0);
    }
    expect(receiving.dp.memory.pool.stats().inUse).toBe(inUseBefore + HANDOFF_RING_CAPACITY);
    serve(receiving);
    expect(receiving.dp.memory.pool.stats().inUse).toBe(inUseBefore);

    // with the buffers home, the ring takes packets again
    handOver(1);
    expect(receiving.global[GlobalStat.Handoffs]).toBe(HANDOFF_RING_CAPACITY + 1);
    expect(receiving.global[GlobalStat.DropHandoff]).toBe(extra);
    // the owner did not ask to be woken this time
    expect(wakeUps(wakeFds[OWNER]!)).toBe(0);
  });

  it('lets the other worker try its sessions on a datagram from an unknown address: its peer moved there', () => {
    const [receiving, owner] = workers as [(typeof workers)[0], (typeof workers)[0]];
    settle();
    const inUse = receiving.dp.memory.pool.stats().inUse;
    const method = 'salsa2012+umac';
    const key = new Uint8Array(owner.dp.provider(method).keyLength).fill(7);
    for (const { dp, sender } of workers) applyControl(dp, sender, { type: 'addPeer', peerId: FLOATING, owner: OWNER }, now);
    applyControl(owner.dp, owner.sender, { type: 'installSession', peerId: FLOATING, method, key, initiator: false, compat: false, sendEmpty: false }, now);
    // the peer's side of the session seals a packet, which reaches worker 0 from a new address
    const theirs = receiving.dp.provider(method).createSession(key, { initiator: true, compat: false }, now, receiving.dp.memory.memory);
    const batch = receiving.dp.memory.packetBatch();
    const index = receiving.dp.memory.pool.alloc(now);
    batch.offsets[0] = receiving.dp.memory.pool.offsetOf(index) + HEADROOM;
    batch.lengths[0] = 200;
    batch.count = 1;
    theirs.seal(batch, now);
    const address = new Uint8Array(SOCKADDR_SLOT);
    const moved: Endpoint = { family: 4, address: '192.0.2.9', port: 4242, scopeId: 0 };
    writeSockaddr(address, 0, moved);
    receiving.dp.handoff!.tryElsewhere(0, batch.offsets[0], batch.lengths[0], new Uint32Array(address.buffer), 0, now);
    receiving.dp.handoff!.publish();
    receiving.dp.memory.pool.free(index);
    theirs.destroy();
    serve(owner);
    expect(owner.posted).toContainEqual({ type: 'peerMoved', peerId: FLOATING, socketId: 0, endpoint: moved });
    serve(receiving);
    expect(receiving.dp.memory.pool.stats().inUse).toBe(inUse);
  });

  it('drops a datagram the owner has no session for as from an unknown address, asks for a handshake once, and gives its buffer back', () => {
    const [receiving, owner] = workers as [(typeof workers)[0], (typeof workers)[0]];
    settle();
    const inUseBefore = receiving.dp.memory.pool.stats().inUse;
    const address: Endpoint = { family: 4, address: '198.51.100.7', port: 5555, scopeId: 0 };
    for (const { dp, sender } of workers) applyControl(dp, sender, { type: 'setPeerAddress', peerId: PEER, socketId: 0, endpoint: address }, now);
    applyControl(owner.dp, owner.sender, { type: 'resetPeer', peerId: PEER }, now);
    handOver(3);
    serve(owner);
    expect(owner.global[GlobalStat.DropUnknownAddress]).toBe(3);
    // the peer has a session we lost: the control plane answers with a handshake (once per address and second)
    expect(owner.posted.filter((message) => message.type === 'unknownData')).toEqual([{ type: 'unknownData', socketId: 0, endpoint: address, compat: false }]);
    serve(receiving);
    expect(receiving.dp.memory.pool.stats().inUse).toBe(inUseBefore);
  });

  it('keeps the counts of a peer that moves to the other worker: each worker adds to its own row, the sum goes on; a peer that goes is zeroed', () => {
    const [zero, one] = workers as [(typeof workers)[0], (typeof workers)[0]];
    settle();
    const mover = 6;
    const dropped = () => peerStats.stat(mover, PeerStat.TxDroppedPackets);
    let queue: QueuePair;
    /** `count` frames of 100 bytes for the peer read by `worker` (the owner from the peer's queue); the owner has no socket here, so each is a tx drop of the owner. */
    const frames = (worker: (typeof workers)[0], count: number) => {
      const peer = worker.dp.peers.table.get(mover)!;
      if (peer.owner === worker.dp.self) {
        for (let i = 0; i < count; i++) queue.write(FRAME);
        expect(worker.sender.read(worker.dp.queues.list[peer.interfaceId]!, now)).toBe(Taken.Drained);
        return;
      }
      for (let i = 0; i < count; i++) {
        const index = worker.dp.memory.pool.alloc(now);
        worker.dp.handoff!.seal(peer.owner, mover, worker.dp.memory.pool.offsetOf(index) + HEADROOM, FRAME.length, now);
        worker.dp.memory.pool.free(index);
      }
      worker.dp.handoff!.publish();
    };
    queue = addTunPeer(mover, OWNER);
    applyControl(one.dp, one.sender, { type: 'installSession', peerId: mover, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    frames(one, 3);
    expect(dropped()).toBe(3);
    // worker 0 read two frames for the peer and handed them to its owner; they wait in the ring while the peer moves
    frames(zero, 2);
    for (const { dp, sender } of workers) applyControl(dp, sender, { type: 'removePeer', peerId: mover, moved: true }, now);
    queue = addTunPeer(mover, 0, true);
    applyControl(zero.dp, zero.sender, { type: 'installSession', peerId: mover, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    expect(dropped()).toBe(3);
    // the old owner finds them no longer its peer's: dropped, counted in its own row
    serve(one);
    expect(dropped()).toBe(5);
    frames(zero, 4);
    expect(dropped()).toBe(9);
    expect(new Float64Array(peerStatBuffers[0]!)[mover * PEER_STATS_FIELDS + PeerStat.TxDroppedPackets]).toBe(4);
    settle();
    // a peer that goes (a reset, a deletion) starts from zero, in every worker's row
    for (const { dp, sender } of workers) applyControl(dp, sender, { type: 'removePeer', peerId: mover }, now);
    expect(dropped()).toBe(0);
    expect(peerStats.stat(mover, PeerStat.TxDroppedBytes)).toBe(0);
  });

  it('grows each worker\'s statistics table for a peerId past its size, keeping the counts it has', () => {
    const [zero] = workers as [(typeof workers)[0], (typeof workers)[0]];
    settle();
    const before = peerStats.peer(FLOATING).slice();
    const far = 10_000;
    const queue = addTunPeer(far, 0);
    for (const worker of workers) expect(worker.posted.filter((message) => message.type === 'peerStats')).toHaveLength(1);
    expect(peerStats.peer(FLOATING)).toEqual(before);
    applyControl(zero.dp, zero.sender, { type: 'installSession', peerId: far, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    queue.write(FRAME);
    zero.sender.read(zero.dp.queues.list[far]!, now);
    expect(peerStats.stat(far, PeerStat.TxDroppedPackets)).toBe(1);
    expect(peerStats.stat(far, PeerStat.TxDroppedBytes)).toBe(100);
  });
});

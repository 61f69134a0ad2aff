// TAP routing across two workers' datapaths (in this thread, over one shared packet memory
// and one shared MAC table): a frame read by worker 0 for a MAC learned behind worker 1's
// peer crosses to worker 1 to be sealed, a broadcast goes to worker 0's own peers at once
// and to worker 1's through one seal-for-all handoff, each peer gets each frame once, and
// every lent buffer comes home. Null method, loopback UDP sockets standing in for the peers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyControl } from '../../../../src/engine/datapath/control.js';
import { Datapath } from '../../../../src/engine/datapath/context.js';
import { createHandoffPlaces, windowBytes } from '../../../../src/engine/workers/handoff-places.js';
import { macKey } from '../../../../src/engine/datapath/tables/mac-table.js';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS } from '../../../../src/engine/datapath/messages.js';
import { Receiver } from '../../../../src/engine/datapath/pipeline/receive.js';
import { Sender } from '../../../../src/engine/datapath/pipeline/send.js';
import { check, close, eventfd } from '../../../../src/io/libc.js';
import { EventFdFlag } from '../../../../src/io/linux-abi.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../../src/io/udp.js';
import { testPacketMemory } from '../../../helpers/packet-memory.js';
import { macBytes as mac } from '../../../io/packets.js';
import { tagsArrived } from '../null-peers.js';
import { onlySocket, workerInit } from '../worker-init.js';
import { queuePair } from '../queue-pair.js';
import { Taken } from '../../../../src/engine/datapath/poller.js';

const CEILING = 16 << 20;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const LOCAL_MAC = '02:00:00:00:00:0a';
const BEHIND_PEER1 = '02:00:00:00:00:01';

describe('tap routing across two workers', () => {
  const wakeFds: number[] = [];
  const workers: { dp: Datapath; sender: Sender; receiver: Receiver; global: Float64Array }[] = [];
  /** Peer i is owned by worker i and reached at peerSockets[i]. */
  const peerSockets: UdpSocket[] = [];
  const memory = testPacketMemory(4);
  /** Worker 0's TAP queue. */
  const tap = queuePair();
  const now = 1000;

  beforeAll(() => {
    for (let i = 0; i < 2; i++) {
      wakeFds.push(check(eventfd(0, EventFdFlag.NONBLOCK | EventFdFlag.CLOEXEC), 'eventfd'));
      peerSockets.push(openUdpSocket({ address: '127.0.0.1', port: 0 }));
    }
    const peerStats = new SharedArrayBuffer(4 * PEER_STATS_FIELDS * 8);
    for (const place of createHandoffPlaces(wakeFds, CEILING)) {
      const globalStats = new SharedArrayBuffer(GLOBAL_STATS_FIELDS * 8);
      const socket = openUdpSocket({ address: '127.0.0.1', port: 0 });
      const dp = new Datapath(
        workerInit({
          sockets: onlySocket(socket.fd),
          interfaces: place.index === 0 ? [{ interfaceId: 0, fd: tap.fd, name: 'tap0', kind: 'tap', mtu: 1500 }] : [],
          peerStats,
          globalStats,
          memoryCeiling: windowBytes(2, CEILING),
          ioBackend: 'fallback',
          gro: false,
          gso: false,
          place,
        }),
        () => undefined,
      );
      const sender = new Sender(dp);
      workers.push({ dp, sender, receiver: new Receiver(dp, sender), global: new Float64Array(globalStats) });
    }
    peerSockets.forEach((peer, peerId) => {
      for (const { dp, sender } of workers) {
        applyControl(dp, sender, { type: 'addPeer', peerId, owner: peerId }, now);
        applyControl(dp, sender, { type: 'setPeerAddress', peerId, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: peer.local.port, scopeId: 0 } }, now);
      }
      const owner = workers[peerId]!;
      applyControl(owner.dp, owner.sender, { type: 'installSession', peerId, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    });
  });

  afterAll(() => {
    for (const { dp } of workers) dp.close();
    for (const peer of peerSockets) closeSocket(peer);
    for (const fd of wakeFds) close(fd);
    tap.close();
  });

  /** Worker 0 reads a frame from its TAP queue and routes it; then each worker serves its rings. */
  function routeAtWorker0(destination: string, tag: number): void {
    const { dp, sender } = workers[0]!;
    tap.write([...mac(destination), ...mac(LOCAL_MAC), 0x08, 0x00, tag]);
    expect(sender.read(dp.queues.list[0]!, now)).toBe(Taken.Drained);
    for (const worker of [...workers, workers[0]!]) {
      worker.dp.handoff!.drain(worker.receiver, worker.sender, now);
      worker.dp.handoff!.publish();
    }
  }

  const arrived = () => tagsArrived(peerSockets, memory);

  it('hands a frame for a MAC learned behind the other worker\'s peer to that worker, which seals it', () => {
    const [zero, one] = workers as [(typeof workers)[0], (typeof workers)[0]];
    const inUse = zero.dp.memory.pool.stats().inUse;
    // worker 1 learns the address (it delivers its peer's frames); worker 0 sees it in the shared table
    one.dp.peers.macs.learn(macKey(Uint8Array.from(mac(BEHIND_PEER1)), 0), 1, now);
    routeAtWorker0(BEHIND_PEER1, 7);
    expect(arrived()).toEqual([[], [7]]);
    expect(zero.global[GlobalStat.Handoffs]).toBe(1);
    expect(zero.global[GlobalStat.TxPackets]).toBe(0);
    expect(one.global[GlobalStat.TxPackets]).toBe(1);
    expect(zero.dp.memory.pool.stats().inUse).toBe(inUse);
  });

  it('sends a broadcast to its own peers and, through one handoff, to the other worker\'s', () => {
    const [zero, one] = workers as [(typeof workers)[0], (typeof workers)[0]];
    const inUse = zero.dp.memory.pool.stats().inUse;
    const handoffs = zero.global[GlobalStat.Handoffs]!;
    routeAtWorker0(BROADCAST, 8);
    expect(arrived()).toEqual([[8], [8]]);
    expect(zero.global[GlobalStat.Handoffs]).toBe(handoffs + 1);
    expect(zero.global[GlobalStat.DropHandoff]).toBe(0);
    expect(one.global[GlobalStat.DropHandoff]).toBe(0);
    expect(zero.dp.memory.pool.stats().inUse).toBe(inUse);
  });
});

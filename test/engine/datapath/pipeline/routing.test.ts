// TAP-mode routing on the send path, with a real Datapath, a socketpair standing in for its
// TAP queue and loopback UDP sockets standing in for three peers (null method, so what
// arrives is the frame behind one type byte): broadcasts and unknown destinations go to
// every established peer but the source, a learned unicast address to its peer only, a
// local address nowhere; frames forwarded from a peer are routed the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyControl } from '../../../../src/engine/datapath/control.js';
import { Datapath } from '../../../../src/engine/datapath/context.js';
import { HEADROOM } from '../../../../src/engine/datapath/sizes.js';
import { LOCAL, macKey } from '../../../../src/engine/datapath/tables/mac-table.js';
import { PEER_STATS_FIELDS, PeerStat, type FromWorker } from '../../../../src/engine/datapath/messages.js';
import { NO_PEER } from '../../../../src/engine/datapath/tables/peer-table.js';
import { Sender } from '../../../../src/engine/datapath/pipeline/send.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../../src/io/udp.js';
import { testPacketMemory } from '../../../helpers/packet-memory.js';
import { macBytes as mac } from '../../../io/packets.js';
import { tagsArrived } from '../null-peers.js';
import { onlySocket, workerInit } from '../worker-init.js';
import { queuePair, type QueuePair } from '../queue-pair.js';
import { Taken } from '../../../../src/engine/datapath/poller.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const LOCAL_MAC = '02:00:00:00:00:0a';
const PEER1_MAC = '02:00:00:00:00:01';
const UNKNOWN_MAC = '02:00:00:00:00:99';


describe('tap routing on the send path', () => {
  let socket: UdpSocket;
  const peers: UdpSocket[] = [];
  let dp: Datapath;
  let sender: Sender;
  let tap: QueuePair;
  const messages: FromWorker[] = [];
  const peerStats = new Float64Array(new SharedArrayBuffer(4 * PEER_STATS_FIELDS * 8));
  const memory = testPacketMemory(4);
  let now = 1000;

  beforeAll(() => {
    socket = openUdpSocket({ address: '127.0.0.1', port: 0 });
    for (let i = 0; i < 3; i++) peers.push(openUdpSocket({ address: '127.0.0.1', port: 0 }));
    tap = queuePair();
    dp = new Datapath(
      workerInit({
        forward: true,
        sockets: onlySocket(socket.fd),
        interfaces: [{ interfaceId: 0, fd: tap.fd, name: 'routing', kind: 'tap', mtu: 1500 }],
        peerStats: peerStats.buffer as SharedArrayBuffer,
        memoryCeiling: 8 << 20,
        ioBackend: 'fallback',
        gro: false,
      }),
      (message) => messages.push(message),
    );
    sender = new Sender(dp);
    peers.forEach((peer, peerId) => {
      applyControl(dp, sender, { type: 'addPeer', peerId }, now);
      applyControl(dp, sender, { type: 'setPeerAddress', peerId, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: peer.local.port, scopeId: 0 } }, now);
      // peer 2 never gets a session: it is not established
      if (peerId < 2) applyControl(dp, sender, { type: 'installSession', peerId, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    });
  });

  afterAll(() => {
    // the Datapath closes the socket fd it was given (it owns it, as a worker owns its duplicates)
    dp?.close();
    for (const peer of peers) closeSocket(peer);
    tap?.close();
  });

  /** Routes one frame (destination, source, then a tag byte) read from the TAP (from NO_PEER) or forwarded from a peer. */
  function route(destination: string, source: string, tag: number, from = NO_PEER): void {
    const frame = [...mac(destination), ...mac(source), 0x08, 0x00, tag];
    if (from === NO_PEER) {
      tap.write(frame);
      expect(sender.read(dp.queues.list[0]!, now)).toBe(Taken.Drained);
      return;
    }
    const index = dp.memory.pool.alloc(now);
    const at = dp.memory.pool.offsetOf(index) + HEADROOM;
    dp.memory.bytes.set(frame, at);
    sender.routeForwarded(from, at, frame.length, now);
    sender.send(now);
    dp.memory.pool.free(index);
  }

  const arrived = () => tagsArrived(peers, memory);

  it('sends broadcasts and unknown destinations to every established peer, learning the local source', () => {
    route(BROADCAST, LOCAL_MAC, 1);
    route(UNKNOWN_MAC, LOCAL_MAC, 2);
    expect(arrived()).toEqual([[1, 2], [1, 2], []]);
    expect(dp.peers.macs.lookup(macKey(Uint8Array.from(mac(LOCAL_MAC)), 0), now)).toBe(LOCAL);
  });

  it('sends to the one peer a unicast address was learned on, and never back to the source or to a local address', () => {
    dp.peers.macs.learn(macKey(Uint8Array.from(mac(PEER1_MAC)), 0), 1, now);
    route(PEER1_MAC, LOCAL_MAC, 3);
    route(PEER1_MAC, UNKNOWN_MAC, 4, 1);
    route(LOCAL_MAC, UNKNOWN_MAC, 5, 0);
    route(BROADCAST, UNKNOWN_MAC, 6, 0);
    expect(arrived()).toEqual([[], [3, 6], []]);
  });

  it('counts frames for peers without a session as dropped, and short frames as nothing', () => {
    dp.peers.macs.learn(macKey(Uint8Array.from(mac(UNKNOWN_MAC)), 0), 2, now);
    const dropped = peerStats[2 * PEER_STATS_FIELDS + PeerStat.TxDroppedPackets];
    route(UNKNOWN_MAC, LOCAL_MAC, 7);
    tap.write(new Array(13).fill(0));
    sender.read(dp.queues.list[0]!, now);
    expect(arrived()).toEqual([[], [], []]);
    expect(peerStats[2 * PEER_STATS_FIELDS + PeerStat.TxDroppedPackets]).toBe(dropped + 1);
    expect(peerStats[1 * PEER_STATS_FIELDS + PeerStat.TxPackets]).toBe(4);
    expect(messages).toEqual([]);
  });
});

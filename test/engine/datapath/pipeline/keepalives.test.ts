// The keepalives the control plane asks for together (one 'keepalive' message for the peers
// due in the same second) leave in one send per socket, not one each: with a real Datapath,
// loopback UDP sockets standing in for three peers (null method) and the socket's send counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyControl } from '../../../../src/engine/datapath/control.js';
import { Datapath } from '../../../../src/engine/datapath/context.js';
import { PEER_STATS_FIELDS } from '../../../../src/engine/datapath/messages.js';
import { Sender } from '../../../../src/engine/datapath/pipeline/send.js';
import { FallbackDatagramIo } from '../../../../src/io/batch-fallback.js';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { closeSocket, openUdpSocket, type UdpSocket } from '../../../../src/io/udp.js';
import { testPacketMemory } from '../../../helpers/packet-memory.js';
import { pause } from '../../../helpers/pause.js';
import { onlySocket, workerInit } from '../worker-init.js';

const PEERS = 3;

describe('keepalives due together', () => {
  let socket: UdpSocket;
  const peers: UdpSocket[] = [];
  let dp: Datapath;
  let sender: Sender;
  const peerStats = new Float64Array(new SharedArrayBuffer(PEERS * PEER_STATS_FIELDS * 8));
  const memory = testPacketMemory(4);
  const now = 1000;

  beforeAll(() => {
    socket = openUdpSocket({ address: '127.0.0.1', port: 0 });
    for (let i = 0; i < PEERS; i++) peers.push(openUdpSocket({ address: '127.0.0.1', port: 0 }));
    dp = new Datapath(
      workerInit({ sockets: onlySocket(socket.fd), peerStats: peerStats.buffer as SharedArrayBuffer, memoryCeiling: 8 << 20, ioBackend: 'fallback', gro: false }),
      () => {},
    );
    sender = new Sender(dp);
    peers.forEach((peer, peerId) => {
      applyControl(dp, sender, { type: 'addPeer', peerId }, now);
      applyControl(dp, sender, { type: 'setPeerAddress', peerId, socketId: 0, endpoint: { family: 4, address: '127.0.0.1', port: peer.local.port, scopeId: 0 } }, now);
      applyControl(dp, sender, { type: 'installSession', peerId, method: 'null', key: new Uint8Array(0), initiator: true, compat: false, sendEmpty: false }, now);
    });
  });

  afterAll(() => {
    dp?.close();
    for (const peer of peers) closeSocket(peer);
  });

  /** Datagrams each peer's socket received (a null-method keepalive is its type byte alone: their lengths). */
  function arrived(): number[][] {
    return peers.map((peer) => {
      const io = new FallbackDatagramIo(peer.fd, memory, { capacity: 8, gso: false });
      const batch = createDatagramBatch(8);
      const lengths: number[] = [];
      for (let empty = 0; empty < 2; ) {
        for (let i = 0; i < 8; i++) {
          batch.offsets[i] = i * 2048;
          batch.lengths[i] = 2048;
        }
        const n = io.receive(batch);
        for (let i = 0; i < n; i++) lengths.push(batch.lengths[i]);
        // loopback delivery finishes in softirq context: an empty read gets one more chance after a pause
        if (n === 0 && ++empty < 2) pause(20);
      }
      io.close();
      return lengths;
    });
  }

  it('sends the keepalives of one message in one batch, each peer its own', () => {
    const io = dp.sockets.list[0]!.io;
    const send = io.send.bind(io);
    const batches: number[] = [];
    io.send = (batch) => {
      batches.push(batch.count);
      return send(batch);
    };
    applyControl(dp, sender, { type: 'keepalive', peerIds: [0, 1, 2] }, now);
    expect(batches).toEqual([PEERS]);
    expect(arrived()).toEqual([[1], [1], [1]]);
  });
});

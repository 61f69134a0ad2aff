// The status document built from engine state and statistics tables: fastd v23's keys,
// value types and nulls (src/status.c), for a TAP daemon and a TUN daemon.
import { describe, expect, it } from 'vitest';
import { GLOBAL_STATS_FIELDS, GlobalStat, PEER_STATS_FIELDS, PeerStat } from '../../src/engine/datapath/messages.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { buildStatus, type PeerStatusSource } from '../../src/status/status-json.js';

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);

function tables() {
  const globalStats = new Float64Array(GLOBAL_STATS_FIELDS);
  const peerStats = new Float64Array(2 * PEER_STATS_FIELDS);
  globalStats[PeerStat.RxPackets] = 10;
  globalStats[PeerStat.RxBytes] = 1000;
  globalStats[PeerStat.TxErrorPackets] = 1;
  globalStats[PeerStat.TxErrorBytes] = 60;
  globalStats[GlobalStat.DropMalformed] = 3;
  globalStats[GlobalStat.DropUnknownAddress] = 4;
  globalStats[GlobalStat.DropAuth] = 5;
  globalStats[GlobalStat.DropReplay] = 6;
  globalStats[GlobalStat.HandshakesReceived] = 7;
  // every mechanism counter distinct, so a swapped index shows
  globalStats[GlobalStat.TsoSuperFrames] = 11;
  globalStats[GlobalStat.TsoSegments] = 12;
  globalStats[GlobalStat.ChecksumsCompleted] = 13;
  globalStats[GlobalStat.GroSuperFrames] = 14;
  globalStats[GlobalStat.GroFrames] = 15;
  globalStats[GlobalStat.GsoDatagrams] = 16;
  globalStats[GlobalStat.GroDatagrams] = 17;
  globalStats[GlobalStat.IoSyscalls] = 18;
  globalStats[GlobalStat.IoPackets] = 19;
  globalStats[GlobalStat.GsoSends] = 20;
  globalStats[GlobalStat.FixedChunks] = 21;
  globalStats[GlobalStat.FixedWrites] = 22;
  globalStats[GlobalStat.GsoFallbacks] = 23;
  globalStats[GlobalStat.DropHandshake] = 24;
  globalStats[GlobalStat.DropQueue] = 25;
  globalStats[GlobalStat.DropHandshakeRate] = 26;
  globalStats[GlobalStat.DropReceiveBuffer] = 27;
  globalStats[GlobalStat.ReceivePoolSize] = 64;
  globalStats[GlobalStat.ReceivePoolInUse] = 32;
  globalStats[GlobalStat.ReceivePoolGrows] = 3;
  globalStats[GlobalStat.ReceivePoolShrinks] = 1;
  globalStats[GlobalStat.ReceivePoolBytes] = 4096;
  peerStats[PEER_STATS_FIELDS + PeerStat.TxPackets] = 7;
  peerStats[PEER_STATS_FIELDS + PeerStat.TxBytes] = 700;
  peerStats[PEER_STATS_FIELDS + PeerStat.RxReorderedPackets] = 2;
  peerStats[PEER_STATS_FIELDS + PeerStat.RxReorderedBytes] = 200;
  return { globalStats, peerStats: new PeerStatistics([peerStats.buffer]) };
}

const zero = { packets: 0, bytes: 0 };

const peers: PeerStatusSource[] = [
  { key: KEY_A, name: undefined, address: 'any', iface: undefined, peerId: 0, establishedAt: undefined, method: undefined, macAddresses: [] },
  {
    key: KEY_B,
    name: 'gw',
    address: '192.0.2.2:10000',
    iface: { name: 'tun-gw', mtu: 1400 },
    peerId: 1,
    establishedAt: 4_000.7,
    method: 'salsa2012+umac',
    macAddresses: ['02:00:00:00:00:01'],
  },
];

describe('status document', () => {
  it('TAP: the interface at the top, no per-peer interface, MAC addresses with the connection', () => {
    const document = buildStatus({ now: 10_000.4, startedAt: 1_000, mode: 'tap', singleInterface: 'fastd0', ...tables(), peers, ioBackend: 'io_uring' });
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      uptime: 9000,
      interface: 'fastd0',
      statistics: { rx: { packets: 10, bytes: 1000 }, rx_reordered: zero, tx: zero, tx_dropped: zero, tx_error: { packets: 1, bytes: 60 } },
      peers: {
        [KEY_A]: { name: null, address: 'any', connection: null },
        [KEY_B]: {
          name: 'gw',
          address: '192.0.2.2:10000',
          connection: {
            established: 5999,
            method: 'salsa2012+umac',
            statistics: { rx: zero, rx_reordered: { packets: 2, bytes: 200 }, tx: { packets: 7, bytes: 700 }, tx_dropped: zero, tx_error: zero },
            mac_addresses: ['02:00:00:00:00:01'],
          },
        },
      },
      'fastd-ts': {
        io_backend: 'io_uring',
        dropped: { malformed: 3, unknown_address: 4, auth: 5, replay: 6, handshake: 24, queue: 25, handshake_rate: 26, receive_buffer: 27 },
        handshakes_received: 7,
        buffer_pool: { buffers: 0, in_use: 0, hits: 0, misses: 0, exhausted: 0, grows: 0, shrinks: 0, bytes: 0 },
        receive_pool: { buffers: 64, in_use: 32, hits: 0, misses: 0, exhausted: 0, grows: 3, shrinks: 1, bytes: 4096 },
        offloads: { tso_superframes: 11, tso_segments: 12, checksums_completed: 13, gro_superframes: 14, gro_frames: 15 },
        udp_offloads: { gso_sends: 20, gso_datagrams: 16, gro_datagrams: 17 },
        io: { system_calls: 18, packets: 19, fixed_chunks: 21, fixed_writes: 22, gso_fallbacks: 23 },
        workers: [],
      },
    });
    // fastd's key order (json-c keeps insertion order), our extension last.
    expect(Object.keys(document)).toEqual(['uptime', 'interface', 'statistics', 'peers', 'fastd-ts']);
    expect(Object.keys(document.peers[KEY_B]!.connection!)).toEqual(['established', 'method', 'statistics', 'mac_addresses']);
  });

  it('TUN: interface and mtu per peer (null when none), no MAC addresses, no top-level interface', () => {
    const document = buildStatus({ now: 10_000, startedAt: 1_000, mode: 'tun', singleInterface: undefined, ...tables(), peers, ioBackend: undefined });
    expect(document.interface).toBeUndefined();
    expect('interface' in document).toBe(false);
    expect(document.peers[KEY_A]).toEqual({ name: null, address: 'any', interface: null, mtu: null, connection: null });
    expect(Object.keys(document.peers[KEY_B]!)).toEqual(['name', 'address', 'interface', 'mtu', 'connection']);
    expect(document.peers[KEY_B]).toMatchObject({ interface: 'tun-gw', mtu: 1400 });
    expect(document.peers[KEY_B]!.connection!.mac_addresses).toBeUndefined();
    // Before the datapath is ready the backend is not known yet.
    expect(document['fastd-ts'].io_backend).toBeNull();
  });
});

// The status document's buffer is sized from the last document's: the same peers again are
// written into one buffer of about their size, not into the first guess grown twice over.
import { describe, expect, it, vi } from 'vitest';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import type { StatusSource } from '../../src/status/status-json.js';

const PEERS = 100;
const source = (): StatusSource => ({
  now: 60_000,
  startedAt: 0,
  mode: 'tap',
  singleInterface: 'sn0',
  globalStats: new Float64Array(GLOBAL_STATS_FIELDS),
  peerStats: new PeerStatistics([new ArrayBuffer(Float64Array.BYTES_PER_ELEMENT * PEER_STATS_FIELDS * PEERS)]),
  // names far longer than the writer's guess per peer
  peers: Array.from({ length: PEERS }, (_, peerId) => ({
    key: peerId.toString(16).padStart(64, '0'),
    name: `router-${peerId}-`.padEnd(300, 'x'),
    address: `192.0.2.${peerId}:10000`,
    iface: undefined,
    peerId,
    establishedAt: 1000,
    method: 'salsa2012+umac',
    macAddresses: ['02:00:00:00:00:01'],
  })),
  ioBackend: 'fallback',
  workers: [],
});

describe('writeStatus', () => {
  it("writes a document into a buffer sized from the last one's", async () => {
    // the unit lane's files share modules: a writer that has written no document yet
    vi.resetModules();
    const { writeStatus } = await import('../../src/status/status-writer.js');
    const first = writeStatus(source());
    const second = writeStatus(source());
    expect(second.toString()).toBe(first.toString());
    expect(second.buffer.byteLength).toBeLessThan(first.buffer.byteLength);
    expect(second.buffer.byteLength).toBeLessThan(1.1 * second.length);
  });
});

// The daemon's status source hands out a peer's row again while the peer says the same: the
// status writer keeps each connected row's text by the row (status-writer.ts), so a row must
// never say what the peer no longer says.
import { describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../src/engine/control/control-plane.js';
import { EnginePeer, NONE } from '../../../src/engine/control/peer-state.js';
import { GLOBAL_STATS_FIELDS } from '../../../src/engine/datapath/messages.js';
import { statusSource } from '../../../src/engine/daemon/status-source.js';
import type { Workers } from '../../../src/engine/workers/workers.js';
import { peerStatistics } from '../../helpers/status-source.js';

function setUp() {
  const peer = new EnginePeer({ key: 'ab'.repeat(32), name: 'router', remotes: [], floating: false } as unknown as EnginePeer['config'], 0, false);
  peer.location = { socketId: 0, endpoint: { family: 4, address: '192.0.2.1', port: 10000, scopeId: 0 } };
  peer.phase = 'established';
  peer.establishedAt = 1000;
  peer.method = 'salsa2012+umac';
  const control = { deps: { singleInterface: undefined, clock: () => 5000 }, config: { mode: 'tun' }, table: { all: () => [peer].values() } } as unknown as ControlPlane;
  const workers = { peerCounts: () => [1], globalStats: [new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * GLOBAL_STATS_FIELDS)], peerStats: peerStatistics(1) } as unknown as Workers;
  const row = () => statusSource({ control, startedAt: 0, globalStats: new Float64Array(GLOBAL_STATS_FIELDS), ioBackend: 'fallback', workers }).peers[0]!;
  return { peer, row };
}

describe('statusSource', () => {
  it('hands out the same row while the peer says the same', () => {
    const { row } = setUp();
    const first = row();
    expect(first).toMatchObject({ address: '192.0.2.1:10000', establishedAt: 1000, method: 'salsa2012+umac' });
    expect(row()).toBe(first);
  });

  it('makes a new row, and keeps the old one as it was, when the peer moved, reconnected, learned MACs or went down', () => {
    const { peer, row } = setUp();
    const first = row();
    peer.location = { socketId: 0, endpoint: { family: 4, address: '192.0.2.2', port: 10001, scopeId: 0 } };
    const moved = row();
    expect(moved).not.toBe(first);
    expect(moved.address).toBe('192.0.2.2:10001');
    expect(first.address).toBe('192.0.2.1:10000');
    peer.establishedAt = 2000;
    expect(row().establishedAt).toBe(2000);
    peer.macAddresses = ['02:00:00:00:00:01'];
    expect(row().macAddresses).toEqual(['02:00:00:00:00:01']);
    peer.macAddresses = NONE;
    peer.phase = 'inactive';
    peer.method = undefined;
    expect(row()).toMatchObject({ establishedAt: undefined, method: undefined, macAddresses: [] });
  });
});

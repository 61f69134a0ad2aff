// Status sources as the daemon builds one for each status document or scrape: connected peers of
// one shape, named and addressed by their number, with statistics arrays sized for them.
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import type { PeerStatusSource, StatusSource } from '../../src/status/status-json.js';

/** `count` connected peers; `name` and `macAddresses` say how each is named and which MACs it has. */
export function connectedPeers(
  count: number,
  name: (peerId: number) => string = (peerId) => `router-${peerId}`,
  macAddresses: readonly string[] = [],
): PeerStatusSource[] {
  return Array.from({ length: count }, (_, peerId) => ({
    key: peerId.toString(16).padStart(64, '0'),
    name: name(peerId),
    address: `192.0.2.${peerId}:10000`,
    iface: undefined,
    peerId,
    establishedAt: 1000,
    method: 'salsa2012+umac',
    macAddresses,
  }));
}

/** Statistics of `peers` peers, all zero. */
export function peerStatistics(peers: number): PeerStatistics {
  return new PeerStatistics([new ArrayBuffer(Float64Array.BYTES_PER_ELEMENT * PEER_STATS_FIELDS * peers)]);
}

/** A source a minute after start with one interface for all `peers`. */
export function statusSource(peers: readonly PeerStatusSource[], mode: 'tap' | 'tun', peerStats = peerStatistics(peers.length)): StatusSource {
  return {
    now: 60_000,
    startedAt: 0,
    mode,
    singleInterface: mode === 'tap' ? 'sn0' : 'fastd0',
    globalStats: new Float64Array(GLOBAL_STATS_FIELDS),
    peerStats,
    peers,
    ioBackend: 'fallback',
    workers: [],
  };
}

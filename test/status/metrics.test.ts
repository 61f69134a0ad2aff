// The status document as Prometheus metrics: fastd-exporter's names, labels and types for fastd's
// part, fastd_ts_* for ours, each value read back from the text and compared with the document.
import { describe, expect, it, vi } from 'vitest';
import { GLOBAL_STATS_FIELDS, PEER_STATS_FIELDS } from '../../src/engine/datapath/messages.js';
import { PeerStatistics } from '../../src/engine/control/peer-stats.js';
import { buildStatus, type PeerStatusSource, type StatusSource } from '../../src/status/status-json.js';
import { DaemonMetrics, instanceName } from '../../src/status/metrics.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../helpers/prometheus-text.js';

const KEYS = ['a1', 'b2', 'c3'].map((pair) => pair.repeat(32));
const TRAFFIC = ['rx', 'rx_reordered', 'tx', 'tx_dropped', 'tx_error'] as const;

/** fastd-exporter's metric families and their types. */
const EXPORTER_TYPES: Record<string, string> = {
  fastd_up: 'gauge',
  fastd_uptime_seconds: 'gauge',
  fastd_peers_up_total: 'gauge',
  fastd_peer_up: 'gauge',
  fastd_peer_uptime_seconds: 'gauge',
  fastd_peer_info: 'gauge',
  ...Object.fromEntries(TRAFFIC.flatMap((stat) => ['packets', 'bytes'].flatMap((unit) => [[`fastd_${stat}_${unit}`, 'counter'], [`fastd_peer_${stat}_${unit}`, 'counter']]))),
};

/** What a TAP supernode's document is made of, with every counter distinct: a swapped field shows. */
function sourceOf(peers: readonly PeerStatusSource[]): StatusSource {
  const globalStats = Float64Array.from({ length: GLOBAL_STATS_FIELDS }, (_, i) => 1000 + i);
  const peerStats = Float64Array.from({ length: KEYS.length * PEER_STATS_FIELDS }, (_, i) => 5000 + i);
  return {
    now: 12_345,
    startedAt: 0,
    mode: 'tap',
    singleInterface: 'ffda-vpn',
    globalStats,
    peerStats: new PeerStatistics([peerStats.buffer]),
    peers,
    ioBackend: 'io_uring',
    workers: [
      { peers: 2, rx_packets: 70, tx_packets: 71, handoffs: 72, handoff_drops: 73 },
      { peers: 1, rx_packets: 80, tx_packets: 81, handoffs: 82, handoff_drops: 83 },
    ],
  };
}

const PEERS: PeerStatusSource[] = [
  { key: KEYS[0]!, name: undefined, address: 'any', iface: undefined, peerId: 0, establishedAt: undefined, method: undefined, macAddresses: [] },
  { key: KEYS[1]!, name: 'gw-one', address: '192.0.2.2:10000', iface: undefined, peerId: 1, establishedAt: 2_345, method: 'salsa2012+umac', macAddresses: ['02:00:00:00:00:01'] },
  { key: KEYS[2]!, name: 'gw-two', address: '[2001:db8::2]:10000', iface: undefined, peerId: 2, establishedAt: 345, method: 'null', macAddresses: [] },
];

/** The text, read while it is lent. */
function textOf(source: StatusSource, metrics: DaemonMetrics): Promise<string> {
  return metrics.render(source, async (text) => text.toString());
}

async function scrape(source: StatusSource, metrics = new DaemonMetrics('ffda', false)): Promise<Exposition> {
  return parseExposition(await textOf(source, metrics));
}

describe('DaemonMetrics', () => {
  const source = sourceOf(PEERS);
  // what the status socket would send at the scrape's moment: the metrics must say the same
  const status = buildStatus(source);

  it("has fastd-exporter's families with its types, each sample labelled with the instance", async () => {
    const exposition = await scrape(source);
    for (const [name, type] of Object.entries(EXPORTER_TYPES)) expect(exposition.types.get(name), name).toBe(type);
    expect(exposition.samples.every((sample) => sample.labels.fastd_instance === 'ffda')).toBe(true);
  });

  it("gives fastd's daemon-wide figures as the document has them", async () => {
    const exposition = await scrape(source);
    expect(valueOf(exposition, 'fastd_up')).toBe(1);
    expect(valueOf(exposition, 'fastd_uptime_seconds')).toBe(status.uptime / 1000);
    expect(valueOf(exposition, 'fastd_peers_up_total')).toBe(2);
    for (const stat of TRAFFIC) {
      expect(valueOf(exposition, `fastd_${stat}_packets`), stat).toBe(status.statistics[stat].packets);
      expect(valueOf(exposition, `fastd_${stat}_bytes`), stat).toBe(status.statistics[stat].bytes);
    }
  });

  it('gives each peer with public_key, name and interface labels; traffic only for connected ones', async () => {
    const exposition = await scrape(source);
    const labels = (key: string) => ({ public_key: key, name: status.peers[key]!.name ?? '', interface: 'ffda-vpn' });
    expect(valueOf(exposition, 'fastd_peer_up', labels(KEYS[0]!))).toBe(0);
    expect(samplesOf(exposition, 'fastd_peer_rx_bytes', { public_key: KEYS[0]! })).toEqual([]);
    for (const key of KEYS.slice(1)) {
      const connection = status.peers[key]!.connection!;
      expect(valueOf(exposition, 'fastd_peer_up', labels(key))).toBe(1);
      expect(valueOf(exposition, 'fastd_peer_uptime_seconds', labels(key))).toBe(connection.established / 1000);
      for (const stat of TRAFFIC) {
        expect(valueOf(exposition, `fastd_peer_${stat}_packets`, labels(key))).toBe(connection.statistics[stat].packets);
        expect(valueOf(exposition, `fastd_peer_${stat}_bytes`, labels(key))).toBe(connection.statistics[stat].bytes);
      }
    }
    expect(samplesOf(exposition, 'fastd_peer_info').map((sample) => sample.labels)).toEqual([
      { ...labels(KEYS[1]!), method: 'salsa2012+umac', asn: '', ipaddr_family: 'IPv4', fastd_instance: 'ffda' },
      { ...labels(KEYS[2]!), method: 'null', asn: '', ipaddr_family: 'IPv6', fastd_instance: 'ffda' },
    ]);
  });

  it("gives fastd-ts's own counters as fastd_ts_*", async () => {
    const exposition = await scrape(source);
    const own = status['fastd-ts'];
    for (const [reason, count] of Object.entries(own.dropped)) expect(valueOf(exposition, 'fastd_ts_dropped_packets_total', { reason }), reason).toBe(count);
    expect(valueOf(exposition, 'fastd_ts_io_backend', { backend: 'io_uring' })).toBe(1);
    expect(valueOf(exposition, 'fastd_ts_handshakes_received_total')).toBe(own.handshakes_received);
    expect(valueOf(exposition, 'fastd_ts_buffer_pool_in_use', { pool: 'packet' })).toBe(own.buffer_pool.in_use);
    expect(valueOf(exposition, 'fastd_ts_buffer_pool_grows_total', { pool: 'receive' })).toBe(own.receive_pool.grows);
    expect(valueOf(exposition, 'fastd_ts_offload_gro_frames_total')).toBe(own.offloads.gro_frames);
    expect(valueOf(exposition, 'fastd_ts_udp_offload_gso_sends_total')).toBe(own.udp_offloads.gso_sends);
    expect(valueOf(exposition, 'fastd_ts_io_system_calls_total')).toBe(own.io.system_calls);
    expect(valueOf(exposition, 'fastd_ts_io_fixed_chunks')).toBe(own.io.fixed_chunks);
    expect(valueOf(exposition, 'fastd_ts_worker_peers', { worker: '1' })).toBe(1);
    expect(valueOf(exposition, 'fastd_ts_worker_handoff_drops_total', { worker: '0' })).toBe(73);
  });

  it('forgets a peer that left the document by the next scrape', async () => {
    const metrics = new DaemonMetrics('ffda', false);
    await scrape(source, metrics);
    const later = await scrape(sourceOf(PEERS.slice(0, 2)), metrics);
    expect(samplesOf(later, 'fastd_peer_up', { public_key: KEYS[2]! })).toEqual([]);
    expect(valueOf(later, 'fastd_peers_up_total')).toBe(1);
  });

  it('follows a renamed peer (a reload) and its new method and address family (a new session) by the next scrape', async () => {
    const metrics = new DaemonMetrics('ffda', false);
    const info = (exposition: Exposition) => samplesOf(exposition, 'fastd_peer_info', { public_key: KEYS[1]! }).map((sample) => sample.labels);
    const expected = { public_key: KEYS[1]!, interface: 'ffda-vpn', asn: '', fastd_instance: 'ffda' };
    await scrape(source, metrics);
    const renamed = PEERS.map((peer) => (peer.key === KEYS[1] ? { ...peer, name: 'gw-one-renamed' } : peer));
    const afterReload = await scrape(sourceOf(renamed), metrics);
    expect(samplesOf(afterReload, 'fastd_peer_up', { public_key: KEYS[1]! }).map((sample) => sample.labels.name)).toEqual(['gw-one-renamed']);
    expect(samplesOf(afterReload, 'fastd_peer_rx_bytes', { public_key: KEYS[1]! }).map((sample) => sample.labels.name)).toEqual(['gw-one-renamed']);
    expect(info(afterReload)).toEqual([{ ...expected, name: 'gw-one-renamed', method: 'salsa2012+umac', ipaddr_family: 'IPv4' }]);
    const moved = renamed.map((peer) => (peer.key === KEYS[1] ? { ...peer, method: 'null', address: '[2001:db8::1]:10000' } : peer));
    expect(info(await scrape(sourceOf(moved), metrics))).toEqual([{ ...expected, name: 'gw-one-renamed', method: 'null', ipaddr_family: 'IPv6' }]);
  });

  it('writes the same bytes with labels kept from earlier scrapes as without', async () => {
    const kept = new DaemonMetrics('ffda', false);
    const sources = [sourceOf(PEERS), sourceOf(PEERS.slice(1)), sourceOf(PEERS.map((peer) => ({ ...peer, name: `${peer.name ?? ''}-2` }))), sourceOf(PEERS)];
    for (const later of sources) expect(await textOf(later, kept)).toBe(await textOf(later, new DaemonMetrics('ffda', false)));
  });

  it('lends each text until its user is done with it: a scrape meanwhile writes elsewhere, the next one over it', async () => {
    const metrics = new DaemonMetrics('ffda', false);
    const other = sourceOf(PEERS.slice(1));
    const firstBuffer = await metrics.render(source, async (first) => {
      const before = first.toString();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await textOf(other, metrics)).not.toBe(before);
      expect(first.toString()).toBe(before);
      return first.buffer;
    });
    expect(await metrics.render(other, async (next) => next.buffer)).toBe(firstBuffer);
  });

  it("writes the peers' samples into one buffer sized for them, not into buffers grown a doubling at a time", async () => {
    const keys = Array.from({ length: 1000 }, (_, peerId) => peerId.toString(16).padStart(64, '0'));
    const listed = (connected: boolean): StatusSource => ({
      ...sourceOf([]),
      peerStats: new PeerStatistics([new Float64Array(keys.length * PEER_STATS_FIELDS).buffer]),
      peers: keys.map((key, peerId) => ({ ...PEERS[1]!, key, name: `router-${peerId}`, peerId, establishedAt: connected ? 1 : undefined })),
    });
    const metrics = new DaemonMetrics('ffda', false);
    // as the endpoint opens: the peers configured, none connected
    await textOf(listed(false), metrics);
    const allocations = vi.spyOn(Buffer, 'allocUnsafeSlow');
    let text: string;
    try {
      text = await textOf(listed(true), metrics);
      expect(allocations).toHaveBeenCalledTimes(1);
    } finally {
      allocations.mockRestore();
    }
    expect(text).toBe(await textOf(listed(true), new DaemonMetrics('ffda', false)));
  });

  it("adds prom-client's process metrics when asked", async () => {
    const metrics = new DaemonMetrics('ffda', true);
    const exposition = await scrape(source, metrics);
    expect(samplesOf(exposition, 'process_cpu_seconds_total')).toHaveLength(1);
  });
});

describe('instanceName', () => {
  it("is the configuration's directory, as fastd@.service lays instances out", () => {
    expect(instanceName('/etc/fastd/ffda/fastd.conf', 'ffda-vpn')).toBe('ffda');
  });

  it("is the interface's name without a configuration file", () => {
    expect(instanceName(undefined, 'ffda-vpn')).toBe('ffda-vpn');
  });
});

// The status document as Prometheus metrics. fastd's part keeps the names, labels and types of
// the community's fastd-exporter (freifunk-darmstadt/fastd-exporter), so that a dashboard made
// for it keeps working when that exporter is switched off; what fastd-ts adds is fastd_ts_*.
// prom-client adds the process's own (process_*, nodejs_*: CPU, memory, event loop lag).
//
// The document's families are written here rather than through prom-client's Gauge and Counter:
// with 1,000 peers (13 samples each) prom-client took ~240 ms a scrape on this machine, most of
// it hashing and formatting label sets one sample at a time, where the issue allows 50 ms; this
// writer keeps each peer's labels encoded from one scrape to the next, writes the lines byte by
// byte into a buffer (exposition.ts), and reads what the document is made of (StatusSource)
// rather than the document: with 1,000 peers that was 0.7 MB of objects a scrape on the main
// thread, whose young generation is kept small (daemon.ts).
import { basename, dirname, resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ExpositionWriter, labelBytes, sampleRoom, type MetricType } from './exposition.js';
import { PEER_STATS_FIELDS } from '../engine/datapath/messages.js';
import { elapsedMs, fastdTsStatus, TRAFFIC_FIELDS, type BufferPoolStatus, type FastdTsStatus, type StatusSource } from './status-json.js';

/** fastd's traffic counters in fastd-exporter's order, each as _packets and _bytes (its names). */
const TRAFFIC = ['rx', 'rx_reordered', 'tx', 'tx_dropped', 'tx_error'] as const;
const UNITS = ['packets', 'bytes'] as const;
const MS_PER_S = 1000;
/** A connected peer's samples besides fastd_peer_up and fastd_peer_info: its uptime and traffic. */
const CONNECTED_SAMPLES = 1 + TRAFFIC.length * UNITS.length;
/** The longest name of a per-peer family (fastd_peer_rx_reordered_packets). */
const PEER_NAME_ROOM = Math.max(...['up', 'uptime_seconds', 'info', ...TRAFFIC.flatMap((stat) => UNITS.map((unit) => `${stat}_${unit}`))].map((name) => `fastd_peer_${name}`.length));

const OFFLOADS = ['tso_superframes', 'tso_segments', 'checksums_completed', 'gro_superframes', 'gro_frames'] as const;
const UDP_OFFLOADS = ['gso_sends', 'gso_datagrams', 'gro_datagrams'] as const;
const IO_COUNTERS = ['system_calls', 'packets', 'fixed_writes', 'gso_fallbacks'] as const;
const POOL_GAUGES = ['buffers', 'in_use', 'bytes'] as const;
const POOL_COUNTERS = ['hits', 'misses', 'exhausted', 'grows', 'shrinks'] as const;
const WORKER_COUNTERS = ['rx_packets', 'tx_packets', 'handoffs', 'handoff_drops'] as const;

/** Room beyond the last scrape's size (peers come and go), and beyond the peers' samples (the families' headers, fastd-ts's own, prom-client's). */
const SIZE_SLACK = 64 * 1024;

/** A peer's label sets, encoded once and kept while what they say stays the same. */
interface PeerLabels {
  name: string;
  iface: string;
  /** public_key, name, interface and the instance. */
  labels: Buffer;
  method: string;
  family: string;
  /** fastd_peer_info's: method, asn, ipaddr_family, then `labels`; undefined until asked for. */
  info: Buffer | undefined;
  /** The scrape that last listed the peer. */
  seen: number;
}

/**
 * The peers' encoded labels across scrapes (a peer's key, name and interface seldom change):
 * looked up by public key, made anew when the name, interface or method differ from the
 * document's, forgotten when a scrape no longer lists the peer.
 */
class PeerLabelCache {
  private readonly peers = new Map<string, PeerLabels>();
  private scrape = 0;
  private listed = 0;

  constructor(private readonly common: Buffer) {}

  begin(): void {
    this.scrape++;
    this.listed = 0;
  }

  labels(key: string, name: string, iface: string): PeerLabels {
    let entry = this.peers.get(key);
    if (entry === undefined || entry.name !== name || entry.iface !== iface) {
      const labels = labelBytes({ public_key: key, name, interface: iface }, this.common);
      entry = { name, iface, labels, method: '', family: '', info: undefined, seen: 0 };
      this.peers.set(key, entry);
    }
    entry.seen = this.scrape;
    this.listed++;
    return entry;
  }

  info(entry: PeerLabels, method: string, family: string): Buffer {
    if (entry.info === undefined || entry.method !== method || entry.family !== family) {
      entry.method = method;
      entry.family = family;
      entry.info = labelBytes({ method, asn: '', ipaddr_family: family }, entry.labels);
    }
    return entry.info;
  }

  /** Forgets the peers this scrape did not list. */
  end(): void {
    if (this.peers.size === this.listed) return;
    for (const [key, entry] of this.peers) if (entry.seen !== this.scrape) this.peers.delete(key);
  }
}

export class DaemonMetrics {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly instanceLabel: Buffer;
  private readonly peerLabels: PeerLabelCache;
  private readonly process: Registry | undefined;
  /** The last scrape's size: the next one's buffer, so that it seldom grows. */
  private lastSize = 0;
  private renderCount = 0;
  /**
   * The last scrape's writer and its buffer, kept for the next (2.3 MB with 1,000 peers):
   * allocating the buffer anew faulted its pages in again each scrape and counted against V8's
   * external memory, which brings on a full GC; a scrape while another one holds it gets a
   * writer of its own. Kept, the writer also keeps its map alive (see `source`).
   */
  private spare: ExpositionWriter | undefined;
  /**
   * The last render's source, kept until the next. V8's optimised code for the writer holds the
   * maps of the objects it saw (the writer, the source and its peers) weakly: once no object of
   * such a map is left, a full GC drops the map and throws the code away, and the next scrape
   * ran the writer unoptimised again. With 1,000 routers connected, a first scrape 50 s after
   * the warm-up took 27-34 ms of main-thread CPU against 8-9 for the next (the writer 11-20 ms
   * of it, `sampleOf` mostly), a scrape 30 s after the last 22-32 ms; both after such a GC.
   * (Only held: a holder, as nothing reads it.)
   */
  private readonly kept: { source?: StatusSource } = {};
  // each scrape's peer rows, kept for the next one (no arrays per scrape)
  private readonly peerRows: PeerLabels[] = [];
  private readonly up: number[] = [];
  private readonly connectedLabels: Buffer[] = [];
  private readonly connectedInfo: Buffer[] = [];
  /** The connected peers' session uptimes (s), and their statistics in PeerStat layout, one row each. */
  private uptimes = new Float64Array(0);
  private statistics = new Float64Array(0);

  /**
   * `instance` is fastd-exporter's fastd_instance label (the directory of the configuration,
   * as in /etc/fastd/<instance>/fastd.conf). With `processMetrics`, prom-client's process_*
   * and nodejs_* come along.
   */
  constructor(instance: string, processMetrics = true) {
    this.instanceLabel = labelBytes({ fastd_instance: instance });
    this.peerLabels = new PeerLabelCache(this.instanceLabel);
    if (processMetrics) {
      this.process = new Registry();
      this.process.setDefaultLabels({ fastd_instance: instance });
      collectDefaultMetrics({ register: this.process });
    }
  }

  /** Renders so far (scrapes and rehearsals). */
  get renders(): number {
    return this.renderCount;
  }

  /** The connected peers the last render listed. */
  get connectedPeers(): number {
    return this.connectedLabels.length;
  }

  /**
   * The metrics of the status document `source` makes (buildStatus), in Prometheus's text format
   * (UTF-8), read from the source without building the document (0.7 MB for 1,000 peers), and
   * lent to `use`: the buffer is the next scrape's once `use`'s promise settles, so nothing may
   * read the text after that (a response still being written keeps the promise pending).
   */
  async render<T>(source: StatusSource, use: (text: Buffer) => Promise<T>): Promise<T> {
    const processText = this.process ? await this.process.metrics() : '';
    const out = this.spare ?? new ExpositionWriter(this.instanceLabel, Buffer.allocUnsafeSlow(this.lastSize + SIZE_SLACK));
    this.spare = undefined;
    out.restart();
    this.kept.source = source;
    this.renderCount++;
    this.writeFastd(out, source);
    writeOwn(out, fastdTsStatus(source));
    const text = out.finish(processText);
    this.lastSize = text.length;
    try {
      return await use(text);
    } finally {
      this.spare = out;
    }
  }

  /** fastd-exporter's families: names, help, types and labels as it has them. */
  private writeFastd(out: ExpositionWriter, source: StatusSource): void {
    out.single('fastd_up', 'gauge', 'whether the fastd process is up', 1);
    out.single('fastd_uptime_seconds', 'gauge', 'uptime of the fastd process', elapsedMs(source.now, source.startedAt) / MS_PER_S);
    writeTraffic(out, 'fastd', '', [out.common], source.globalStats);

    const { peerRows: rows, up, connectedLabels, connectedInfo } = this;
    rows.length = up.length = connectedLabels.length = connectedInfo.length = 0;
    if (this.uptimes.length < source.peers.length) {
      this.uptimes = new Float64Array(2 * source.peers.length);
      this.statistics = new Float64Array(2 * source.peers.length * PEER_STATS_FIELDS);
    }
    this.peerLabels.begin();
    for (const peer of source.peers) {
      const row = this.peerLabels.labels(peer.key, peer.name ?? '', source.singleInterface ?? peer.iface?.name ?? '');
      rows.push(row);
      up.push(peer.establishedAt === undefined ? 0 : 1);
      if (peer.establishedAt === undefined) continue;
      const connected = connectedLabels.length;
      connectedLabels.push(row.labels);
      connectedInfo.push(this.peerLabels.info(row, peer.method ?? '', peer.address.startsWith('[') ? 'IPv6' : 'IPv4'));
      this.uptimes[connected] = elapsedMs(source.now, peer.establishedAt) / MS_PER_S;
      this.statistics.set(source.peerStats.peer(peer.peerId), connected * PEER_STATS_FIELDS);
    }
    this.peerLabels.end();
    // The peers' samples go into one buffer of their size: grown a doubling at a time, the
    // first scrape with 1,000 peers connected went through four new buffers (7.9 MB, 3.9 MB of
    // it copied), ~10 ms of the control plane's CPU.
    let room = SIZE_SLACK;
    for (const row of rows) room += sampleRoom(PEER_NAME_ROOM, row.labels.length);
    for (let i = 0; i < connectedLabels.length; i++) room += CONNECTED_SAMPLES * sampleRoom(PEER_NAME_ROOM, connectedLabels[i]!.length) + sampleRoom(PEER_NAME_ROOM, connectedInfo[i]!.length);
    out.room(room);
    out.single('fastd_peers_up_total', 'gauge', 'number of connected peers', connectedLabels.length);
    out.family('fastd_peer_up', 'gauge', 'whether the peer is connected');
    for (let i = 0; i < rows.length; i++) out.sample(rows[i]!.labels, up[i]!);
    out.family('fastd_peer_uptime_seconds', 'gauge', 'peer session uptime');
    for (let i = 0; i < connectedLabels.length; i++) out.sampleOf(connectedLabels[i]!, this.uptimes, i);
    // `asn` stays empty: the daemon makes no look-ups of its own
    out.family('fastd_peer_info', 'gauge', 'general info about a peer (connection method, ASN, IP Version)');
    for (const info of connectedInfo) out.sample(info, 1);
    writeTraffic(out, 'fastd_peer', 'peer ', connectedLabels, this.statistics, PEER_STATS_FIELDS);
  }
}

/** fastd's traffic counters: `labels[i]` goes with row i of `table` (PeerStat layout, `stride` apart). */
function writeTraffic(out: ExpositionWriter, prefix: string, what: string, labels: readonly Buffer[], table: Float64Array, stride = 0): void {
  for (const stat of TRAFFIC) {
    for (const unit of UNITS) {
      const name = `${prefix}_${stat}_${unit}`;
      const field = TRAFFIC_FIELDS[stat][unit];
      out.family(name, 'counter', `${what}${stat.replace('_', ' ')} ${unit === 'packets' ? 'packet' : 'byte'} count`);
      for (let i = 0; i < labels.length; i++) out.sampleOf(labels[i]!, table, i * stride + field);
    }
  }
}

/** One family of fastd-ts's counters or gauges, one sample per labelled value. */
function writeFamily(out: ExpositionWriter, name: string, type: MetricType, help: string, samples: readonly (readonly [Buffer, number])[]): void {
  out.family(name, type, help);
  for (const [labels, value] of samples) out.sample(labels, value);
}

function writeOwn(out: ExpositionWriter, status: FastdTsStatus): void {
  if (status.io_backend) writeFamily(out, 'fastd_ts_io_backend', 'gauge', 'the datapath I/O backend in use (1)', [[out.labels({ backend: status.io_backend }), 1]]);
  writeFamily(
    out,
    'fastd_ts_dropped_packets_total',
    'counter',
    'received packets dropped, by reason (each counted once)',
    Object.entries(status.dropped).map(([reason, count]) => [out.labels({ reason }), count]),
  );
  out.single('fastd_ts_handshakes_received_total', 'counter', 'handshake packets received', status.handshakes_received);
  const pools: (readonly [Buffer, BufferPoolStatus])[] = [
    [out.labels({ pool: 'packet' }), status.buffer_pool],
    [out.labels({ pool: 'receive' }), status.receive_pool],
  ];
  for (const name of POOL_GAUGES) writeFamily(out, `fastd_ts_buffer_pool_${name}`, 'gauge', `packet buffer pools: ${name}`, pools.map(([labels, pool]) => [labels, pool[name]]));
  for (const name of POOL_COUNTERS) writeFamily(out, `fastd_ts_buffer_pool_${name}_total`, 'counter', `packet buffer pools: ${name}`, pools.map(([labels, pool]) => [labels, pool[name]]));
  for (const name of OFFLOADS) out.single(`fastd_ts_offload_${name}_total`, 'counter', `TUN/TAP offloads: ${name}`, status.offloads[name]);
  for (const name of UDP_OFFLOADS) out.single(`fastd_ts_udp_offload_${name}_total`, 'counter', `UDP offloads: ${name}`, status.udp_offloads[name]);
  for (const name of IO_COUNTERS) out.single(`fastd_ts_io_${name}_total`, 'counter', `datapath packet I/O: ${name}`, status.io[name]);
  out.single('fastd_ts_io_fixed_chunks', 'gauge', 'buffer pool chunks registered with io_uring as fixed buffers', status.io.fixed_chunks);
  const workers = status.workers.map((worker, index) => [out.labels({ worker: String(index) }), worker] as const);
  writeFamily(out, 'fastd_ts_worker_peers', 'gauge', 'peers whose sessions a datapath worker holds', workers.map(([labels, worker]) => [labels, worker.peers]));
  for (const name of WORKER_COUNTERS) writeFamily(out, `fastd_ts_worker_${name}_total`, 'counter', `per datapath worker: ${name}`, workers.map(([labels, worker]) => [labels, worker[name]]));
}

/**
 * fastd-exporter's fastd_instance label: the directory of the configuration file, as in
 * fastd@.service's /etc/fastd/<instance>/fastd.conf; without a file, the interface's name.
 */
export function instanceName(configFile: string | undefined, interfaceName: string | undefined): string {
  if (configFile !== undefined) return basename(dirname(resolve(configFile)));
  return interfaceName ?? 'fastd';
}

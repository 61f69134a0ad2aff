// The status document as Prometheus metrics. fastd's part keeps the names, labels and types of
// the community's fastd-exporter (freifunk-darmstadt/fastd-exporter), so that a dashboard made
// for it keeps working when that exporter is switched off; what fastd-ts adds is fastd_ts_*.
// prom-client adds the process's own (process_*, nodejs_*: CPU, memory, event loop lag).
//
// The document's families are written here rather than through prom-client's Gauge and Counter:
// with 1,000 peers (13 samples each) prom-client took ~240 ms a scrape on this machine, most of
// it hashing and formatting label sets one sample at a time, where the issue allows 50 ms; this
// writer builds each peer's labels once and writes the lines straight into a buffer: for 1,000
// peers (2 MB of text) 13 ms where an array of lines and its join took 30-53 ms with the main
// thread's young generation kept small (daemon.ts), most of it scavenging the lines.
import { basename, dirname, resolve } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { BufferPoolStatus, FastdTsStatus, StatusStatistics } from './status-json.js';
import type { FastdStatus } from './status-table.js';

/** fastd's traffic counters, each as _packets and _bytes (fastd-exporter's names). */
const TRAFFIC = ['rx', 'rx_reordered', 'tx', 'tx_dropped', 'tx_error'] as const;
const UNITS = ['packets', 'bytes'] as const;
const MS_PER_S = 1000;

const OFFLOADS = ['tso_superframes', 'tso_segments', 'checksums_completed', 'gro_superframes', 'gro_frames'] as const;
const UDP_OFFLOADS = ['gso_sends', 'gso_datagrams', 'gro_datagrams'] as const;
const IO_COUNTERS = ['system_calls', 'packets', 'fixed_writes', 'gso_fallbacks'] as const;
const POOL_GAUGES = ['buffers', 'in_use', 'bytes'] as const;
const POOL_COUNTERS = ['hits', 'misses', 'exhausted', 'grows', 'shrinks'] as const;
const WORKER_COUNTERS = ['rx_packets', 'tx_packets', 'handoffs', 'handoff_drops'] as const;

type MetricType = 'gauge' | 'counter';
/** Room beyond the last scrape's size (peers come and go). */
const SIZE_SLACK = 64 * 1024;

/** A label value as the text format wants it: backslash, quote and newline escaped. */
function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(',');
}

/** The text format, one family after another (a family's samples must stay together). */
class Exposition {
  private buffer: Buffer;
  private length = 0;

  /** `common`: labelText() of the labels every sample has (the instance); `sizeHint`: bytes expected. */
  constructor(
    private readonly common: string,
    sizeHint: number,
  ) {
    this.buffer = Buffer.allocUnsafe(sizeHint);
  }

  private write(text: string): void {
    // a UTF-16 code unit takes at most 3 bytes of UTF-8
    if (this.length + 3 * text.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(2 * (this.buffer.length + 3 * text.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length);
  }

  /** What was written, with `tail` after it. */
  finish(tail: string): Buffer {
    this.write(tail);
    return this.buffer.subarray(0, this.length);
  }

  /** A sample's whole label text: its own labels and the common ones. */
  labels(own: Readonly<Record<string, string>>): string {
    const text = labelText(own);
    return text === '' ? this.common : `${text},${this.common}`;
  }

  family(name: string, type: MetricType, help: string): void {
    this.write(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  }

  /** One sample; `labels` from labels(). */
  sample(name: string, labels: string, value: number): void {
    this.write(name);
    this.write('{');
    this.write(labels);
    this.write(`} ${Number.isFinite(value) ? value : 'NaN'}\n`);
  }

  /** A family with one sample that has only the common labels. */
  single(name: string, type: MetricType, help: string, value: number): void {
    this.family(name, type, help);
    this.sample(name, this.common, value);
  }
}

interface PeerRow {
  /** public_key, name, interface (and the instance). */
  readonly labels: string;
  readonly status: FastdStatus['peers'][string];
}

export class DaemonMetrics {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly instanceLabel: string;
  private readonly process: Registry | undefined;
  /** The last scrape's size: the next one's buffer, so that it seldom grows. */
  private lastSize = 0;

  /**
   * `instance` is fastd-exporter's fastd_instance label (the directory of the configuration,
   * as in /etc/fastd/<instance>/fastd.conf). With `processMetrics`, prom-client's process_*
   * and nodejs_* come along.
   */
  constructor(instance: string, processMetrics = true) {
    this.instanceLabel = labelText({ fastd_instance: instance });
    if (processMetrics) {
      this.process = new Registry();
      this.process.setDefaultLabels({ fastd_instance: instance });
      collectDefaultMetrics({ register: this.process });
    }
  }

  /** The metrics of one status document, in Prometheus's text format (UTF-8). */
  async render(status: FastdStatus): Promise<Buffer> {
    const out = new Exposition(this.instanceLabel, this.lastSize + SIZE_SLACK);
    writeFastd(out, status);
    const own = status['fastd-ts'];
    if (own) writeOwn(out, own);
    const body = out.finish(this.process ? await this.process.metrics() : '');
    this.lastSize = body.length;
    return body;
  }
}

function writeTraffic(out: Exposition, prefix: string, what: string, rows: readonly (readonly [string, StatusStatistics])[]): void {
  for (const stat of TRAFFIC) {
    for (const unit of UNITS) {
      const name = `${prefix}_${stat}_${unit}`;
      out.family(name, 'counter', `${what}${stat.replace('_', ' ')} ${unit === 'packets' ? 'packet' : 'byte'} count`);
      for (const [labels, statistics] of rows) out.sample(name, labels, statistics[stat][unit]);
    }
  }
}

/** fastd-exporter's families: names, help, types and labels as it has them. */
function writeFastd(out: Exposition, status: FastdStatus): void {
  out.single('fastd_up', 'gauge', 'whether the fastd process is up', 1);
  out.single('fastd_uptime_seconds', 'gauge', 'uptime of the fastd process', status.uptime / MS_PER_S);
  writeTraffic(out, 'fastd', '', [[out.labels({}), status.statistics]]);

  const rows: PeerRow[] = Object.entries(status.peers).map(([key, peer]) => ({
    labels: out.labels({ public_key: key, name: peer.name ?? '', interface: status.interface ?? peer.interface ?? '' }),
    status: peer,
  }));
  const connected = rows.filter((row) => row.status.connection !== null);
  out.single('fastd_peers_up_total', 'gauge', 'number of connected peers', connected.length);
  out.family('fastd_peer_up', 'gauge', 'whether the peer is connected');
  for (const row of rows) out.sample('fastd_peer_up', row.labels, row.status.connection ? 1 : 0);
  out.family('fastd_peer_uptime_seconds', 'gauge', 'peer session uptime');
  for (const row of connected) out.sample('fastd_peer_uptime_seconds', row.labels, row.status.connection!.established / MS_PER_S);
  // `asn` stays empty: the daemon makes no look-ups of its own
  out.family('fastd_peer_info', 'gauge', 'general info about a peer (connection method, ASN, IP Version)');
  for (const row of connected) {
    const family = row.status.address.startsWith('[') ? 'IPv6' : 'IPv4';
    out.sample('fastd_peer_info', `${labelText({ method: row.status.connection!.method ?? '', asn: '', ipaddr_family: family })},${row.labels}`, 1);
  }
  writeTraffic(
    out,
    'fastd_peer',
    'peer ',
    connected.map((row) => [row.labels, row.status.connection!.statistics] as const),
  );
}

/** One family of fastd-ts's counters or gauges, one sample per labelled value. */
function writeFamily(out: Exposition, name: string, type: MetricType, help: string, samples: readonly (readonly [string, number])[]): void {
  out.family(name, type, help);
  for (const [labels, value] of samples) out.sample(name, labels, value);
}

function writeOwn(out: Exposition, status: FastdTsStatus): void {
  if (status.io_backend) writeFamily(out, 'fastd_ts_io_backend', 'gauge', 'the datapath I/O backend in use (1)', [[out.labels({ backend: status.io_backend }), 1]]);
  writeFamily(
    out,
    'fastd_ts_dropped_packets_total',
    'counter',
    'received packets dropped, by reason (each counted once)',
    Object.entries(status.dropped).map(([reason, count]) => [out.labels({ reason }), count]),
  );
  out.single('fastd_ts_handshakes_received_total', 'counter', 'handshake packets received', status.handshakes_received);
  const pools: (readonly [string, BufferPoolStatus])[] = [
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

// What each fastd-ts daemon of the bench says its datapath mechanisms did, read from its
// status socket after the throughput runs, so that each on/off row of the table has beside
// it the proof that the mechanism was (or was not) at work: UDP GSO datagrams per send,
// UDP GRO datagrams, I/O system calls per 1000 tunnel packets, TSO super-frames cut up,
// GRO super-frames written, and the buffer pool's size, grows and shrinks.
import { alignedTable, type Row, setupLabel } from './report.js';

export interface MechanismCounters {
  readonly gsoSends: number;
  readonly gsoDatagrams: number;
  readonly groDatagrams: number;
  readonly ioSyscalls: number;
  /** fastd packets received and sent (the status socket's rx + tx). */
  readonly tunnelPackets: number;
  readonly tsoSuperFrames: number;
  readonly tsoSegments: number;
  readonly groSuperFrames: number;
  readonly groFrames: number;
  readonly poolBuffers: number;
  readonly poolGrows: number;
  readonly poolShrinks: number;
}

function numberAt(document: unknown, path: readonly string[]): number | undefined {
  let value = document;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' ? value : undefined;
}

/** The counters of a fastd-ts status document; undefined for one without them (Debian's fastd). */
export function readMechanisms(status: unknown): MechanismCounters | undefined {
  const ours = (path: string) => numberAt(status, ['fastd-ts', ...path.split('.')]);
  const rx = numberAt(status, ['statistics', 'rx', 'packets']);
  const tx = numberAt(status, ['statistics', 'tx', 'packets']);
  const counters = {
    gsoSends: ours('udp_offloads.gso_sends'),
    gsoDatagrams: ours('udp_offloads.gso_datagrams'),
    groDatagrams: ours('udp_offloads.gro_datagrams'),
    ioSyscalls: ours('io.system_calls'),
    tunnelPackets: rx === undefined || tx === undefined ? undefined : rx + tx,
    tsoSuperFrames: ours('offloads.tso_superframes'),
    tsoSegments: ours('offloads.tso_segments'),
    groSuperFrames: ours('offloads.gro_superframes'),
    groFrames: ours('offloads.gro_frames'),
    poolBuffers: ours('buffer_pool.buffers'),
    poolGrows: ours('buffer_pool.grows'),
    poolShrinks: ours('buffer_pool.shrinks'),
  };
  return Object.values(counters).every((value) => value !== undefined) ? (counters as MechanismCounters) : undefined;
}

/** a / b with the given digits, "-" when b is 0 (nothing to divide: the mechanism was not used). */
function ratio(a: number, b: number, digits: number): string {
  return b === 0 ? '-' : (a / b).toFixed(digits);
}

const SIDES = ['a', 'b'] as const;

/** One line per fastd-ts daemon of each setup, columns aligned; empty when no setup has fastd-ts. */
export function formatMechanisms(rows: readonly Row[]): string {
  const header = ['setup (a → b)', 'side', 'GSO dgrams/send', 'GRO dgrams', 'syscalls/1000 pkts', 'TSO super-frames', 'TSO segments', 'GRO super-frames', 'GRO frames', 'pool buffers', 'grows', 'shrinks'];
  const body: string[][] = [];
  for (const row of rows) {
    row.mechanisms?.forEach((m, index) => {
      if (!m) return;
      body.push([
        setupLabel(row.setup),
        SIDES[index]!,
        ratio(m.gsoDatagrams, m.gsoSends, 1),
        String(m.groDatagrams),
        ratio(1000 * m.ioSyscalls, m.tunnelPackets, 0),
        String(m.tsoSuperFrames),
        String(m.tsoSegments),
        String(m.groSuperFrames),
        String(m.groFrames),
        String(m.poolBuffers),
        String(m.poolGrows),
        String(m.poolShrinks),
      ]);
    });
  }
  if (body.length === 0) return '';
  return alignedTable(header, body);
}

// The per-peer statistics of every datapath worker, read as one table. Each worker counts
// into its own table (datapath/tables/stats.ts), so no number has two writers, also while a peer
// moves between workers: a peer's counters are the sum of its rows, its activity times the
// latest of them. A worker whose table grew hands over the larger copy ('peerStats').
import { PEER_STATS_FIELDS, PeerStat } from '../datapath/messages.js';

/** What the control plane and the status socket read. */
export interface PeerStatsReader {
  /** One statistic of a peer (a PeerStat field). */
  stat(peerId: number, field: number): number;
  /** All of a peer's statistics in PeerStat order, in a row the next call overwrites. */
  peer(peerId: number): Float64Array;
}

const isTime = (field: number): boolean => field === PeerStat.LastReceive || field === PeerStat.LastSend;

export class PeerStatistics implements PeerStatsReader {
  private readonly tables: Float64Array[];
  private readonly row = new Float64Array(PEER_STATS_FIELDS);

  /** `buffers`: each worker's table, as handed to it. */
  constructor(buffers: readonly ArrayBufferLike[]) {
    this.tables = buffers.map((buffer) => new Float64Array(buffer));
  }

  /** A worker's table grew: it copied its rows into `buffer` and writes there from now on. */
  replace(worker: number, buffer: ArrayBufferLike): void {
    this.tables[worker] = new Float64Array(buffer);
  }

  stat(peerId: number, field: number): number {
    const at = peerId * PEER_STATS_FIELDS + field;
    let value = 0;
    // a row past the end of a table that has not grown yet counts nothing
    for (const table of this.tables) {
      const own = table[at] ?? 0;
      value = isTime(field) ? Math.max(value, own) : value + own;
    }
    return value;
  }

  peer(peerId: number): Float64Array {
    for (let field = 0; field < PEER_STATS_FIELDS; field++) this.row[field] = this.stat(peerId, field);
    return this.row;
  }
}

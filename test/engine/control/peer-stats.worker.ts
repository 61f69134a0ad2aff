// One datapath worker's counting in the peer statistics test, in a real worker thread: adds
// `packets` tx packets of one peer to its own table, halfway making room for a far peerId
// (the table grows and is reported as a worker reports it), while another thread does the same.
import { parentPort, workerData } from 'node:worker_threads';
import { GLOBAL_STATS_FIELDS } from '../../../src/engine/datapath/messages.js';
import { Counter, DatapathStats } from '../../../src/engine/datapath/tables/stats.js';

export interface CountJob {
  readonly table: SharedArrayBuffer;
  readonly peerId: number;
  readonly farPeerId: number;
  readonly packets: number;
  readonly bytes: number;
  /** A word both threads count up and then wait on, so that they count at the same time. */
  readonly start: SharedArrayBuffer;
}

const job = workerData as CountJob;
const stats = new DatapathStats(job.table, new SharedArrayBuffer(GLOBAL_STATS_FIELDS * Float64Array.BYTES_PER_ELEMENT));
const start = new Int32Array(job.start);
Atomics.add(start, 0, 1);
while (Atomics.load(start, 0) < 2);

for (let i = 0; i < job.packets; i++) {
  if (i === job.packets >> 1) {
    const grown = stats.fit(job.farPeerId);
    if (grown) parentPort!.postMessage({ type: 'peerStats', buffer: grown });
  }
  stats.add(job.peerId, Counter.Tx, 1, job.bytes);
}
parentPort!.postMessage({ type: 'done' });

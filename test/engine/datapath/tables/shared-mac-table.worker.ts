// One learner of the shared MAC table test in a real worker thread: learns its own addresses
// and the shared ones again and again (alternating owners, so slots are really rewritten),
// and meanwhile looks up the other learner's and the shared addresses, counting any answer
// that was never written for that address (a torn read).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { SharedMacTable, UNKNOWN } from '../../../../src/engine/datapath/tables/shared-mac-table.js';
import { ownedKey, ownerFamily, sharedKey, sharedOwner } from './shared-mac-table.keys.js';

export interface LearnJob {
  table: SharedArrayBuffer;
  worker: number;
  other: number;
  owned: number;
  shared: number;
  rounds: number;
  /** A word both learners count up and then wait on, so that they start at the same moment. */
  start: SharedArrayBuffer;
}

const job = workerData as LearnJob;
const table = new SharedMacTable(job.table);
let tornReads = 0;
let lookups = 0;

const start = new Int32Array(job.start);
Atomics.add(start, 0, 1);
while (Atomics.load(start, 0) < 2);

for (let round = 0; round < job.rounds; round++) {
  const now = performance.now();
  // Shared addresses first: in round 0 both threads insert the same new addresses at once.
  for (let i = 0; i < job.shared; i++) table.learn(sharedKey(i), sharedOwner(i, job.worker), now);
  for (let i = 0; i < job.owned; i++) table.learn(ownedKey(job.worker, i), ownerFamily(job.worker, i) * 2 + (round & 1), now);
  for (let i = 0; i < job.owned; i++) {
    const found = table.lookup(ownedKey(job.other, i), now);
    lookups++;
    if (found !== UNKNOWN && found >> 1 !== ownerFamily(job.other, i)) tornReads++;
  }
  for (let i = 0; i < job.shared; i++) {
    const found = table.lookup(sharedKey(i), now);
    lookups++;
    if (found !== UNKNOWN && found !== sharedOwner(i, 0) && found !== sharedOwner(i, 1)) tornReads++;
  }
}

// An insert is skipped while the other thread holds the insert lock; the next frame of that
// address learns it. Here the next "frame" is another pass over what is still missing.
let missing = 0;
for (let pass = 0; pass < 1000; pass++) {
  const now = performance.now();
  missing = 0;
  for (let i = 0; i < job.owned; i++) {
    if (table.lookup(ownedKey(job.worker, i), now) !== UNKNOWN) continue;
    missing++;
    table.learn(ownedKey(job.worker, i), ownerFamily(job.worker, i) * 2, now);
  }
  if (missing === 0) break;
}
parentPort!.postMessage({ tornReads, lookups, missing });

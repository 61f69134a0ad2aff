// Compacts the calling thread's V8 heap, once a burst of work is over. V8 grows a heap's old
// generation under a burst and gives its pages back only when a full GC has moved the live
// objects off them, which an ordinary full GC mostly does not: after 1,000 routers connected,
// the main thread's old space stayed at 34 MiB committed for 10 MiB live, and the heaps of the
// three threads at 57 MiB resident in all, 25 MiB after this. V8's memory reducer, which
// would compact, waits for an event loop the datapath workers never return to, and did not
// come in the main thread before this (it does after: two short incremental GCs). Node has
// no call for it: `gc` is exposed at run time (a new context gets it once the flag is set)
// and asked to compact every page it can for one GC.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Growth of the heap (committed bytes) since its last compaction that makes another worth its
 * pause. After a 10 s flow through a supernode with 1,000 routers the three heaps had grown by
 * 0-1.3 MiB, and compacting them (42-85 ms each, with V8's helper threads) gave back 0-0.5 MiB;
 * after the routers' cold start each worker's gave back 2.5 MiB.
 */
export const COMPACT_GROWTH_BYTES = 2 * 1024 * 1024;

let gc: (() => void) | undefined;
/** The heap's committed bytes after its last compaction; 0 before the first. */
let compactedSize = 0;

/**
 * One full GC that compacts the old generation (tens of ms for a heap of tens of MiB), if the
 * heap grew by COMPACT_GROWTH_BYTES since the last; whether it ran.
 */
export function compactHeap(): boolean {
  if (compactedSize > 0 && getHeapStatistics().total_heap_size < compactedSize + COMPACT_GROWTH_BYTES) return false;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  compactedSize = getHeapStatistics().total_heap_size;
  return true;
}

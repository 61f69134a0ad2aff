// Bytes a synchronous function allocates on this thread's V8 heap: the used heap's growth,
// plus what each garbage collection during the run took back (v8.GCProfiler reports the
// heap before and after each). For tests of paths that must not allocate per packet.
import { GCProfiler, getHeapStatistics } from 'node:v8';

export function heapBytesAllocated(run: () => void): number {
  const profiler = new GCProfiler();
  profiler.start();
  const start = getHeapStatistics().used_heap_size;
  run();
  const end = getHeapStatistics().used_heap_size;
  let allocated = 0;
  let from = start;
  for (const gc of profiler.stop().statistics) {
    allocated += gc.beforeGC.heapStatistics.usedHeapSize - from;
    from = gc.afterGC.heapStatistics.usedHeapSize;
  }
  return allocated + end - from;
}

// Times that other threads read (peers' activity times, the shared MAC table's timeouts) are
// epoch milliseconds: each thread's performance.now() counts from an origin of its own. The
// datapath reads performance.now() once a turn and makes it epoch time where it stores one.
// node:perf_hooks' binding, not the global: the global is a lazy accessor, a getter call on every use
import { performance } from 'node:perf_hooks';

/** This thread's performance.now() origin, read once: the getter is a brand check and a binding call each time. */
const TIME_ORIGIN = performance.timeOrigin;

/** `now`, a performance.now() reading of this thread, in epoch milliseconds. */
export function epochOf(now: number): number {
  return TIME_ORIGIN + now;
}

/** Now, in epoch milliseconds. */
export function epochNow(): number {
  return TIME_ORIGIN + performance.now();
}

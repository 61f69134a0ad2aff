// CLOCK_REALTIME in milliseconds with sub-millisecond precision, the clock the kernel stamps
// received datagrams with (SCM_TIMESTAMPNS), for CoDel's sojourn times. Date.now() reads it in
// whole milliseconds, up to 1 ms short: too coarse for a target of a millisecond or two. So
// the monotonic performance.now() plus the offset between the two clocks, which NTP's slewing
// leaves alone (it slews both); a step of the wall clock (NTP's first sync on a box without a
// real-time clock) is found by comparing with Date.now() on the timer tick, and re-anchored.
// node:perf_hooks' binding, not the global: the global is a lazy accessor, a getter call on every use
import { performance } from 'node:perf_hooks';

/** More apart than Date.now()'s rounding can explain: the wall clock stepped. */
const STEP_MS = 2;

export class WallClock {
  /** CLOCK_REALTIME − performance.now(), ms. */
  private offset = performance.timeOrigin;

  /** Now on the wall clock, ms since the epoch. */
  now(): number {
    return this.offset + performance.now();
  }

  /** Once in a while (the timer tick): follows a step of the wall clock. */
  check(): void {
    const monotonic = performance.now();
    // Date.now() floors to whole ms: +0.5 halves the error of a re-anchored offset
    const wall = Date.now() + 0.5;
    if (Math.abs(wall - (this.offset + monotonic)) > STEP_MS) this.offset = wall - monotonic;
  }
}

// Gives the memory a burst took back to the kernel once the burst is over: the V8 heaps
// compacted (heap-compaction.ts: the main thread's here, each worker's on a message), then
// glibc's free memory trimmed. Every thread that mallocs (V8's compiler and GC helpers, the
// datapath workers, the main thread) gets an arena of its own, and glibc returns an arena's
// free pages only from its top: after 1,000 routers had connected, a supernode's arenas held
// ~9 MiB free but resident (one malloc_trim(0) took RSS from 128.6 to 119.7 MiB, in 66 ms on
// the loaded machine), and its V8 heaps 57 MiB where 25 were enough. The main thread reads the
// process's anonymous RSS every 30 s (/proc/self/statm, one small read) and releases once it
// is 4 MiB above its lowest reading since the last release and has stopped rising (a release
// in the middle of a connect storm would free little, and the storm's garbage would stay): once
// after start-up, then a steady daemon never releases, and each release needs 4 MiB of new
// growth, so a peak costs one. Measured from start-up's own floor instead, the heaps a connect
// storm of 1,000 routers left ~12 MiB fuller than compacted ones stood 3-4 MiB above it, and stayed.
import { readFileSync } from 'node:fs';
import { OS_PAGE_BYTES } from '../../bufferpool/packet-memory.js';

/** How often the anonymous RSS is read, ms. */
export const RELEASE_CHECK_INTERVAL = 30_000;
/** Growth of the anonymous RSS over its lowest reading since the last release that calls for a release. */
export const RELEASE_GROWTH_BYTES = 4 * 1024 * 1024;

/** Resident bytes not backed by a file or shared memory: /proc/self/statm's resident less shared pages. */
export function anonymousResidentBytes(): number {
  const fields = readFileSync('/proc/self/statm', 'latin1').split(' ');
  return (Number(fields[1]) - Number(fields[2])) * OS_PAGE_BYTES;
}

export class MemoryReleaser {
  private lowest = Infinity;
  private previous = Infinity;
  private releasing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Compacts, trims, and calls `done` when the memory is given back. */
    private readonly release: (done: () => void) => void,
    private readonly readAnonymous: () => number = anonymousResidentBytes,
  ) {}

  start(): void {
    // start-up is a burst too (modules, peers, the workers' warm-up): its first level reading
    // releases, and that floor is what later growth is measured from
    this.lowest = 0;
    this.previous = this.readAnonymous();
    this.timer = setInterval(() => this.check(), RELEASE_CHECK_INTERVAL).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at the RSS: releases when it grew enough and stopped rising (the timer calls it). */
  check(): void {
    if (this.releasing) return;
    const now = this.readAnonymous();
    const rising = now > this.previous;
    this.previous = now;
    if (now < this.lowest) this.lowest = now;
    if (rising || now - this.lowest < RELEASE_GROWTH_BYTES) return;
    this.releasing = true;
    this.release(() => {
      this.releasing = false;
      this.lowest = this.readAnonymous();
      this.previous = this.lowest;
    });
  }
}

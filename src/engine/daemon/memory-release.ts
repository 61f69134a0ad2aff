// Gives the memory a burst took back to the kernel once the burst is over: the V8 heaps
// compacted (heap-compaction.ts: the main thread's here, each worker's on a message), then
// glibc's free memory trimmed. Every thread that mallocs (V8's compiler and GC helpers, the
// datapath workers, the main thread) gets an arena of its own, and glibc returns an arena's
// free pages only from its top: after 1,000 routers had connected, a supernode's arenas held
// ~9 MiB free but resident (one malloc_trim(0) took RSS from 128.6 to 119.7 MiB, in 66 ms on
// the loaded machine), and its V8 heaps 57 MiB where 25 were enough.
//
// When: once after each burst, a few seconds after it ends. Every RELEASE_CHECK_INTERVAL the
// main thread reads what the workers handled (their statistics tables: data bytes and
// handshakes) and the process's anonymous RSS (/proc/self/statm, one small read). A burst is a
// handshake storm, data well above the quietest rate of the last minute (a Freifunk mesh's
// chatter never stops), or the RSS jumping (a status document, a scrape). Once all three are
// quiet again and the RSS has stopped rising, the burst is over: if the RSS stands
// RELEASE_GROWTH_BYTES above its lowest reading since the last release, the memory is released,
// else nothing is. A quiet daemon never releases, however its heaps creep, and each burst costs
// at most one release (a compaction of each heap and the recompiles after it). The rule before
// (the RSS alone, read every 30 s) released at an arbitrary point up to a minute into the quiet
// period, and once in the middle of a connect storm, where it freed nothing.
import { readFileSync } from 'node:fs';
import { OS_PAGE_BYTES } from '../../bufferpool/packet-memory.js';

/** How often the traffic and the anonymous RSS are read, ms. */
export const RELEASE_CHECK_INTERVAL = 5_000;
/** Growth of the anonymous RSS over its lowest reading since the last release that calls for a release. */
export const RELEASE_GROWTH_BYTES = 4 * 1024 * 1024;
/** RSS growth within one check that counts as a burst (status documents, scrapes: no traffic). */
export const BURST_RSS_BYTES = 1024 * 1024;
/** RSS growth within one check that still counts as level (a heap's young generation filling). */
export const LEVEL_RSS_BYTES = 256 * 1024;
/** Handshakes within one check that are a burst (1,000 peers renew ~1.4 sessions in 5 s; a connect storm hundreds). */
export const BURST_HANDSHAKES = 25;
/** Checks the quietest data rate is taken over: a minute. */
const QUIET_WINDOW_CHECKS = 12;
/** Data bytes in a check above this many times the quietest check's, plus QUIET_SLACK_BYTES, are a burst. */
const BURST_FACTOR = 2;
/** Leeway over the quietest rate (ARP, a ping), bytes a check. */
export const QUIET_SLACK_BYTES = 64 * 1024;

/** Running totals of what the workers handled. */
export interface Traffic {
  /** Data bytes received and sent. */
  readonly bytes: number;
  /** Handshake packets received. */
  readonly handshakes: number;
}

/** Resident bytes not backed by a file or shared memory: /proc/self/statm's resident less shared pages. */
export function anonymousResidentBytes(): number {
  const fields = readFileSync('/proc/self/statm', 'latin1').split(' ');
  return (Number(fields[1]) - Number(fields[2])) * OS_PAGE_BYTES;
}

export class MemoryReleaser {
  private lowest = Infinity;
  private previous = Infinity;
  private traffic: Traffic = { bytes: 0, handshakes: 0 };
  /** Data bytes of each of the last QUIET_WINDOW_CHECKS checks (a ring; start-up's reference is silence). */
  private readonly recent = new Float64Array(QUIET_WINDOW_CHECKS);
  private recentAt = 0;
  /** A burst was seen since the last release (or the one skipped). */
  private burst = false;
  private releasing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Compacts, trims, and calls `done` when the memory is given back. */
    private readonly release: (done: () => void) => void,
    private readonly readTraffic: () => Traffic,
    private readonly readAnonymous: () => number = anonymousResidentBytes,
  ) {}

  start(): void {
    // start-up is a burst too (modules, peers, the workers' warm-up, the first handshakes): its
    // end releases, and that floor is what later growth is measured from
    this.burst = true;
    this.lowest = 0;
    this.previous = this.readAnonymous();
    this.traffic = this.readTraffic();
    this.timer = setInterval(() => this.check(), RELEASE_CHECK_INTERVAL).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at the traffic and the RSS: releases when a burst is over and left enough behind (the timer calls it). */
  check(): void {
    const traffic = this.readTraffic();
    const bytes = traffic.bytes - this.traffic.bytes;
    const handshakes = traffic.handshakes - this.traffic.handshakes;
    this.traffic = traffic;
    const recent = this.recent;
    let quietest = bytes;
    for (let i = 0; i < recent.length; i++) quietest = Math.min(quietest, recent[i]!);
    recent[this.recentAt] = bytes;
    this.recentAt = (this.recentAt + 1) % recent.length;
    if (this.releasing) return;
    const now = this.readAnonymous();
    const grew = now - this.previous;
    this.previous = now;
    if (now < this.lowest) this.lowest = now;
    const busy = handshakes >= BURST_HANDSHAKES || bytes > BURST_FACTOR * quietest + QUIET_SLACK_BYTES;
    if (busy || grew >= BURST_RSS_BYTES) this.burst = true;
    if (!this.burst || busy || grew > LEVEL_RSS_BYTES) return;
    // the burst is over: released once, or not at all if it left too little
    this.burst = false;
    if (now - this.lowest < RELEASE_GROWTH_BYTES) return;
    this.releasing = true;
    this.release(() => {
      this.releasing = false;
      this.lowest = this.readAnonymous();
      this.previous = this.lowest;
    });
  }
}

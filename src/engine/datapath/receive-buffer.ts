// A socket's kernel receive buffer sized by time, not bytes: RECEIVE_BUFFER_MS of what the
// worker takes from it, measured every RESIZE_INTERVAL_MS. CoDel (pipeline/codel.ts) can only
// drop what the worker takes; while the worker waits for a core (on a busy supernode most
// of the time: runnable but not running for 50-75 % of a run, 40-90 ms at a stretch) the
// kernel keeps queueing, and a 4 MiB buffer held up to 3 MB, 30-100 ms of traffic, that
// the worker then had to work through before it reached a ping. A buffer that holds a few
// ms of the rate the worker keeps up with makes the kernel drop the tail meanwhile, as
// fastd's default buffer does; TCP backs off at those drops, and the queue stays short.
// SO_RCVBUF is set without a capability (a worker has none), so a buffer grows back only as far
// as net.core.rmem_max lets it (Debian's default 212,992; the sockets open with 4 MiB, forced).
//
// Not safe to share between threads; one per socket, on its worker.
import { SOCKET_BUFFER_BYTES } from '../net/sockets.js';
import { CODEL_INTERVAL_MS } from './pipeline/codel.js';

/**
 * How much of its rate a socket's buffer holds, ms (the kernel doubles the value, which covers
 * the datagrams' overhead). Under 4 iperf3 flows through a busy supernode (20 routers, shared
 * machine at load 25-65; two runs each, Debian fastd 309/357 Mbit/s, ping 2.5/2.2 ms): 4 MiB
 * 492/552 Mbit/s, ping 18.0/25.5 ms; 5 ms 257/284, 10.9/10.1 ms; 2 ms 320/334, 5.5/8.4 ms.
 * Below ~400 Mbit/s 2 ms is less than the floor: the buffer is fastd's.
 */
export const RECEIVE_BUFFER_MS = 2;
/** How often the size follows the rate: CoDel's interval, the time a queue may take to drain. */
export const RESIZE_INTERVAL_MS = CODEL_INTERVAL_MS;
/** The least a buffer is given: the kernel's default once doubled (net.core.rmem_default, 212,992), fastd's buffer. */
export const MIN_RECEIVE_BUFFER = 106_496;
/** Changes smaller than this share of the size are not made: each is a system call. */
const HYSTERESIS = 0.25;

export class ReceiveBuffer {
  /** The size last set (SO_RCVBUF's value, before the kernel doubles it). */
  size = SOCKET_BUFFER_BYTES;
  /** Bytes taken since the last resize. */
  private bytes = 0;
  /** When the rate measurement began; 0 before the first datagram. */
  private since = 0;
  /** The worker took something since tookSince() last asked. */
  private busy = false;
  /** The kernel's drop count at the socket when last read. */
  private dropsSeen = 0;

  /** The worker took `bytes` from the socket. */
  took(bytes: number): void {
    this.bytes += bytes;
    this.busy = true;
  }

  /** Whether the worker took anything since the last call: only then may the kernel have dropped anything (a full buffer is taken from). */
  tookSince(): boolean {
    const busy = this.busy;
    this.busy = false;
    return busy;
  }

  /** The drops since the last call, from the kernel's running count `total`. */
  newDrops(total: number): number {
    const added = total - this.dropsSeen;
    this.dropsSeen = total;
    return added;
  }

  /**
   * After a receive at `now`: the size the buffer should have from now on, or 0 when it stays
   * as it is. It follows a rising rate at once, and a falling one by at most half an interval,
   * so that one lull does not cost the next burst.
   */
  resize(now: number): number {
    if (this.since === 0) this.since = now;
    const elapsed = now - this.since;
    if (elapsed < RESIZE_INTERVAL_MS) return 0;
    const rate = this.bytes / elapsed;
    this.bytes = 0;
    this.since = now;
    const wanted = Math.max(Math.round(this.size / 2), Math.min(SOCKET_BUFFER_BYTES, Math.max(MIN_RECEIVE_BUFFER, Math.round(rate * RECEIVE_BUFFER_MS))));
    // the floor is worth its system call, a small step above it is not
    if (wanted === this.size || (wanted !== MIN_RECEIVE_BUFFER && Math.abs(wanted - this.size) < HYSTERESIS * this.size)) return 0;
    this.size = wanted;
    return wanted;
  }
}

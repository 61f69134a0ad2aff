// CoDel (RFC 8289), the drop rule for a socket's receive queue: a packet's sojourn time is
// how long it waited between the kernel's receive timestamp and our taking it. While every
// packet of the last INTERVAL waited longer than TARGET the queue is standing, not a burst
// draining, and packets are dropped, at first one, then at intervals that shrink as
// INTERVAL / sqrt(count), until a packet waited less than TARGET. TCP through the tunnel
// backs off at the drops, so the queue stays a few milliseconds long instead of as long
// as the socket buffer allows.
//
// RFC 8289's dequeue loop, taken one packet at a time: decide() is asked for each packet
// as it is taken, in order, and told whether it queued alone. A lone packet that waited is
// no standing queue (the RFC's bytes() <= MAXPACKET), so it is neither dropped nor judged:
// sparse traffic on a busy host is never dropped, and under load the odd datagram a receive
// finds alone (its worker was quick) does not restart the interval the others measure.
// Nor is a packet judged while the queue is mostly garbage (tookBatch: fewer than half of the
// last batch's datagrams were data for a session): a flood's queue does not shrink when
// tunnel packets are dropped, so CoDel would only add to the loss the flood causes.
// Times are milliseconds (fractions allowed) on one clock (the receive path's is
// wall-clock.ts, to a fraction of a millisecond). Not safe to share between threads; one
// per queue.

/**
 * The sojourn time a queue may keep. RFC 8289 takes 5 ms, 5-10 % of its interval (section
 * 4.4); 1 ms is 5 % of ours. Under 4 flows through a supernode, 5 ms let pings wait 1.4-1.9
 * times as long as behind Debian fastd, whose 208 KiB socket buffer drops the tail.
 */
export const CODEL_TARGET_MS = 1;
/**
 * How long the sojourn time must stay above TARGET before a drop: about the RTT of the flows
 * the queue carries (section 4.3). The RFC's 100 ms is the Internet's worst case; a
 * supernode's flows (clients to the Internet through a nearby supernode, or hosts of one
 * mesh) mostly take less, and with 100 ms TCP regrew faster than the drops came: the queue
 * stood at its target for good. Measured in the tunnel bench (ts↔ts, 3 runs alternating):
 * ping under load 36 ms at 5/100, 19 at 2/20, 15-21 at 1/20 and 1/10, throughput not lower.
 */
export const CODEL_INTERVAL_MS = 20;

export class CoDel {
  /** Dropped while in the dropping state; the control law's count. */
  private count = 0;
  /** count when the last dropping state began. */
  private lastCount = 0;
  private dropping = false;
  /** When the sojourn time will have been above TARGET for INTERVAL; 0 while it is below. */
  private firstAboveTime = 0;
  /** When the next drop is due in the dropping state. */
  private dropNext = 0;
  /** The last batch taken from the queue was mostly garbage. */
  private mostlyGarbage = false;

  constructor(
    private readonly target = CODEL_TARGET_MS,
    private readonly interval = CODEL_INTERVAL_MS,
  ) {}

  /** Whether to drop the packet taken at `now` that waited `sojourn` ms; `alone`: it queued behind nothing. */
  decide(sojourn: number, now: number, alone: boolean): boolean {
    if (alone || this.mostlyGarbage) return false;
    const okToDrop = this.aboveTooLong(sojourn, now);
    if (this.dropping) {
      if (!okToDrop) {
        this.dropping = false;
        return false;
      }
      if (now < this.dropNext) return false;
      this.count++;
      this.dropNext = this.controlLaw(this.dropNext);
      return true;
    }
    if (!okToDrop) return false;
    this.dropping = true;
    // back in the dropping state soon after leaving it: carry on near the rate that was reached
    const delta = this.count - this.lastCount;
    this.count = delta > 1 && now - this.dropNext < 16 * this.interval ? delta : 1;
    this.dropNext = this.controlLaw(now);
    this.lastCount = this.count;
    return true;
  }

  /** After each batch taken from the queue: how many of its `taken` datagrams were data for a session (opened, or handed to the peer's worker). */
  tookBatch(forSessions: number, taken: number): void {
    this.mostlyGarbage = 2 * forSessions < taken;
  }

  // RFC 8289's dodequeue: ok to drop once the sojourn time has stayed above TARGET for INTERVAL
  private aboveTooLong(sojourn: number, now: number): boolean {
    if (sojourn < this.target) {
      this.firstAboveTime = 0;
      return false;
    }
    if (this.firstAboveTime === 0) {
      this.firstAboveTime = now + this.interval;
      return false;
    }
    return now >= this.firstAboveTime;
  }

  private controlLaw(t: number): number {
    return t + this.interval / Math.sqrt(this.count);
  }
}

// Fast reconnect's brake (fastd v23, CVE-2025-24356): a data packet nobody can open makes
// us send a handshake to its sender, but to each *address* (any port) at most once per
// MIN_HANDSHAKE_INTERVAL, and the table that remembers this has a fixed size, so spoofed
// sources cannot turn us into an amplifier or grow our memory.
import { MIN_HANDSHAKE_INTERVAL } from '../../protocol/timing.js';

/** Addresses remembered at once; fastd's UNKNOWN_TABLES × UNKNOWN_ENTRIES is of this order. */
const UNKNOWN_ADDRESS_CAPACITY = 8192;

export class UnknownAddressBackoff {
  /** address key → time until which no handshake goes there. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly interval = MIN_HANDSHAKE_INTERVAL,
    private readonly capacity = UNKNOWN_ADDRESS_CAPACITY,
  ) {}

  /** True when a handshake to `address` must not be sent now; otherwise records that one is sent. */
  backOff(address: string, now: number): boolean {
    const until = this.until.get(address);
    if (until !== undefined && until > now) return true;
    if (until === undefined && this.until.size >= this.capacity) {
      this.forgetExpired(now);
      // Still full: under a flood, silence is the safe answer.
      if (this.until.size >= this.capacity) return true;
    }
    this.until.set(address, now + this.interval);
    return false;
  }

  /** A session with that address was established: it may reconnect quickly again. */
  purge(address: string): void {
    this.until.delete(address);
  }

  private forgetExpired(now: number): void {
    for (const [address, until] of this.until) if (until <= now) this.until.delete(address);
  }
}

// Fast reconnect's rate limit (fastd v23, CVE-2025-24356): a data packet from an unknown
// address makes us send a handshake there, so a spoofed sender could aim our handshakes at
// a victim. At most one such handshake per IP address — all ports together — per interval,
// in a table of bounded size. Time is passed in (milliseconds, monotonic).
import { MIN_HANDSHAKE_INTERVAL_MS } from './handshake.js';

/** fastd keeps 16 tables of 64 entries; the same bound on remembered addresses. */
export const UNKNOWN_BACKOFF_CAPACITY = 16 * 64;

export class UnknownHandshakeBackoff {
  /** Address → until when handshakes to it are held back; insertion order is time order. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly intervalMs = MIN_HANDSHAKE_INTERVAL_MS,
    private readonly capacity = UNKNOWN_BACKOFF_CAPACITY,
  ) {}

  /**
   * Whether a handshake may go to `address` (the IP without port) now; if so, the next one
   * is held back for the interval.
   */
  allow(address: string, now: number): boolean {
    const held = this.until.get(address);
    if (held !== undefined && now < held) return false;
    this.until.delete(address);
    this.evict(now);
    this.until.set(address, now + this.intervalMs);
    return true;
  }

  /** A peer established from this address: handshakes to it are fine again (fastd's purge). */
  purge(address: string): void {
    this.until.delete(address);
  }

  /** Drops expired entries from the oldest end, and the oldest live one when still full. */
  private evict(now: number): void {
    for (const [address, held] of this.until) {
      if (held > now && this.until.size < this.capacity) break;
      this.until.delete(address);
      if (held > now) break;
    }
  }
}

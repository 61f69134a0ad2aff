// Rate limit for what the worker does about data from addresses no session can open:
// telling the control plane (which answers with a handshake, fastd v23's fast reconnect)
// and trying the sessions of other peers (a peer that moved). At most once per source
// (address and port) per interval: routers behind one NAT address that all lost their
// supernode send their keepalives within the same second, and the control plane must hear
// of each to answer them one after another (its per-address brake, the CVE-2025-24356
// mitigation, decides what is sent: unknown-backoff.ts). The table is cleared each interval
// and holds a bounded number of sources, so a flood of spoofed sources costs bounded memory
// and messages and gets nothing once the table is full.
import { ABSENT, NumberMap } from './number-map.js';

/** How often one source may get attention, ms (the contract says once per second). */
export const UNKNOWN_SOURCE_INTERVAL = 1000;
/** Sources remembered per interval; those beyond this are ignored until the next one. */
export const UNKNOWN_SOURCE_LIMIT = 4096;
/**
 * Sessions tried per interval on packets from unknown addresses, over all addresses: each
 * try costs a MAC check, so spoofed sources times peers must not add up to a CPU flood.
 */
export const TRIAL_OPEN_LIMIT = 256;

export class UnknownSources {
  private readonly seen = new NumberMap(UNKNOWN_SOURCE_LIMIT);
  private intervalStart = -Infinity;
  private trials = 0;

  /** True if the source with endpoint key `key` may get attention now (and records that it did). */
  admit(key: number, now: number): boolean {
    if (now - this.intervalStart >= UNKNOWN_SOURCE_INTERVAL) {
      this.seen.clear();
      this.trials = 0;
      this.intervalStart = now;
    }
    if (this.seen.get(key) !== ABSENT || this.seen.size >= UNKNOWN_SOURCE_LIMIT) return false;
    this.seen.set(key, 1);
    return true;
  }

  /** True if one more session may be tried on a packet from an unknown address in this interval. */
  takeTrial(): boolean {
    if (this.trials >= TRIAL_OPEN_LIMIT) return false;
    this.trials++;
    return true;
  }
}

// Rate limit for what the worker does about data from addresses no session can open:
// telling the control plane (which answers with a handshake, fastd v23's fast reconnect)
// and trying the sessions of other peers (a peer that moved). At most once per source
// address, port ignored (the CVE-2025-24356 mitigation keys on the address), per interval.
// The table is cleared each interval and holds a bounded number of addresses, so a flood
// of spoofed sources costs bounded memory and gets nothing once the table is full.
import { ABSENT, NumberMap } from './number-map.js';

/** How often one address may get attention, ms (the contract says once per second). */
export const UNKNOWN_SOURCE_INTERVAL = 1000;
/** Addresses remembered per interval; sources beyond this are ignored until the next one. */
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

  /** True if the address with host key `key` may get attention now (and records that it did). */
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

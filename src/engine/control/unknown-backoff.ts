// Fast reconnect's brake (fastd v23, CVE-2025-24356): a data packet nobody can open makes
// us send a handshake to its sender, but to each *address* (any port) at most once per
// MIN_HANDSHAKE_INTERVAL, or again once a handshake with that address completed (fastd's
// fastd_receive_unknown_purge): so at most one unanswered handshake goes to an address at a
// time, and spoofed sources cannot turn us into an amplifier. The tables have fixed sizes,
// so they cannot grow our memory either.
//
// fastd answers, after the purge, the next data packet from another port of the address.
// Routers behind one NAT address that lost their supernode send their keepalives together,
// so by then the others' packets are gone, and each waits for its next keepalive (10–20 s).
// We remember who was refused while a handshake to the address was out, and the purge
// hands back the next of them: the same one-at-a-time rule, without waiting for a packet.
import { MIN_HANDSHAKE_INTERVAL } from '../../protocol/timing.js';
import type { Endpoint } from '../datapath/messages.js';
import { endpointKey } from './endpoints.js';

/** Addresses remembered at once; fastd's UNKNOWN_TABLES × UNKNOWN_ENTRIES is of this order. */
const UNKNOWN_ADDRESS_CAPACITY = 8192;
/** Refused senders remembered over all addresses, and per address (routers behind one NAT). */
const WAITING_CAPACITY = 8192;
const WAITING_PER_ADDRESS = 1024;

/** A sender whose data was refused, as the handshake to it would go out. */
export interface WaitingSender {
  readonly socketId: number;
  readonly endpoint: Endpoint;
  readonly local: Endpoint | undefined;
  readonly compat: boolean;
}

interface Waiting {
  readonly sender: WaitingSender;
  /** Refused data older than this is not answered any more: it would be fastd's next packet. */
  readonly until: number;
}

export class UnknownAddressBackoff {
  /** address key → time until which no handshake goes there. */
  private readonly until = new Map<string, number>();
  /** address key → the senders refused meanwhile, by endpoint key, oldest first. */
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  private waitingCount = 0;

  constructor(
    private readonly interval = MIN_HANDSHAKE_INTERVAL,
    private readonly capacity = UNKNOWN_ADDRESS_CAPACITY,
    private readonly waitingCapacity = WAITING_CAPACITY,
  ) {}

  /**
   * True when a handshake to `address` must not be sent now (`sender`, if given, is then
   * remembered for the purge); otherwise records that one is sent.
   */
  backOff(address: string, now: number, sender?: WaitingSender): boolean {
    const until = this.until.get(address);
    if (until !== undefined && until > now) {
      if (sender) this.wait(address, sender, now);
      return true;
    }
    if (until === undefined && this.until.size >= this.capacity) {
      this.forgetExpired(now);
      // Still full: under a flood, silence is the safe answer.
      if (this.until.size >= this.capacity) return true;
    }
    this.until.set(address, now + this.interval);
    return false;
  }

  /**
   * A session with that address was established: it may get a handshake again. Returns
   * the first sender still waiting there, if any, whose handshake counts as sent now.
   */
  purge(address: string, now: number): WaitingSender | undefined {
    this.until.delete(address);
    const senders = this.waiting.get(address);
    if (!senders) return undefined;
    for (const [key, { sender, until }] of senders) {
      senders.delete(key);
      this.waitingCount--;
      if (until <= now) continue;
      if (senders.size === 0) this.waiting.delete(address);
      this.until.set(address, now + this.interval);
      return sender;
    }
    this.waiting.delete(address);
    return undefined;
  }

  private wait(address: string, sender: WaitingSender, now: number): void {
    let senders = this.waiting.get(address);
    const key = endpointKey(sender.endpoint);
    if (senders?.has(key)) {
      // its newest packet counts: keep its place, renew its time
      senders.set(key, { sender, until: now + this.interval });
      return;
    }
    if (this.waitingCount >= this.waitingCapacity) this.forgetExpired(now);
    if (this.waitingCount >= this.waitingCapacity || (senders?.size ?? 0) >= WAITING_PER_ADDRESS) return;
    if (!senders) this.waiting.set(address, (senders = new Map()));
    senders.set(key, { sender, until: now + this.interval });
    this.waitingCount++;
  }

  private forgetExpired(now: number): void {
    for (const [address, until] of this.until) if (until <= now) this.until.delete(address);
    for (const [address, senders] of this.waiting) {
      for (const [key, { until }] of senders) {
        if (until > now) continue;
        senders.delete(key);
        this.waitingCount--;
      }
      if (senders.size === 0) this.waiting.delete(address);
    }
  }
}

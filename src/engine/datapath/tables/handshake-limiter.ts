// Token buckets for handshake work, after wireguard-go's ratelimiter (ratelimiter.go): each
// handshake a worker receives is checked here before it is copied for the control plane,
// whose key exchange costs ~0.15 ms of CPU each, so that a flood of spoofed inits cannot eat
// the CPU the datapath needs. Three buckets, refilled continuously at a rate up to a burst:
//  - known: handshakes from an address and port in the peer table (a peer's current
//    address, or the last one it had), a configured peer's resolved remote (where the
//    answers to our own inits come from) or remembered by the peer state file after our
//    restart (while we greet them) have a budget of their own, so a flood from strangers
//    never delays a peer that restarts, renews its session or answers our handshake;
//  - per source address (IPv4 address, IPv6 /64; any port): a few flooding hosts get
//    little more than a real router does;
//  - global, over all other sources: bounds the work when the flood comes from more
//    addresses than any per-address table can tell apart (then a legitimate newcomer gets
//    through with the chance of GLOBAL_RATE over the flood's rate per try). Its rate is the
//    control plane's, which is one thread however many workers there are: each worker
//    takes its share (SO_REUSEPORT spreads many sources evenly over them).
// The per-address table is bounded: entries whose bucket is full again are swept once a
// second (they would start full anyway), and a source that finds the table full is judged by
// the global bucket alone. Per worker (SO_REUSEPORT spreads sources over the workers), not
// safe for use from several threads. Nothing is allocated per packet, but for the address
// table clearing its sweeps' tombstones now and then (number-map.ts rehashes at the same size).
//
// Why these rates: a fastd peer sends an init every DEFAULT_HANDSHAKE_INTERVAL (20 s ± 2.5)
// until it has a session and one more packet (finish or response) per handshake, so a
// router costs ~0.1 handshakes a second; but Freifunk puts tens to hundreds of routers
// behind one NAT address, and after an outage they all arrive within a second or two.
import { HANDSHAKES_IN_FLIGHT } from './handshake-credit.js';
import { ABSENT, NumberMap } from './number-map.js';

/** A source address's sustained handshakes per second: ~200 routers behind one NAT retrying every 20 s, twice over. */
export const PER_ADDRESS_RATE = 20;
/** Handshakes a source address may send at once: init and finish of 256 routers behind one NAT that connect together. */
export const PER_ADDRESS_BURST = 512;
/**
 * Handshakes per second from all unknown sources, all workers together: at ~0.1-0.15 ms of the
 * main thread's CPU an answer that is 5-8 % of its core, and still several times fastd's
 * retries of a thousand-router supernode (~100 a second). Our own handshakes' answers
 * (configured remotes, the restart greeting) are known and do not count here.
 */
export const GLOBAL_RATE = 500;
/** Per worker, no more than may wait for the control plane: a larger burst would only be dropped there, after its copy. */
export const GLOBAL_BURST = HANDSHAKES_IN_FLIGHT;
/** Handshakes per second from known peers' addresses: every peer of a large supernode renewing at once. */
export const KNOWN_RATE = 1000;
export const KNOWN_BURST = 2000;
/** Source addresses with a bucket of their own at once; more in a flood share the global one only. */
export const ADDRESS_LIMIT = 4096;
/** How often buckets that filled up again are swept from the table, ms (wireguard-go's garbageCollectTime). */
export const SWEEP_INTERVAL = 1000;

const MS_PER_SECOND = 1000;

/** A bucket's tokens at `now`: those it had at `last`, refilled at `rate` per second up to `burst`. */
function refilled(tokens: number, last: number, now: number, rate: number, burst: number): number {
  return Math.min(burst, tokens + ((now - last) * rate) / MS_PER_SECOND);
}

/** One bucket: tokens refill at `rate` per second up to `burst`; a handshake costs one. */
class Bucket {
  private tokens: number;
  private last = 0;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    this.tokens = refilled(this.tokens, this.last, now, this.rate, this.burst);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

export class HandshakeLimiter {
  private readonly known = new Bucket(KNOWN_RATE, KNOWN_BURST);
  private readonly global: Bucket;
  /** source key → slot in tokens/last. */
  private readonly slots: NumberMap;
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  /** Unused slots, [0, freeCount). */
  private readonly free: Int32Array;
  private freeCount: number;
  /** Endpoint keys of the configured peers' resolved remotes (remote-endpoints.ts), known for as long as they are configured. */
  private remotes = new NumberMap();
  /** Endpoint keys of the peers the state file remembers, counted as known until rememberedUntil. */
  private readonly remembered = new NumberMap();
  private rememberedUntil = -Infinity;
  private nextSweep = -Infinity;
  private sweepNow = 0;
  private readonly sweepEntry = (slot: number, key: number): void => {
    if (refilled(this.tokens[slot], this.last[slot], this.sweepNow, PER_ADDRESS_RATE, PER_ADDRESS_BURST) < PER_ADDRESS_BURST) return;
    this.slots.delete(key);
    this.free[this.freeCount++] = slot;
  };

  /** `workers`: how many share GLOBAL_RATE; `addressLimit`: source addresses with a bucket of their own (a test makes it small). */
  constructor(workers = 1, addressLimit = ADDRESS_LIMIT) {
    this.global = new Bucket(GLOBAL_RATE / workers, GLOBAL_BURST);
    this.slots = new NumberMap(2 * addressLimit);
    this.tokens = new Float64Array(addressLimit);
    this.last = new Float64Array(addressLimit);
    this.free = new Int32Array(addressLimit);
    for (let i = 0; i < addressLimit; i++) this.free[i] = addressLimit - 1 - i;
    this.freeCount = addressLimit;
  }

  /** From now until `until`, handshakes from these endpoint keys (endpointKey) count as known. */
  remember(keys: readonly number[], until: number): void {
    this.remembered.clear();
    for (const key of keys) this.remembered.set(key, 1);
    this.rememberedUntil = until;
  }

  /** From now on, these endpoint keys (endpointKey) are the configured peers' remotes, instead of the last set. */
  knowRemotes(keys: readonly number[]): void {
    this.remotes = new NumberMap(2 * keys.length);
    for (const key of keys) this.remotes.set(key, 1);
  }

  /** Whether the endpoint key is a configured peer's remote, or one the state file remembers (while that lasts). */
  knows(endpoint: number, now: number): boolean {
    if (this.remotes.size > 0 && this.remotes.get(endpoint) !== ABSENT) return true;
    return this.remembered.size > 0 && now < this.rememberedUntil && this.remembered.get(endpoint) !== ABSENT;
  }

  /**
   * True if a handshake may be handed to the control plane now (and takes its tokens):
   * `known` when its address and port are a peer's (or remembered), else `source` is sourceKey() of its sender.
   */
  admit(known: boolean, source: number, now: number): boolean {
    if (known) return this.known.take(now);
    if (now >= this.nextSweep) this.sweep(now);
    return this.takeAddress(source, now) && this.global.take(now);
  }

  private takeAddress(source: number, now: number): boolean {
    let slot = this.slots.get(source);
    if (slot === ABSENT) {
      if (this.freeCount === 0) return true;
      slot = this.free[--this.freeCount];
      this.slots.set(source, slot);
      this.tokens[slot] = PER_ADDRESS_BURST;
      this.last[slot] = now;
    }
    const tokens = refilled(this.tokens[slot], this.last[slot], now, PER_ADDRESS_RATE, PER_ADDRESS_BURST);
    this.last[slot] = now;
    if (tokens < 1) {
      this.tokens[slot] = tokens;
      return false;
    }
    this.tokens[slot] = tokens - 1;
    return true;
  }

  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_INTERVAL;
    if (this.slots.size === 0) return;
    this.sweepNow = now;
    this.slots.forEach(this.sweepEntry);
  }
}

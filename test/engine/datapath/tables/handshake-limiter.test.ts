// The handshake token buckets, on a clock the test sets: per source address, global, and
// known peers' addresses apart from both.
import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { sourceKey } from '../../../../src/engine/datapath/tables/address-key.js';
import {
  GLOBAL_BURST,
  GLOBAL_RATE,
  HandshakeLimiter,
  KNOWN_BURST,
  PER_ADDRESS_BURST,
  PER_ADDRESS_RATE,
  SWEEP_INTERVAL,
} from '../../../../src/engine/datapath/tables/handshake-limiter.js';

/** How many of `count` handshakes from `source` at time `now` are admitted. */
function admitted(limiter: HandshakeLimiter, count: number, source: number, now: number, known = false): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (limiter.admit(known, source, now)) n++;
  return n;
}

/** How many handshakes from `source` are admitted when it sends one every `gapMs` for `seconds`, from `from` on. */
function admittedOver(limiter: HandshakeLimiter, source: number, from: number, gapMs: number, seconds: number): number {
  let n = 0;
  for (let now = from; now < from + seconds * 1000; now += gapMs) if (limiter.admit(false, source, now)) n++;
  return n;
}

/** A source key per index, as sourceKey gives IPv4 addresses (distinct, below 2^32). */
const address = (i: number): number => 0xc6120000 + i;
/** Slower than the global rate: only a per-address bucket refuses such a sender. */
const UNDER_GLOBAL_GAP_MS = 2.5;

describe('HandshakeLimiter', () => {
  it('gives a source address its burst, then its rate; other addresses are not charged for it', () => {
    const limiter = new HandshakeLimiter();
    const n = admittedOver(limiter, address(1), 0, UNDER_GLOBAL_GAP_MS, 10);
    expect(n).toBeGreaterThanOrEqual(PER_ADDRESS_BURST + PER_ADDRESS_RATE * 10 - 2);
    expect(n).toBeLessThanOrEqual(PER_ADDRESS_BURST + PER_ADDRESS_RATE * 10);
    expect(admitted(limiter, 10, address(2), 10_000)).toBe(10);
  });

  it('bounds all unknown sources together by the global bucket', () => {
    const limiter = new HandshakeLimiter();
    let n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(i), 0);
    expect(n).toBe(GLOBAL_BURST);
    n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(10_000 + i), 200);
    expect(n).toBe((GLOBAL_RATE * 200) / 1000);
  });

  it("gives each of several workers its share of the global rate: the control plane's work stays the same", () => {
    const workers = 2;
    const limiter = new HandshakeLimiter(workers);
    let n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(i), 0);
    expect(n).toBe(GLOBAL_BURST);
    n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(10_000 + i), 200);
    expect(n).toBe((GLOBAL_RATE * 200) / 1000 / workers);
  });

  it("admits known peers' addresses by their own budget, whatever strangers send", () => {
    const limiter = new HandshakeLimiter();
    for (let i = 0; i < 2 * GLOBAL_BURST; i++) limiter.admit(false, address(i), 0);
    expect(admitted(limiter, 1, address(5000), 0)).toBe(0);
    expect(admitted(limiter, KNOWN_BURST + 10, address(5000), 0, true)).toBe(KNOWN_BURST);
  });

  it('counts the endpoints the state file remembers as known until the greeting is over', () => {
    const limiter = new HandshakeLimiter();
    const greeted = 2 ** 40 + 7;
    expect(limiter.knows(greeted, 0)).toBe(false);
    limiter.remember([greeted], 1000);
    expect(limiter.knows(greeted, 999)).toBe(true);
    expect(limiter.knows(greeted + 1, 999)).toBe(false);
    expect(limiter.knows(greeted, 1000)).toBe(false);
  });

  it("counts the configured peers' remotes as known, always, until the next set replaces them", () => {
    const limiter = new HandshakeLimiter();
    const remotes = [2 ** 40 + 1, 2 ** 40 + 2];
    limiter.knowRemotes(remotes);
    expect(remotes.map((key) => limiter.knows(key, 1e12))).toEqual([true, true]);
    expect(limiter.knows(2 ** 40 + 3, 0)).toBe(false);
    limiter.knowRemotes([remotes[1]!]);
    expect(remotes.map((key) => limiter.knows(key, 0))).toEqual([false, true]);
  });

  it('judges sources beyond a full table by the global bucket alone, and sweeps buckets that filled up again', () => {
    const limiter = new HandshakeLimiter(1, 4);
    // four sources spend their buckets: they stay in the table until they are full again
    for (let i = 0; i < 4; i++) admitted(limiter, PER_ADDRESS_BURST, address(i), 0);
    const newcomer = address(4);
    expect(admittedOver(limiter, newcomer, 10, UNDER_GLOBAL_GAP_MS, 3)).toBe(3000 / UNDER_GLOBAL_GAP_MS);
    // once they are full again they are swept: the newcomer gets a bucket of its own
    const refilled = (PER_ADDRESS_BURST / PER_ADDRESS_RATE) * 1000;
    const n = admittedOver(limiter, newcomer, refilled + SWEEP_INTERVAL, UNDER_GLOBAL_GAP_MS, 3);
    expect(n).toBeGreaterThanOrEqual(PER_ADDRESS_BURST + PER_ADDRESS_RATE * 3 - 2);
    expect(n).toBeLessThanOrEqual(PER_ADDRESS_BURST + PER_ADDRESS_RATE * 3);
  });
});

describe('sourceKey', () => {
  it('is the IPv4 address whatever the port, also v4-mapped; one key per IPv6 /64', () => {
    const batch = createDatagramBatch(6);
    writeSockaddr(batch.addresses, 0, { address: '198.18.0.7', port: 1000 });
    writeSockaddr(batch.addresses, 1, { address: '198.18.0.7', port: 2000 });
    writeSockaddr(batch.addresses, 2, { address: '::ffff:198.18.0.7', port: 3000 });
    writeSockaddr(batch.addresses, 3, { address: '2001:db8:0:1::1', port: 1000 });
    writeSockaddr(batch.addresses, 4, { address: '2001:db8:0:1:ffff::2', port: 2000 });
    writeSockaddr(batch.addresses, 5, { address: '2001:db8:0:2::1', port: 1000 });
    const keys = [0, 1, 2, 3, 4, 5].map((i) => sourceKey(batch.addressWords, i));
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe(keys[0]);
    expect(keys[0]).toBeLessThan(2 ** 32);
    expect(keys[4]).toBe(keys[3]);
    expect(keys[5]).not.toBe(keys[3]);
    expect(keys[3]).not.toBe(keys[0]);
  });
});

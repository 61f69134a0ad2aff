// The handshake token buckets, on a clock the test sets: per source address, global, and
// known peers' addresses apart from both.
import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../../../src/io/batch.js';
import { writeSockaddr } from '../../../../src/io/sockaddr.js';
import { sourceKey } from '../../../../src/engine/datapath/tables/address-key.js';
import {
  ADDRESS_LIMIT,
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

/** A source key per index, as sourceKey gives IPv4 addresses (distinct, below 2^32). */
const address = (i: number): number => 0xc6120000 + i;

describe('HandshakeLimiter', () => {
  it('gives a source address its burst, then its rate', () => {
    const limiter = new HandshakeLimiter();
    expect(admitted(limiter, PER_ADDRESS_BURST + 100, address(1), 0)).toBe(PER_ADDRESS_BURST);
    // one second later: the rate's worth, not more
    expect(admitted(limiter, 1000, address(1), 1000)).toBe(PER_ADDRESS_RATE);
    // another address is not charged for the first one's flood
    expect(admitted(limiter, 10, address(2), 1000)).toBe(10);
  });

  it('bounds all unknown sources together by the global bucket', () => {
    const limiter = new HandshakeLimiter();
    let n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(i % ADDRESS_LIMIT), 0);
    expect(n).toBe(GLOBAL_BURST);
    n = 0;
    for (let i = 0; i < 3 * GLOBAL_BURST; i++) n += admitted(limiter, 1, address(i % ADDRESS_LIMIT), 1000);
    expect(n).toBe(GLOBAL_RATE);
  });

  it("admits known peers' addresses by their own budget, whatever strangers send", () => {
    const limiter = new HandshakeLimiter();
    for (let i = 0; i < 2 * GLOBAL_BURST; i++) limiter.admit(false, address(i), 0);
    expect(admitted(limiter, 1, address(5000), 0)).toBe(0);
    expect(admitted(limiter, KNOWN_BURST + 10, address(5000), 0, true)).toBe(KNOWN_BURST);
  });

  it('judges sources beyond a full table by the global bucket alone, and sweeps buckets that filled up again', () => {
    const limiter = new HandshakeLimiter();
    // a flood from as many addresses as the table holds, in one moment: the global bucket empties
    for (let i = 0; i < ADDRESS_LIMIT; i++) limiter.admit(false, address(i), 0);
    const newcomer = address(ADDRESS_LIMIT);
    // before the next sweep the table is full: the newcomer has what the global bucket refilled
    const beforeSweep = SWEEP_INTERVAL - 1;
    expect(admitted(limiter, GLOBAL_BURST, newcomer, beforeSweep)).toBe(Math.floor((beforeSweep * GLOBAL_RATE) / 1000));
    // once the flood's buckets are full again they are swept: the newcomer gets a bucket of its own
    const refilled = (PER_ADDRESS_BURST / PER_ADDRESS_RATE) * 1000;
    expect(admitted(limiter, GLOBAL_BURST, newcomer, beforeSweep + refilled + SWEEP_INTERVAL)).toBe(PER_ADDRESS_BURST);
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

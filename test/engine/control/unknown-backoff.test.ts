// Fast reconnect's brake: per address, whatever the port; bounded memory, and silence
// rather than forgetting when a flood fills the table.
import { describe, expect, it } from 'vitest';
import { UnknownAddressBackoff, type WaitingSender } from '../../../src/engine/control/unknown-backoff.js';
import { MIN_HANDSHAKE_INTERVAL } from '../../../src/protocol/timing.js';

const sender = (address: string, port: number): WaitingSender => ({ socketId: 0, endpoint: { family: 4, address, port, scopeId: 0 }, local: undefined, compat: false });

describe('handshakes to unknown addresses', () => {
  it('go out once per address per MIN_HANDSHAKE_INTERVAL, and again after a purge', () => {
    const backoff = new UnknownAddressBackoff();
    expect(backoff.backOff('192.0.2.1', 0)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL - 1)).toBe(true);
    expect(backoff.backOff('192.0.2.2', 1)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL + 1)).toBe(true);
    expect(backoff.purge('192.0.2.1', MIN_HANDSHAKE_INTERVAL + 2)).toBeUndefined();
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL + 2)).toBe(false);
  });

  it('make room by forgetting expired addresses when the table is full', () => {
    const backoff = new UnknownAddressBackoff(10, 2);
    expect(backoff.backOff('10.0.0.1', 0)).toBe(false);
    expect(backoff.backOff('10.0.0.2', 5)).toBe(false);
    // 10.0.0.1 expired at 10, 10.0.0.2 still held: only the expired one goes.
    expect(backoff.backOff('10.0.0.3', 12)).toBe(false);
    expect(backoff.backOff('10.0.0.2', 13)).toBe(true);
    expect(backoff.backOff('10.0.0.3', 14)).toBe(true);
  });

  it('send nothing to a new address while the table is full of live entries', () => {
    const backoff = new UnknownAddressBackoff(10, 2);
    expect(backoff.backOff('10.0.0.1', 0)).toBe(false);
    expect(backoff.backOff('10.0.0.2', 1)).toBe(false);
    expect(backoff.backOff('10.0.0.3', 2)).toBe(true);
    // Nor was it remembered: once the others expire it gets its handshake.
    expect(backoff.backOff('10.0.0.3', 11)).toBe(false);
    expect(backoff.backOff('10.0.0.3', 12)).toBe(true);
  });

  it('answer the senders refused meanwhile one by one, each after a completed handshake with the address', () => {
    const backoff = new UnknownAddressBackoff();
    expect(backoff.backOff('198.18.0.2', 0, sender('198.18.0.2', 20000))).toBe(false);
    for (const port of [20001, 20002, 20001]) expect(backoff.backOff('198.18.0.2', 1, sender('198.18.0.2', port))).toBe(true);
    expect(backoff.backOff('198.18.0.3', 1, sender('198.18.0.3', 20003))).toBe(false);
    // 20000 established: 20001 is next (once, though its data came twice), and counts as sent
    expect(backoff.purge('198.18.0.2', 2)?.endpoint.port).toBe(20001);
    expect(backoff.backOff('198.18.0.2', 3)).toBe(true);
    expect(backoff.purge('198.18.0.2', 4)?.endpoint.port).toBe(20002);
    expect(backoff.purge('198.18.0.2', 5)).toBeUndefined();
    expect(backoff.backOff('198.18.0.2', 6)).toBe(false);
  });

  it('forget refused senders after MIN_HANDSHAKE_INTERVAL, and hold a bounded number of them', () => {
    const backoff = new UnknownAddressBackoff(MIN_HANDSHAKE_INTERVAL, 8192, 3);
    expect(backoff.backOff('198.18.0.2', 0)).toBe(false);
    backoff.backOff('198.18.0.2', 0, sender('198.18.0.2', 1));
    backoff.backOff('198.18.0.2', 10, sender('198.18.0.2', 2));
    backoff.backOff('198.18.0.2', 10, sender('198.18.0.2', 3));
    backoff.backOff('198.18.0.2', 10, sender('198.18.0.2', 4));
    // port 1's data is too old to answer, port 4 found no room
    expect(backoff.purge('198.18.0.2', MIN_HANDSHAKE_INTERVAL)?.endpoint.port).toBe(2);
    expect(backoff.purge('198.18.0.2', MIN_HANDSHAKE_INTERVAL)?.endpoint.port).toBe(3);
    expect(backoff.purge('198.18.0.2', MIN_HANDSHAKE_INTERVAL)).toBeUndefined();
  });
});

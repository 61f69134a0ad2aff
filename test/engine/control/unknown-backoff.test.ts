// Fast reconnect's brake: per address, whatever the port; bounded memory, and silence
// rather than forgetting when a flood fills the table.
import { describe, expect, it } from 'vitest';
import { UnknownAddressBackoff } from '../../../src/engine/control/unknown-backoff.js';
import { MIN_HANDSHAKE_INTERVAL } from '../../../src/protocol/timing.js';

describe('handshakes to unknown addresses', () => {
  it('go out once per address per MIN_HANDSHAKE_INTERVAL, and again after a purge', () => {
    const backoff = new UnknownAddressBackoff();
    expect(backoff.backOff('192.0.2.1', 0)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL - 1)).toBe(true);
    expect(backoff.backOff('192.0.2.2', 1)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL)).toBe(false);
    expect(backoff.backOff('192.0.2.1', MIN_HANDSHAKE_INTERVAL + 1)).toBe(true);
    backoff.purge('192.0.2.1');
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
});

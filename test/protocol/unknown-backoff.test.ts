// Fast reconnect's rate limit: per address, whatever the port; bounded memory.
import { describe, expect, it } from 'vitest';
import { UnknownHandshakeBackoff } from '../../src/protocol/unknown-backoff.js';

describe('handshakes to unknown addresses', () => {
  it('go out once per address per interval, and again after a purge', () => {
    const backoff = new UnknownHandshakeBackoff(15_000);
    expect(backoff.allow('192.0.2.1', 0)).toBe(true);
    expect(backoff.allow('192.0.2.1', 14_999)).toBe(false);
    expect(backoff.allow('192.0.2.2', 1)).toBe(true);
    expect(backoff.allow('192.0.2.1', 15_000)).toBe(true);
    expect(backoff.allow('192.0.2.1', 15_001)).toBe(false);
    backoff.purge('192.0.2.1');
    expect(backoff.allow('192.0.2.1', 15_002)).toBe(true);
  });

  it('forget the oldest address rather than grow past their capacity', () => {
    const backoff = new UnknownHandshakeBackoff(15_000, 4);
    for (let i = 0; i < 4; i++) expect(backoff.allow(`10.0.0.${i}`, i)).toBe(true);
    expect(backoff.allow('10.0.0.9', 10)).toBe(true);
    expect(backoff.allow('10.0.0.0', 11)).toBe(true); // evicted to make room
    expect(backoff.allow('10.0.0.3', 12)).toBe(false);
    expect(backoff.allow('10.0.0.9', 13)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { createDatagramBatch } from '../../src/io/batch.js';
import { readSockaddr, sameSockaddr, sockaddrLength, writeSockaddr } from '../../src/io/sockaddr.js';

describe('socket addresses in kernel layout', () => {
  it('writes sockaddr_in as the kernel expects it: family 2, big-endian port, address bytes', () => {
    const batch = createDatagramBatch(2);
    writeSockaddr(batch.addresses, 1, { address: '192.0.2.7', port: 10000 });
    expect(Array.from(batch.addresses.subarray(32, 40))).toEqual([2, 0, 0x27, 0x10, 192, 0, 2, 7]);
    expect(sockaddrLength(batch.addresses, 1)).toBe(16);
    expect(sockaddrLength(batch.addresses, 0)).toBe(0);
    expect(readSockaddr(batch.addresses, 1)).toEqual({ address: '192.0.2.7', port: 10000 });
  });

  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['fe80::1:2', 'fe80::1:2'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('round-trips %s as sockaddr_in6 (RFC 5952 text %s)', (text, canonical) => {
    const batch = createDatagramBatch(1);
    writeSockaddr(batch.addresses, 0, { address: text, port: 443, scopeId: 3 });
    expect(batch.addresses[0]).toBe(10);
    expect(sockaddrLength(batch.addresses, 0)).toBe(28);
    expect(readSockaddr(batch.addresses, 0)).toEqual({ address: canonical, port: 443, scopeId: 3 });
  });

  it('compares whole slots', () => {
    const batch = createDatagramBatch(3);
    writeSockaddr(batch.addresses, 0, { address: '10.0.0.1', port: 1 });
    writeSockaddr(batch.addresses, 1, { address: '10.0.0.1', port: 1 });
    writeSockaddr(batch.addresses, 2, { address: '10.0.0.1', port: 2 });
    expect(sameSockaddr(batch.addressWords, 0, 1)).toBe(true);
    expect(sameSockaddr(batch.addressWords, 0, 2)).toBe(false);
  });

  it('rejects text that is not an address and ports out of range', () => {
    const batch = createDatagramBatch(1);
    expect(() => writeSockaddr(batch.addresses, 0, { address: 'example.org', port: 1 })).toThrow(/not an IP address/);
    expect(() => writeSockaddr(batch.addresses, 0, { address: '10.0.0.1', port: 70000 })).toThrow(/invalid port/);
  });
});

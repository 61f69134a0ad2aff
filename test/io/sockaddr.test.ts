import { isIPv4 } from 'node:net';
import fc from 'fast-check';
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

  it.each(['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '1.2.3.1000', '', '1.2.3.-4'])(
    'takes %j for no IPv4 address, as node:net does',
    (text) => {
      expect(() => writeSockaddr(createDatagramBatch(1).addresses, 0, { address: text, port: 1 })).toThrow(/not an IP address/);
    },
  );

  it('reads dotted IPv4 text exactly as node:net judges it, and writes its four bytes', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.stringMatching(/^[0-9]{1,4}$/));
    const text = fc.oneof(fc.array(octet, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')), fc.string({ maxLength: 16 }));
    fc.assert(
      fc.property(text, (address) => {
        const slots = createDatagramBatch(1).addresses;
        if (!isIPv4(address)) {
          if (!address.includes(':')) expect(() => writeSockaddr(slots, 0, { address, port: 1 })).toThrow(/not an IP address/);
          return;
        }
        writeSockaddr(slots, 0, { address, port: 1 });
        expect(Array.from(slots.subarray(4, 8))).toEqual(address.split('.').map(Number));
        expect(readSockaddr(slots, 0)?.address).toBe(address);
      }),
      { numRuns: 500 },
    );
  });
});

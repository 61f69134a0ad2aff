// inet_pton/inet_ntop rules for the literals fastd accepts, checked against Node's own parser.
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv4, parseIPv6, simplifyIPv6 } from '../../src/config/addresses.ts';

describe('IPv4 literals', () => {
  it('accepts dotted quads without leading zeros', () => {
    for (const text of ['0.0.0.0', '192.0.2.1', '255.255.255.255', '10.0.0.10']) {
      expect(parseIPv4(text)).toBe(text);
      expect(isIPv4(text)).toBe(true);
    }
  });
  it('refuses what glibc inet_pton refuses', () => {
    for (const text of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.00', '', '1.2.3.4 ']) {
      expect(parseIPv4(text)).toBeUndefined();
    }
  });
});

describe('IPv6 literals', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['::ffff:102:304', '::ffff:1.2.3.4'],
    ['::102:304', '::1.2.3.4'],
  ];
  it.each(cases)('parses %s and prints it as inet_ntop does (%s)', (input, printed) => {
    const bytes = parseIPv6(input);
    expect(bytes).toBeDefined();
    expect(formatIPv6(bytes as Uint8Array)).toBe(printed);
    expect(isIPv6(printed)).toBe(true);
  });
  it('refuses :: standing for no group, and other malformed forms', () => {
    for (const text of ['1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7', ':1::', '1:::2', '12345::', '', '::g', '1:2:3:4:5:6:7:8:9']) {
      expect(parseIPv6(text)).toBeUndefined();
    }
  });
  it('simplifies IPv4-mapped addresses to IPv4 as fastd_peer_address_simplify does', () => {
    expect(simplifyIPv6(parseIPv6('::ffff:c000:201') as Uint8Array)).toEqual({ family: 'ipv4', address: '192.0.2.1' });
    expect(simplifyIPv6(parseIPv6('2001:db8::') as Uint8Array)).toEqual({ family: 'ipv6', address: '2001:db8::' });
  });
});

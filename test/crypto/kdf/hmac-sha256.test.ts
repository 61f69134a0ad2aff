import { describe, expect, it } from 'vitest';
import { HmacSha256Key, hmacSha256, verifyHmacSha256 } from '../../../src/crypto/kdf/hmac-sha256.ts';
import { toHex } from '../../helpers/packet-memory.ts';

const bytes = (hexString: string) => new Uint8Array(Buffer.from(hexString, 'hex'));
const ascii = (text: string) => new TextEncoder().encode(text);
const repeated = (byte: number, count: number) => new Uint8Array(count).fill(byte);

// RFC 4231 section 4, HMAC-SHA-256 results.
const RFC4231: { name: string; key: Uint8Array; data: Uint8Array; mac: string }[] = [
  {
    name: 'test case 1',
    key: repeated(0x0b, 20),
    data: ascii('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    name: 'test case 2 (key shorter than the output)',
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    name: 'test case 3',
    key: repeated(0xaa, 20),
    data: repeated(0xdd, 50),
    mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
  },
  {
    name: 'test case 4',
    key: bytes('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: repeated(0xcd, 50),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    name: 'test case 6 (key larger than a block)',
    key: repeated(0xaa, 131),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'test case 7 (key and data larger than a block)',
    key: repeated(0xaa, 131),
    data: ascii(
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
        'The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

describe('hmacSha256', () => {
  it.each(RFC4231)('matches RFC 4231 $name', ({ key, data, mac }) => {
    expect(toHex(hmacSha256(key, data))).toBe(mac);
  });

  it('matches RFC 4231 test case 5 truncated to 128 bits', () => {
    const mac = hmacSha256(repeated(0x0c, 20), ascii('Test With Truncation'));
    expect(toHex(mac.subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('authenticates the concatenation of its parts', () => {
    const { key, data, mac } = RFC4231[3];
    expect(toHex(hmacSha256(key, data.subarray(0, 7), data.subarray(7)))).toBe(mac);
  });
});

describe('verifyHmacSha256', () => {
  const { key, data, mac } = RFC4231[0];

  it('accepts the right tag', () => {
    expect(verifyHmacSha256(bytes(mac), key, data)).toBe(true);
  });

  it('rejects a tag with one bit flipped, a truncated tag, and the wrong key', () => {
    const flipped = bytes(mac);
    flipped[31] ^= 1;
    expect(verifyHmacSha256(flipped, key, data)).toBe(false);
    expect(verifyHmacSha256(bytes(mac).subarray(0, 16), key, data)).toBe(false);
    expect(verifyHmacSha256(bytes(mac), repeated(0x0c, 20), data)).toBe(false);
  });
});

describe('HmacSha256Key', () => {
  it('gives every MAC under its key as the RFC does, however often and in whatever order it is used', () => {
    const keys = RFC4231.map(({ key }) => new HmacSha256Key(key));
    for (let round = 0; round < 2; round++) {
      RFC4231.forEach(({ data, mac }, i) => expect(toHex(keys[i]!.mac(data))).toBe(mac));
    }
  });

  it('writes into a view of a larger buffer (a handshake\'s tag in place)', () => {
    const { key, data, mac } = RFC4231[2];
    const buffer = new Uint8Array(40).fill(0xee);
    new HmacSha256Key(key).macInto(buffer.subarray(4, 36), data);
    expect(toHex(buffer.subarray(4, 36))).toBe(mac);
    expect([...buffer.subarray(0, 4), ...buffer.subarray(36)]).toEqual(new Array(8).fill(0xee));
  });

  it('verifies in constant time against its own MAC', () => {
    const { key, data, mac } = RFC4231[1];
    const keyed = new HmacSha256Key(key);
    expect(keyed.verify(bytes(mac), data)).toBe(true);
    expect(keyed.verify(bytes(mac), ascii('something else'))).toBe(false);
  });
});

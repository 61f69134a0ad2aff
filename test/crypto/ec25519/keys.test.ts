// Curve25519 keys as fastd writes and checks them: hex strings, secrets that are multiples
// of 8, public keys that are points of the group (keys.e2e.test.ts asks Debian's fastd).
import { describe, expect, it } from 'vitest';
import {
  derivePublicKey,
  generateSecretKey,
  isValidPublicKey,
  isValidSecretKey,
  keyToHex,
  parseKeyHex,
} from '../../../src/crypto/ec25519/keys.ts';
import { toHex } from '../../helpers/packet-memory.ts';
import { random32 } from './bigint.ts';

describe('key strings', () => {
  it('parses 64 hex digits in either case and prints lower case', () => {
    const lower = '0123456789abcdef'.repeat(4);
    const key = parseKeyHex(lower)!;
    expect(key).toHaveLength(32);
    expect(key[0]).toBe(0x01);
    expect(key[31]).toBe(0xef);
    expect(keyToHex(key)).toBe(lower);
    expect(keyToHex(parseKeyHex(lower.toUpperCase())!)).toBe(lower);
  });

  it.each([
    ['63 digits', 'a'.repeat(63)],
    ['65 digits', 'a'.repeat(65)],
    ['a non-hex digit', 'g' + 'a'.repeat(63)],
    ['surrounding blanks', ` ${'a'.repeat(64)}`],
    ['a 0x prefix', `0x${'a'.repeat(62)}`],
    ['nothing', ''],
    ...['/', ':', '@', 'G', '`', 'g', 'Ａ'].map((char) => [`${char} beside the digits' ranges`, `${'a'.repeat(33)}${char}${'a'.repeat(30)}`]),
  ])('refuses %s', (_, text) => {
    expect(parseKeyHex(text)).toBeUndefined();
  });
});

describe('secret keys', () => {
  it('generates distinct clamped secrets that fastd accepts', () => {
    const first = generateSecretKey();
    const second = generateSecretKey();
    expect(toHex(first)).not.toBe(toHex(second));
    for (const secret of [first, second]) {
      expect(secret[0] & 7).toBe(0);
      expect(secret[31] & 0xc0).toBe(0x40);
      expect(isValidSecretKey(secret)).toBe(true);
    }
  });

  it('accepts exactly the 32-byte multiples of 8, as fastd divides secrets by 8', () => {
    const secret = random32();
    secret[0] &= 0xf8;
    expect(isValidSecretKey(secret)).toBe(true);
    secret[0] |= 4;
    expect(isValidSecretKey(secret)).toBe(false);
    expect(isValidSecretKey(new Uint8Array(31))).toBe(false);
    expect(() => derivePublicKey(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('public keys', () => {
  it('refuses the identity, points off the curve, and wrong lengths', () => {
    expect(isValidPublicKey(derivePublicKey(generateSecretKey()))).toBe(true);
    expect(isValidPublicKey(parseKeyHex('00'.repeat(31) + '80')!)).toBe(false); // identity
    expect(isValidPublicKey(parseKeyHex('02' + '00'.repeat(31))!)).toBe(false); // no point with x = 2
    expect(isValidPublicKey(new Uint8Array(33))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  HKDF_SHA256_MAX_LENGTH,
  hkdfSha256,
  hkdfSha256Expand,
  hkdfSha256Extract,
} from '../../../src/crypto/kdf/hkdf-sha256.ts';
import { toHex } from '../../helpers/packet-memory.ts';

const bytes = (hexString: string) => new Uint8Array(Buffer.from(hexString, 'hex'));
const counting = (from: number, count: number) => new Uint8Array(count).map((_, i) => from + i);

// RFC 5869 appendix A, test cases 1-3 (SHA-256).
const RFC5869 = [
  {
    name: 'test case 1 (basic)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: counting(0x00, 13),
    info: counting(0xf0, 10),
    length: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'test case 2 (longer inputs and outputs)',
    ikm: counting(0x00, 80),
    salt: counting(0x60, 80),
    info: counting(0xb0, 80),
    length: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'test case 3 (empty salt and info)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    length: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

describe('HKDF-SHA256', () => {
  it.each(RFC5869)('extracts the PRK of RFC 5869 $name', ({ ikm, salt, prk }) => {
    expect(toHex(hkdfSha256Extract(salt, ikm))).toBe(prk);
  });

  it.each(RFC5869)('expands to the OKM of RFC 5869 $name', ({ prk, info, length, okm }) => {
    expect(toHex(hkdfSha256Expand(bytes(prk), info, length))).toBe(okm);
  });

  it.each(RFC5869)('derives RFC 5869 $name in one call', ({ ikm, salt, info, length, okm }) => {
    expect(toHex(hkdfSha256(salt, ikm, info, length))).toBe(okm);
  });

  it("gives a prefix of fastd's whole-block output for shorter lengths", () => {
    const { prk, info } = RFC5869[1];
    const blocks = hkdfSha256Expand(bytes(prk), info, 96);
    expect(toHex(hkdfSha256Expand(bytes(prk), info, 42))).toBe(toHex(blocks.subarray(0, 42)));
  });

  it('refuses lengths RFC 5869 does not allow', () => {
    const prk = bytes(RFC5869[0].prk);
    expect(() => hkdfSha256Expand(prk, new Uint8Array(0), HKDF_SHA256_MAX_LENGTH + 1)).toThrow(RangeError);
    expect(() => hkdfSha256Expand(prk, new Uint8Array(0), -1)).toThrow(RangeError);
    expect(hkdfSha256Expand(prk, new Uint8Array(0), HKDF_SHA256_MAX_LENGTH)).toHaveLength(HKDF_SHA256_MAX_LENGTH);
  });
});

import sodium from 'sodium-native';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/crypto/kdf/sha256.ts';
import { toHex } from '../../helpers/packet-memory.ts';

const ascii = (text: string) => new TextEncoder().encode(text);

// FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values", SHA-256).
const NIST_VECTORS: [string, string][] = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
];

describe('sha256', () => {
  it.each(NIST_VECTORS)('hashes %j as FIPS 180-4 publishes', (message, digest) => {
    expect(toHex(sha256(ascii(message)))).toBe(digest);
  });

  it('hashes one million "a" as FIPS 180-4 publishes', () => {
    expect(toHex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('hashes the concatenation of its parts (as fastd hashes Y|X|B|A)', () => {
    const message = ascii(NIST_VECTORS[2][0]);
    expect(toHex(sha256(message.subarray(0, 5), message.subarray(5, 40), message.subarray(40)))).toBe(NIST_VECTORS[2][1]);
  });

  it('agrees with libsodium around the padding boundaries', () => {
    for (const length of [1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
      const message = new Uint8Array(length).map((_, i) => (i * 131 + length) & 0xff);
      const expected = new Uint8Array(32);
      sodium.crypto_hash_sha256(expected, message);
      expect(toHex(sha256(message)), `length ${length}`).toBe(toHex(expected));
    }
  });
});

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BatchTable } from '../../../../src/crypto/batch-table.js';
import { GhashKey } from '../../../../src/crypto/mac/ghash/ghash.js';
import { PacketStatus } from '../../../../src/crypto/methods/provider.js';
import { batchOf, hex, sharedMemory, toHex } from '../../../helpers/packet-memory.js';
import { referenceGhash } from './reference-ghash.js';

const memory = sharedMemory();
const AT = 4096;

/** Runs the kernel over one message: tag block at AT (zeroed), message after it. */
function ghash(key: GhashKey, message: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(memory.buffer);
  bytes.fill(0, AT, AT + 16);
  bytes.set(message, AT + 16);
  const batch = batchOf(memory, [[AT, 16 + message.length]]);
  const table = BatchTable.of(memory);
  table.load(batch);
  key.foldInto(table, 0, 16);
  return bytes.slice(AT, AT + 16);
}

const aesBlock = (key: Uint8Array, block: Uint8Array) =>
  new Uint8Array(createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block));

// The GCM specification's test cases 2 and 3 (McGrew & Viega, also in NIST's GCM validation
// set): 96-bit IV, no additional data.
const GCM_CASES = [
  {
    key: '00000000000000000000000000000000',
    iv: '000000000000000000000000',
    plaintext: '00000000000000000000000000000000',
    ciphertext: '0388dace60b6a392f328c2b971b2fe78',
    tag: 'ab6e47d42cec13bdf53a67b21257bddf',
  },
  {
    key: 'feffe9928665731c6d6a8f9467308308',
    iv: 'cafebabefacedbaddecaf888',
    plaintext:
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255',
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985',
    tag: '4d5c2af327cd64a62cf35abd2ba6fab4',
  },
];

describe('GHASH kernel', () => {
  it.each(GCM_CASES)('reproduces the GCM test vector tag $tag', (tc) => {
    const key = hex(tc.key);
    const h = aesBlock(key, new Uint8Array(16));
    const j0 = new Uint8Array(16);
    j0.set(hex(tc.iv));
    j0[15] = 1;
    const ghashKey = new GhashKey(h, memory, false);
    const s = ghash(ghashKey, hex(tc.ciphertext));
    const mask = aesBlock(key, j0);
    expect(toHex(s.map((b, i) => b ^ mask[i]))).toBe(tc.tag);
    // and OpenSSL agrees the vector is right
    const openssl = createCipheriv('aes-128-gcm', key, hex(tc.iv));
    expect(toHex(openssl.update(hex(tc.plaintext)))).toBe(tc.ciphertext);
    openssl.final();
    expect(toHex(openssl.getAuthTag())).toBe(tc.tag);
    ghashKey.destroy();
  });

  it('computes the intermediate values the GCM specification lists for test case 2', () => {
    const key = new Uint8Array(16);
    const h = aesBlock(key, new Uint8Array(16));
    expect(toHex(h)).toBe('66e94bd4ef8a2c3b884cfa59ca342b2e');
    const y0 = new Uint8Array(16);
    y0[15] = 1;
    expect(toHex(aesBlock(key, y0))).toBe('58e2fccefa7e3061367f1d57a4e7455a');
    const ghashKey = new GhashKey(h, memory, false);
    expect(toHex(ghash(ghashKey, hex('0388dace60b6a392f328c2b971b2fe78')))).toBe('f38cbb1ad69223dcc3457ae5b6b0f885');
    ghashKey.destroy();
  });

  it('matches AES-GCM tags from OpenSSL for every length 0..100 and some large ones', () => {
    const key = randomBytes(16);
    const iv = randomBytes(12);
    const ghashKey = new GhashKey(aesBlock(key, new Uint8Array(16)), memory, false);
    const j0 = new Uint8Array(16);
    j0.set(iv);
    j0[15] = 1;
    const mask = aesBlock(key, j0);
    for (const length of [...Array(101).keys(), 1400, 1500, 9000]) {
      const plaintext = randomBytes(length);
      const gcm = createCipheriv('aes-128-gcm', key, iv);
      const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
      const tag = ghash(ghashKey, ciphertext).map((b, i) => b ^ mask[i]);
      expect(toHex(tag)).toBe(toHex(gcm.getAuthTag()));
      const check = createDecipheriv('aes-128-gcm', key, iv).setAuthTag(tag);
      expect(Buffer.concat([check.update(ciphertext), check.final()]).equals(plaintext)).toBe(true);
    }
    ghashKey.destroy();
  });

  it('puts the length in bytes 4-7 of the length block for composed-gmac', () => {
    const h = randomBytes(16);
    const shifted = new GhashKey(h, memory, true);
    const standard = new GhashKey(h, memory, false);
    for (const length of [0, 1, 15, 16, 17, 100, 1400]) {
      const message = randomBytes(length);
      expect(toHex(ghash(shifted, message))).toBe(toHex(referenceGhash(h, message, true)));
      expect(toHex(ghash(standard, message))).toBe(toHex(referenceGhash(h, message, false)));
    }
    shifted.destroy();
    standard.destroy();
  });

  it('skips entries that are already dropped and hashes each packet of a batch separately', () => {
    const h = randomBytes(16);
    const key = new GhashKey(h, memory, false);
    const bytes = new Uint8Array(memory.buffer);
    const messages = [randomBytes(40), randomBytes(0), randomBytes(1000)];
    const at = [8192, 12288, 16384];
    messages.forEach((m, i) => {
      bytes.fill(0, at[i], at[i] + 16);
      bytes.set(m, at[i] + 16);
    });
    const batch = batchOf(memory, messages.map((m, i) => [at[i], 16 + m.length] as const));
    batch.status[1] = PacketStatus.DropHeader;
    const table = BatchTable.of(memory);
    table.load(batch);
    key.foldInto(table, 0, 16);
    expect(toHex(bytes.slice(at[0], at[0] + 16))).toBe(toHex(referenceGhash(h, messages[0], false)));
    expect(bytes.slice(at[1], at[1] + 16).every((b) => b === 0)).toBe(true);
    expect(toHex(bytes.slice(at[2], at[2] + 16))).toBe(toHex(referenceGhash(h, messages[2], false)));
    key.destroy();
  });

  it('reads a packet that ends at the very end of the memory without trapping', () => {
    const h = randomBytes(16);
    const key = new GhashKey(h, memory, false);
    const bytes = new Uint8Array(memory.buffer);
    const message = randomBytes(21);
    const start = bytes.length - 16 - message.length;
    bytes.fill(0, start, start + 16);
    bytes.set(message, start + 16);
    const table = BatchTable.of(memory);
    table.load(batchOf(memory, [[start, 16 + message.length]]));
    key.foldInto(table, 0, 16);
    expect(toHex(bytes.slice(start, start + 16))).toBe(toHex(referenceGhash(h, message, false)));
    key.destroy();
  });
});

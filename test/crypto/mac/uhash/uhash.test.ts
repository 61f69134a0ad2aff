// UHASH against RFC 4418: the appendix's test vectors, with the keys derived by the RFC's own
// AES-128 KDF and the tag completed with its PDF pad; and, over random messages, against a
// plain BigInt transcription of the RFC's section 5 written here.
//
// fastd's UHASH key is exactly the RFC's four KDF outputs concatenated (fastd's own
// test/test-uhash.c feeds KDF(K, 1..4) that way), so the RFC path and fastd's are one path.
import { createCipheriv, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchTable } from '../../../../src/crypto/batch-table.js';
import { UHASH_KEY_BYTES, Uhash } from '../../../../src/crypto/mac/uhash/uhash.js';
import { PacketStatus, type PacketBatch } from '../../../../src/crypto/methods/provider.js';
import { buildKernels } from '../../cipher/salsa20/kernels.js';
import { sharedMemory, toHex } from '../../../helpers/packet-memory.js';
import { M32, M64, nh, referenceUhash } from './rfc4418-reference.js';

beforeAll(buildKernels);

const ITERATIONS = 4;

function aes128(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Uint8Array.from(cipher.update(block));
}

/** RFC 4418 3.2.1 KDF(K, index, numbytes). */
function kdf(key: Uint8Array, index: number, numbytes: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(numbytes / 16) * 16);
  for (let i = 1; i * 16 <= out.length; i++) {
    const t = new Uint8Array(16);
    t[7] = index;
    new DataView(t.buffer).setUint32(12, i);
    out.set(aes128(key, t), (i - 1) * 16);
  }
  return out.subarray(0, numbytes);
}

/** RFC 4418 3.2.2 PDF for a 16-byte tag: AES under KDF(K, 0, 16) of the zero-padded nonce. */
function pdf(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const block = new Uint8Array(16);
  block.set(nonce);
  return aes128(kdf(key, 0, 16), block);
}

/** The UHASH key as fastd takes it: L1Key || L2Key || L3Key1 || L3Key2 (RFC 4418 5.1). */
function fastdUhashKey(key: Uint8Array): Uint8Array {
  const parts = [
    kdf(key, 1, 1024 + (ITERATIONS - 1) * 16),
    kdf(key, 2, ITERATIONS * 24),
    kdf(key, 3, ITERATIONS * 64),
    kdf(key, 4, ITERATIONS * 4),
  ];
  const out = new Uint8Array(UHASH_KEY_BYTES);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  expect(at).toBe(UHASH_KEY_BYTES);
  return out;
}


const MESSAGE_AT = 1 << 16;

function kernelUhash(key: Uint8Array, message: Uint8Array, at = MESSAGE_AT): Uint8Array {
  const memory = sharedMemory(Math.ceil((at + message.length) / 65536) + 2);
  new Uint8Array(memory.buffer).set(message, at);
  const uhash = new Uhash(key, memory);
  const out = new Uint8Array(16);
  uhash.digest(at, message.length, out);
  uhash.destroy();
  return out;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]);
}

describe('RFC 4418 appendix test vectors (K = "abcdefghijklmnop", Nonce = "bcdefghi")', () => {
  const K = new TextEncoder().encode('abcdefghijklmnop');
  const nonce = new TextEncoder().encode('bcdefghi');
  const key = fastdUhashKey(K);
  const pad = pdf(K, nonce);
  const repeat = (pattern: string, times: number) => new TextEncoder().encode(pattern.repeat(times));

  // UMAC-96 as published in the RFC; a UMAC-128 tag starts with the UMAC-96 tag (same pad,
  // same first three iterations). The full 128-bit tags are those of fastd's test-uhash.c.
  const vectors: [string, Uint8Array, string, string?][] = [
    ['<empty>', new Uint8Array(0), '32FEDB100C79AD58F07FF764', '32fedb100c79ad58f07ff7643cc60465'],
    ["'a' * 3", repeat('a', 3), '185E4FE905CBA7BD85E4C2DC', '185e4fe905cba7bd85e4c2dc3d117d8d'],
    ["'a' * 2^10", repeat('a', 1 << 10), '7A54ABE04AF82D60FB298C3C', '7a54abe04af82d60fb298c3cbd195bcb'],
    ["'a' * 2^15", repeat('a', 1 << 15), '7B136BD911E4B734286EF2BE', '7b136bd911e4b734286ef2be501f2c3c'],
    ["'a' * 2^20", repeat('a', 1 << 20), 'F8ACFA3AC31CFEEA047F7B11', 'f8acfa3ac31cfeea047f7b115b03bef5'],
    ["'abc' * 1", repeat('abc', 1), '883C3D4B97A61976FFCF2323'],
    ["'abc' * 500", repeat('abc', 500), '8824A260C53C66A36C9260A6'],
  ];

  for (const [name, message, umac96, umac128] of vectors) {
    it(`M = ${name}`, () => {
      const tag = xor(kernelUhash(key, message), pad);
      expect(toHex(tag.subarray(0, 12))).toBe(umac96.toLowerCase());
      if (umac128) expect(toHex(tag)).toBe(umac128);
    });
  }
});

describe('against the RFC transcription', () => {
  it('random keys and messages of every length 0..1100 and random ones up to 9000', () => {
    const key = randomBytes(UHASH_KEY_BYTES);
    const lengths = [...Array.from({ length: 1101 }, (_, i) => i), ...Array.from({ length: 40 }, () => Math.floor(Math.random() * 9001))];
    const memory = sharedMemory(4);
    const bytes = new Uint8Array(memory.buffer);
    const uhash = new Uhash(key, memory);
    const out = new Uint8Array(16);
    for (const length of lengths) {
      const message = randomBytes(length);
      const at = MESSAGE_AT + (length % 13);
      bytes.set(message, at);
      uhash.digest(at, length, out);
      expect(toHex(out), `length ${length}`).toBe(toHex(referenceUhash(key, message)));
    }
    uhash.destroy();
  });

  it('an L1 output at or above 2^64 - 2^32 takes POLY’s marker path', () => {
    // Choose the first NH chunk so that iteration 0's NH of block 1 lands in the top 2^32.
    const key = randomBytes(UHASH_KEY_BYTES);
    const message = randomBytes(1500);
    const view = new DataView(message.buffer, message.byteOffset);
    const k = (i: number) => BigInt(new DataView(key.buffer, key.byteOffset).getUint32(4 * i));
    const a = M32; // (m0 + k0) mod 2^32
    view.setUint32(0, Number((a - k(0)) & M32), true);
    view.setUint32(16, 0, true);
    const rest = nh(key, message.subarray(0, 1024), 0) - a * ((0n + k(4)) & M32);
    const target = M64;
    // Need a * b ≡ target - rest (mod 2^64) for some b < 2^32, with target in the top 2^32.
    let want = (target - rest) & M64;
    want -= want % a;
    const b = want / a;
    expect(b < 1n << 32n).toBe(true);
    view.setUint32(16, Number((b - k(4)) & M32), true);
    const y = nh(key, message.subarray(0, 1024), 0);
    expect(y >= (1n << 64n) - (1n << 32n)).toBe(true);
    expect(toHex(kernelUhash(key, message))).toBe(toHex(referenceUhash(key, message)));
  });

  it('reads no byte past the message, even at the very end of the memory', () => {
    const key = randomBytes(UHASH_KEY_BYTES);
    const memory = sharedMemory(2);
    const uhash = new Uhash(key, memory);
    const end = memory.buffer.byteLength;
    for (const length of [0, 1, 7, 15, 17, 31, 33, 100]) {
      const message = randomBytes(length);
      new Uint8Array(memory.buffer).set(message, end - length);
      const out = new Uint8Array(16);
      uhash.digest(end - length, length, out);
      expect(toHex(out)).toBe(toHex(referenceUhash(key, message)));
    }
    uhash.destroy();
  });
});

describe('fold over a batch', () => {
  it('XORs each Ok entry’s UHASH of [24, length) into bytes [8, 24); bad entries are DropMalformed', () => {
    const key = randomBytes(UHASH_KEY_BYTES);
    const memory = sharedMemory(8);
    const uhash = new Uhash(key, memory);
    const table = BatchTable.of(memory);
    const bytes = new Uint8Array(memory.buffer);
    const count = 12;
    const batch: PacketBatch = {
      memory,
      count,
      offsets: new Uint32Array(count),
      lengths: new Uint32Array(count),
      status: new Uint8Array(count),
    };
    const originals: Uint8Array[] = [];
    let at = 1 << 16;
    for (let i = 0; i < count; i++) {
      const packet = randomBytes(i === 2 ? 10 : 24 + Math.floor(Math.random() * 3000));
      bytes.set(packet, at);
      originals.push(Uint8Array.from(packet));
      batch.offsets[i] = at;
      batch.lengths[i] = packet.length;
      at += packet.length + 5;
    }
    batch.status[5] = PacketStatus.DropHeader;
    batch.offsets[7] = memory.buffer.byteLength - 30;
    batch.lengths[7] = 60;
    table.load(batch);
    uhash.foldBatch(table, 8, 24);
    table.storeStatus(batch);
    for (let i = 0; i < count; i++) {
      if (i === 2 || i === 7) {
        expect(batch.status[i]).toBe(PacketStatus.DropMalformed);
        continue;
      }
      const got = bytes.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]);
      const want = Uint8Array.from(originals[i]);
      if (i !== 5) want.set(xor(want.subarray(8, 24), referenceUhash(key, want.subarray(24))), 8);
      expect(toHex(got), `entry ${i}`).toBe(toHex(want));
      expect(batch.status[i]).toBe(i === 5 ? PacketStatus.DropHeader : PacketStatus.Ok);
    }
    uhash.destroy();
  });
});

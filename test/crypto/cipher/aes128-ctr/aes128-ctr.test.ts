import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { BatchTable } from '../../../../src/crypto/batch-table.js';
import { getCipher, TO_PACKET_END } from '../../../../src/crypto/cipher/index.js';
import { PacketStatus } from '../../../../src/crypto/methods/provider.js';
import { batchOf, hex, sharedMemory, toHex } from '../../../helpers/packet-memory.js';

const memory = sharedMemory();
const aes = getCipher('aes128-ctr');

// NIST SP 800-38A, F.5.1 CTR-AES128.Encrypt (F.5.2 decrypts the same data back).
const SP800_38A = {
  key: '2b7e151628aed2a6abf7158809cf4f3c',
  counter: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  plaintext:
    '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
  ciphertext:
    '874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff 5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee',
};

/** fastd's IV for a packet nonce: nonce, zeros, last byte 1. */
function fastdIv(nonce: Uint8Array): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(nonce);
  iv[15] = 1;
  return iv;
}

/** Lays packets out (8-byte header with nonce, then data) and returns their batch. */
function packets(datas: Uint8Array[], nonces: Uint8Array[]) {
  const bytes = new Uint8Array(memory.buffer);
  const entries = datas.map((data, i) => {
    const at = 4096 + 10_240 * i + 3; // deliberately unaligned
    bytes.fill(0, at, at + 8);
    bytes.set(nonces[i], at + 2);
    bytes.set(data, at + 8);
    return [at, 8 + data.length] as const;
  });
  return batchOf(memory, entries);
}

describe('aes128-ctr', () => {
  it('produces the SP 800-38A F.5.1 keystream for an explicit counter block', () => {
    const key = aes.createKey(hex(SP800_38A.key), memory);
    const plaintext = hex(SP800_38A.plaintext);
    const keystream = new Uint8Array(plaintext.length);
    key.keystream(hex(SP800_38A.counter), keystream);
    expect(toHex(keystream.map((k, i) => k ^ plaintext[i]))).toBe(SP800_38A.ciphertext.replace(/ /g, ''));
    key.destroy();
  });

  it('encrypts every packet of a batch in place as OpenSSL CTR with fastd’s IV, any length and skip', () => {
    const keyBytes = randomBytes(16);
    const key = aes.createKey(keyBytes, memory);
    const lengths = [0, 1, 15, 16, 17, 31, 32, 33, 100, 1400, 1500, 9000];
    for (const skip of [0, 16, 32]) {
      const datas = lengths.map((n) => new Uint8Array(randomBytes(n)));
      const nonces = lengths.map(() => new Uint8Array(randomBytes(6)));
      const batch = packets(datas, nonces);
      batch.status[3] = PacketStatus.DropHeader; // must be left alone
      const table = BatchTable.of(memory);
      table.load(batch);
      key.crypt(table, 8, TO_PACKET_END, skip, false);
      const bytes = table.bytes();
      datas.forEach((data, i) => {
        const got = bytes.slice(batch.offsets[i] + 8, batch.offsets[i] + 8 + data.length);
        if (i === 3) return expect(toHex(got)).toBe(toHex(data));
        const stream = createCipheriv('aes-128-ctr', keyBytes, fastdIv(nonces[i])).update(new Uint8Array(skip + data.length));
        expect(toHex(got)).toBe(toHex(data.map((b, j) => b ^ stream[skip + j])));
      });
    }
    key.destroy();
  });

  it('limits the region to maxLength and verifies the first block before touching anything', () => {
    const keyBytes = randomBytes(16);
    const key = aes.createKey(keyBytes, memory);
    const nonces = [0, 1, 2].map(() => new Uint8Array(randomBytes(6)));
    const streams = nonces.map((n) => createCipheriv('aes-128-ctr', keyBytes, fastdIv(n)).update(new Uint8Array(64)));
    // packets 0 and 2 carry the keystream's first block (XOR gives zero), packet 1 does not
    const datas = streams.map((s, i) => {
      const data = new Uint8Array(randomBytes(48));
      data.set(s.subarray(0, 16));
      if (i === 1) data[5] ^= 0x40;
      return data;
    });
    const batch = packets(datas, nonces);
    const table = BatchTable.of(memory);
    table.load(batch);
    key.crypt(table, 8, TO_PACKET_END, 0, true);
    table.storeStatus(batch);
    expect(Array.from(batch.status)).toEqual([PacketStatus.Ok, PacketStatus.DropAuth, PacketStatus.Ok]);
    const bytes = table.bytes();
    const region = (i: number) => bytes.slice(batch.offsets[i] + 8, batch.offsets[i] + 56);
    expect(toHex(region(0))).toBe(toHex(datas[0].map((b, j) => b ^ streams[0][j])));
    expect(toHex(region(1))).toBe(toHex(datas[1]));
    // maxLength 16: only the first block changes
    const again = packets([datas[2]], [nonces[2]]);
    table.load(again);
    key.crypt(table, 8, 16, 0, false);
    const after = table.bytes().slice(again.offsets[0] + 8, again.offsets[0] + 56);
    expect(after.subarray(0, 16).every((b) => b === 0)).toBe(true);
    expect(toHex(after.subarray(16))).toBe(toHex(datas[2].subarray(16)));
    key.destroy();
  });
});

describe('aes128-ctr loading', () => {
  it('does not import node:crypto until a key is made (a datapath worker imports every cipher)', async () => {
    vi.resetModules();
    vi.doMock('node:crypto', () => {
      throw new Error('node:crypto imported');
    });
    try {
      await expect(import('../../../../src/crypto/cipher/aes128-ctr/aes128-ctr.js')).resolves.toBeDefined();
    } finally {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    }
  });
});

// The Salsa20 and Salsa20/12 kernels against the eSTREAM (ECRYPT) verified test vectors and
// against libsodium: sodium-native's crypto_stream_salsa20_xor_ic and Debian libsodium23's
// crypto_stream_salsa2012_xor (through koffi).
import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchTable } from '../../../../src/crypto/batch-table.js';
import {
  SALSA20_ROUNDS,
  SALSA2012_ROUNDS,
  salsa20Cipher,
  salsa2012Cipher,
  salsaKernel,
} from '../../../../src/crypto/cipher/salsa20/salsa20.js';
import { PacketStatus, type PacketBatch } from '../../../../src/crypto/methods/provider.js';
import { requireSystem } from '../../../helpers/prereq.js';
import { buildKernels } from './kernels.js';
import { haveLibsodium23, salsa2012Xor } from './libsodium23.js';
import { hex, sharedMemory, toHex } from '../../../helpers/packet-memory.js';

beforeAll(buildKernels);

const KEY_AT = 1024;
const DATA_AT = 4096;

function wordLE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** Keystream bytes [64*counter, 64*counter + length) straight from the kernel. */
function kernelKeystream(rounds: number, key: Uint8Array, iv: Uint8Array, length: number, counter = 0): Uint8Array {
  const memory = sharedMemory(4);
  const bytes = new Uint8Array(memory.buffer);
  bytes.set(key, KEY_AT);
  const ok = salsaKernel(memory).stream(
    rounds,
    KEY_AT,
    wordLE(iv, 0),
    wordLE(iv, 4),
    counter,
    0,
    DATA_AT,
    length,
    0,
    0,
  );
  expect(ok).toBe(1);
  return bytes.slice(DATA_AT, DATA_AT + length);
}

describe('Salsa20 (20 rounds), eSTREAM verified test vectors, 256-bit keys', () => {
  it('Set 1, vector 0: stream[0..63]', () => {
    const key = hex('80'.padEnd(64, '0'));
    expect(toHex(kernelKeystream(SALSA20_ROUNDS, key, new Uint8Array(8), 64))).toBe(
      'e3be8fdd8beca2e3ea8ef9475b29a6e7003951e1097a5c38d23b7a5fad9f6844' +
        'b22c97559e2723c7cbbd3fe4fc8d9a0744652a83e72a9c461876af4d7ef1a117',
    );
  });

  const set6Key = hex('0053A6F94C9FF24598EB3E91E4378ADD3083D6297CCF2275C81B6EC11467BA0D');
  const set6Iv = hex('0D74DB42A91077DE');
  const set6 = {
    0: 'F5FAD53F79F9DF58C4AEA0D0ED9A9601F278112CA7180D565B420A48019670EAF24CE493A86263F677B46ACE1924773D2BB25571E1AA8593758FC382B1280B71',
    65472:
      'B70C50139C63332EF6E77AC54338A4079B82BEC9F9A403DFEA821B83F7860791650EF1B2489D0590B1DE772EEDA4E3BCD60FA7CE9CD623D9D2FD5758B8653E70',
    65536:
      '81582C65D7562B80AEC2F1A673A9D01C9F892A23D4919F6AB47B9154E08E699B4117D7C666477B60F8391481682F5D95D96623DBC489D88DAA6956B9F0646B6E',
  };

  it('Set 6, vector 0: stream[0..63], [65472..65535], [65536..65599] in one long stream', () => {
    const stream = kernelKeystream(SALSA20_ROUNDS, set6Key, set6Iv, 65600);
    for (const [at, expected] of Object.entries(set6)) {
      expect(toHex(stream.subarray(Number(at), Number(at) + 64))).toBe(expected.toLowerCase());
    }
  });

  it('Set 6, vector 0: the same bytes when starting at block counter 1023', () => {
    const stream = kernelKeystream(SALSA20_ROUNDS, set6Key, set6Iv, 128, 1023);
    expect(toHex(stream)).toBe((set6[65472] + set6[65536]).toLowerCase());
  });

  it('key 48494A…67, IV 0: blocks 0, 3, 4, 7 and the XOR of all eight blocks', () => {
    const key = hex('48494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F6061626364656667');
    const stream = kernelKeystream(SALSA20_ROUNDS, key, new Uint8Array(8), 512);
    const blocks = [0, 3, 4, 7].map((n) => toHex(stream.subarray(64 * n, 64 * n + 64))).join('');
    expect(blocks).toBe(
      (
        '53AD3698A011F779AD71030F3EFBEBA0A7EE3C55789681B1591EF33A7BE521ED68FC36E58F53FFD6E1369B00E390E973F656ACB097E0D603BE59A0B8F7975B98' +
        'A04698274C6AC6EC03F66ED3F94C08B79FFDBF2A1610E6F5814905E73AD6D0D28164EEB8450D8ED0BB4B644761B4351252DD5DDF00C31E3DABA0BC17691CCFDC' +
        'B826C7F071E796D34E3BFFB3C96E76A1209388392806947C7F19B86D379FA3AEDFCD19EBF49803DACC6E577E5B97B0F6D2036B6624D8196C96FCF02C865D30C1' +
        'B505D41E2C207FA1C0A0E93413DDCFFC9BECA8030AFFAC2466E56482DA0EF428E63880B5021D3051F18679505A2B9D4F9B2C5A2D271D276DE3F51DBEBA934436'
      ).toLowerCase(),
    );
    const digest = new Uint8Array(64);
    for (let i = 0; i < 512; i++) digest[i % 64] ^= stream[i];
    expect(toHex(digest)).toBe(
      '7849651A820B1CDFE36D5D6632716534E0635EDEFD538122D80870B60FB055DB637C7CA2B78B116F83AFF46E40F8F71D4CD6D2E1B750D5E011D1DF2E80F7210A'.toLowerCase(),
    );
  });
});

describe('Salsa20/12, eSTREAM verified test vectors, 256-bit keys', () => {
  it('Set 1, vector 0: stream[0..63]', () => {
    const key = hex('80'.padEnd(64, '0'));
    expect(toHex(kernelKeystream(SALSA2012_ROUNDS, key, new Uint8Array(8), 64))).toBe(
      'afe411ed1c4e07e4d0cde3b33e31ec190fa4cc796a58bafb848ead8d07d02cd2' +
        'd4b6f9f30cb0b57007e3733895cc8d1060107975acaeeb689b6cf614ab64a3d6',
    );
  });

  it('Set 6, vector 0: stream[0..7]', () => {
    const key = hex('0053A6F94C9FF24598EB3E91E4378ADD3083D6297CCF2275C81B6EC11467BA0D');
    expect(toHex(kernelKeystream(SALSA2012_ROUNDS, key, hex('0D74DB42A91077DE'), 8))).toBe('52e20cf8775ae882');
  });
});

type Reference = (out: Uint8Array, input: Uint8Array, iv: Uint8Array, counter: number, key: Uint8Array) => void;

const sodiumSalsa20: Reference = (out, input, iv, counter, key) =>
  sodium.crypto_stream_salsa20_xor_ic(Buffer.from(out.buffer, out.byteOffset, out.length), Buffer.from(input), Buffer.from(iv), counter, Buffer.from(key));

/** libsodium23's Salsa20/12, which starts at block 0. */
const libsodium23Salsa2012: Reference = (out, input, iv, counter, key) => {
  expect(counter).toBe(0);
  salsa2012Xor(out, input, iv, key);
};

/** XORs random data of random length at a random (unaligned) place and compares with `reference`. */
function crossCheck(rounds: number, reference: Reference, useCounter: boolean): void {
  const memory = sharedMemory(4);
  const bytes = new Uint8Array(memory.buffer);
  const kernel = salsaKernel(memory);
  for (let trial = 0; trial < 120; trial++) {
    const length = trial < 20 ? trial * 7 : Math.floor(Math.random() * 9001);
    const at = DATA_AT + Math.floor(Math.random() * 4096);
    const key = randomBytes(32);
    const iv = randomBytes(8);
    const counter = useCounter ? Math.floor(Math.random() * 2 ** 32) : 0;
    const plain = randomBytes(length);
    bytes.set(key, KEY_AT);
    const guard = randomBytes(length + 64);
    bytes.set(guard, at - 32);
    bytes.set(plain, at);
    expect(kernel.stream(rounds, KEY_AT, wordLE(iv, 0), wordLE(iv, 4), counter >>> 0, 0, at, length, 0, 0)).toBe(1);
    const expected = new Uint8Array(length);
    reference(expected, plain, iv, counter, key);
    expect(toHex(bytes.subarray(at, at + length))).toBe(toHex(expected));
    // Nothing around the region was touched.
    expect(toHex(bytes.subarray(at - 32, at))).toBe(toHex(guard.subarray(0, 32)));
    expect(toHex(bytes.subarray(at + length, at + length + 32))).toBe(toHex(guard.subarray(length + 32, length + 64)));
  }
}

describe('cross-checks, random lengths 0..9000 at random alignments', () => {
  it('Salsa20 equals sodium-native crypto_stream_salsa20_xor_ic (random block counters)', () => {
    crossCheck(SALSA20_ROUNDS, sodiumSalsa20, true);
  });

  it('the 64-bit block counter carries from the low into the high word (four-block and one-block paths)', () => {
    const key = randomBytes(32);
    const iv = randomBytes(8);
    const memory = sharedMemory(2);
    const bytes = new Uint8Array(memory.buffer);
    bytes.set(key, KEY_AT);
    // Blocks 2^32 - 2 .. 2^32 + 1 in one group of four, then block 2^32 + 2 alone.
    salsaKernel(memory).stream(SALSA20_ROUNDS, KEY_AT, wordLE(iv, 0), wordLE(iv, 4), 0xffff_fffe, 0, DATA_AT, 320, 0, 0);
    const expected = new Uint8Array(320);
    sodiumSalsa20(expected, new Uint8Array(320), iv, 2 ** 32 - 2, key);
    expect(toHex(bytes.subarray(DATA_AT, DATA_AT + 320))).toBe(toHex(expected));
  });

  const ok = requireSystem('Salsa20/12 cross-check against libsodium23', { libsodium23: haveLibsodium23 });
  it.runIf(ok)('Salsa20/12 equals libsodium23 crypto_stream_salsa2012_xor', () => {
    crossCheck(SALSA2012_ROUNDS, libsodium23Salsa2012, false);
  });
});

describe('batch crypt (KeyedCipher over a BatchTable)', () => {
  const HEADER = 8;

  function makeBatch(memory: WebAssembly.Memory, count: number): PacketBatch {
    return { memory, count, offsets: new Uint32Array(count), lengths: new Uint32Array(count), status: new Uint8Array(count) };
  }

  /** Packets with random header nonces and bodies, spaced apart at random alignments. */
  function fillPackets(memory: WebAssembly.Memory, batch: PacketBatch, maxLength: number): Uint8Array[] {
    const bytes = new Uint8Array(memory.buffer);
    const originals: Uint8Array[] = [];
    let at = 65536 + 7;
    for (let i = 0; i < batch.count; i++) {
      const length = Math.floor(Math.random() * maxLength);
      const packet = randomBytes(length);
      bytes.set(packet, at);
      batch.offsets[i] = at;
      batch.lengths[i] = length;
      batch.status[i] = PacketStatus.Ok;
      originals.push(Uint8Array.from(packet));
      at += length + 64 + Math.floor(Math.random() * 16);
    }
    return originals;
  }

  function expectedRegion(packet: Uint8Array, key: Uint8Array, start: number, max: number, ksOffset: number): Uint8Array {
    const out = Uint8Array.from(packet);
    if (packet.length < HEADER) return out;
    const iv = new Uint8Array(8);
    iv.set(packet.subarray(2, 8));
    iv[7] = 1;
    const end = Math.min(packet.length, start + max);
    if (end <= start) return out;
    const stream = new Uint8Array(ksOffset + end - start);
    sodiumSalsa20(stream, new Uint8Array(stream.length), iv, 0, key);
    for (let j = start; j < end; j++) out[j] ^= stream[ksOffset + j - start];
    return out;
  }

  for (const [start, max, ksOffset] of [
    [8, Infinity, 0],
    [24, Infinity, 32],
    [8, 16, 0],
    [24, Infinity, 16],
    [24, 100, 48],
    [8, Infinity, 64 + 16],
  ]) {
    it(`XORs keystream from byte ${ksOffset} into [${start}, +${max}) of every Ok entry, IV from the header`, () => {
      const memory = sharedMemory(8);
      const batch = makeBatch(memory, 40);
      const originals = fillPackets(memory, batch, 1600);
      batch.status[3] = PacketStatus.DropHeader;
      const key = randomBytes(32);
      const cipher = salsa20Cipher.createKey(key, memory);
      const table = BatchTable.of(memory);
      table.load(batch);
      cipher.crypt(table, start, max, ksOffset, false);
      table.storeStatus(batch);
      const bytes = new Uint8Array(memory.buffer);
      for (let i = 0; i < batch.count; i++) {
        const got = bytes.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]);
        const want = i === 3 ? originals[i] : expectedRegion(originals[i], key, start, max, ksOffset);
        expect(toHex(got), `entry ${i}`).toBe(toHex(want));
        expect(batch.status[i]).toBe(i === 3 ? PacketStatus.DropHeader : PacketStatus.Ok);
      }
      cipher.destroy();
    });
  }

  it.each([0, 16, 32, 48, 64, 112])('verify from keystream byte %i: a matching first chunk decrypts the rest; any other is DropAuth and leaves the packet alone', (ksOffset) => {
    const memory = sharedMemory(8);
    const batch = makeBatch(memory, 10);
    const key = randomBytes(32);
    const originals = fillPackets(memory, batch, 1500);
    const bytes = new Uint8Array(memory.buffer);
    for (let i = 0; i < batch.count; i++) {
      if (batch.lengths[i] < 24) batch.lengths[i] = 24 + i;
      originals[i] = Uint8Array.from(bytes.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]));
      // Put the keystream's first chunk into bytes 8..24, as a MAC folding in a correct tag would.
      const iv = Uint8Array.of(...originals[i].subarray(2, 8), 0, 1);
      const pad = kernelKeystream(SALSA2012_ROUNDS, key, iv, ksOffset + 16).subarray(ksOffset);
      const corrupt = i % 3 === 1;
      for (let j = 0; j < 16; j++) bytes[batch.offsets[i] + 8 + j] = pad[j] ^ (corrupt && j === i % 16 ? 0x40 : 0);
      originals[i].set(bytes.subarray(batch.offsets[i] + 8, batch.offsets[i] + 24), 8);
    }
    const cipher = salsa2012Cipher.createKey(key, memory);
    const table = BatchTable.of(memory);
    table.load(batch);
    cipher.crypt(table, 8, Infinity, ksOffset, true);
    table.storeStatus(batch);
    for (let i = 0; i < batch.count; i++) {
      const got = bytes.subarray(batch.offsets[i], batch.offsets[i] + batch.lengths[i]);
      if (i % 3 === 1) {
        expect(batch.status[i]).toBe(PacketStatus.DropAuth);
        expect(toHex(got)).toBe(toHex(originals[i]));
      } else {
        expect(batch.status[i]).toBe(PacketStatus.Ok);
        // Header and tag block unchanged; the payload decrypted with the keystream after the checked chunk.
        expect(toHex(got.subarray(0, 24))).toBe(toHex(originals[i].subarray(0, 24)));
        const iv = Uint8Array.of(...originals[i].subarray(2, 8), 0, 1);
        const salsa2012 = kernelKeystream(SALSA2012_ROUNDS, key, iv, ksOffset + got.length - 8);
        const want = originals[i].subarray(24).map((b, j) => b ^ salsa2012[ksOffset + 16 + j]);
        expect(toHex(got.subarray(24))).toBe(toHex(want));
      }
    }
  });

  it('bad entries: past the memory or too short to verify are DropMalformed, nothing throws', () => {
    const memory = sharedMemory(2);
    const batch = makeBatch(memory, 4);
    const cipher = salsa20Cipher.createKey(randomBytes(32), memory);
    const table = BatchTable.of(memory);
    batch.offsets.set([memory.buffer.byteLength - 10, 0xffff_fff0, 100, 200]);
    batch.lengths.set([100, 100, 20, 0]);
    table.load(batch);
    expect(() => cipher.crypt(table, 8, Infinity, 0, true)).not.toThrow();
    table.storeStatus(batch);
    expect([...batch.status]).toEqual([
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
      PacketStatus.DropMalformed,
    ]);
  });

  it('keystream(iv) for session setup equals the stream of that IV', () => {
    const memory = sharedMemory(2);
    const key = randomBytes(32);
    const iv = randomBytes(8);
    const cipher = salsa20Cipher.createKey(key, memory);
    const out = new Uint8Array(100);
    cipher.keystream(iv, out);
    const expected = new Uint8Array(100);
    sodiumSalsa20(expected, new Uint8Array(100), iv, 0, key);
    expect(toHex(out)).toBe(toHex(expected));
    cipher.destroy();
  });
});

import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { describe, expect, it } from 'vitest';
import { BatchTable } from '../../../../src/crypto/batch-table.js';
import { poly1305Batch } from '../../../../src/crypto/mac/poly1305/poly1305.js';
import { PacketStatus } from '../../../../src/crypto/methods/provider.js';
import { batchOf, hex, sharedMemory, toHex } from '../../../helpers/packet-memory.js';

// RFC 8439 section 2.5.2, and NaCl's crypto_onetimeauth test (tests/onetimeauth.c: the
// Poly1305 key and tag of the crypto_secretbox example).
const VECTORS = [
  {
    key: '85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b',
    message: Buffer.from('Cryptographic Forum Research Group').toString('hex'),
    tag: 'a8061dc1305136c6c22b8baf0c0127a9',
  },
  {
    key: 'eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880',
    message:
      '8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a' +
      'c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738' +
      'b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da' +
      '99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74' +
      'e355a5',
    tag: 'f3ffc7703f9400e52a7dfb4b3d3305d9',
  },
];

const memory = sharedMemory();
const KEYS = 4096;
const PACKETS = 8192;

/** Lays out one "packet" per vector: 16-byte tag block then the message; keys in a row at KEYS. */
function layout(tags: string[]) {
  const bytes = new Uint8Array(memory.buffer);
  let at = PACKETS;
  const entries = VECTORS.map((v, i) => {
    bytes.set(hex(v.key), KEYS + 32 * i);
    const message = hex(v.message);
    bytes.set(hex(tags[i]), at);
    bytes.set(message, at + 16);
    const entry = [at, 16 + message.length] as const;
    at += 512;
    return entry;
  });
  const batch = batchOf(memory, entries);
  const table = BatchTable.of(memory);
  table.load(batch);
  return { batch, table, bytes };
}

describe('Poly1305 kernel over a batch', () => {
  it('writes the RFC 8439 and NaCl tags', () => {
    const { batch, table, bytes } = layout(VECTORS.map(() => '00'.repeat(16)));
    poly1305Batch(table, KEYS, 32, 0, 16, false);
    VECTORS.forEach((v, i) => expect(toHex(bytes.slice(batch.offsets[i], batch.offsets[i] + 16))).toBe(v.tag));
  });

  it('accepts the right tags and drops a wrong one without touching it', () => {
    const wrong = VECTORS[1].tag.slice(0, 31) + (VECTORS[1].tag[31] === '0' ? '1' : '0');
    const { batch, table, bytes } = layout([VECTORS[0].tag, wrong]);
    poly1305Batch(table, KEYS, 32, 0, 16, true);
    table.storeStatus(batch);
    expect(Array.from(batch.status)).toEqual([PacketStatus.Ok, PacketStatus.DropAuth]);
    expect(toHex(bytes.slice(batch.offsets[1], batch.offsets[1] + 16))).toBe(wrong);
  });

  it('agrees with libsodium for every length 0..300 and some large ones, keys of all shapes', () => {
    const lengths = [...Array(301).keys(), 1400, 1500, 9000];
    const bytes = new Uint8Array(memory.buffer);
    const keys: Uint8Array[] = [];
    const messages: Uint8Array[] = [];
    let at = 65_536;
    const entries = lengths.map((length, i) => {
      // some keys all ones: r and s at their extremes exercise the carries and final reduction
      const key = i % 7 === 0 ? new Uint8Array(32).fill(0xff) : new Uint8Array(randomBytes(32));
      const message = i % 11 === 0 ? new Uint8Array(length).fill(0xff) : new Uint8Array(randomBytes(length));
      keys.push(key);
      messages.push(message);
      bytes.set(key, KEYS + 32 * (i % 64));
      bytes.fill(0, at, at + 16);
      bytes.set(message, at + 16);
      const entry = [at, 16 + length] as const;
      at += 16 + length + 5;
      return entry;
    });
    for (let first = 0; first < lengths.length; first += 64) {
      const chunk = entries.slice(first, first + 64);
      chunk.forEach((_, j) => bytes.set(keys[first + j], KEYS + 32 * j));
      const table = BatchTable.of(memory);
      table.load(batchOf(memory, chunk));
      poly1305Batch(table, KEYS, 32, 0, 16, false);
      chunk.forEach(([offset], j) => {
        const expected = new Uint8Array(16);
        sodium.crypto_onetimeauth(expected, messages[first + j], keys[first + j]);
        expect(toHex(bytes.slice(offset, offset + 16)), `length ${lengths[first + j]}`).toBe(toHex(expected));
      });
    }
  });
});

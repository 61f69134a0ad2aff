// Poly1305 (RFC 8439 section 2.5) as fastd's generic-poly1305 uses it, through libsodium's
// crypto_onetimeauth (NaCl's poly1305, the very function fastd calls). One native call per
// packet: the views handed to libsodium are the only per-packet allocation of the method.
import { createRequire } from 'node:module';
import type { BatchTable } from '../../batch-table.js';
import { PacketStatus } from '../../methods/provider.js';

type Bytes = Uint8Array<ArrayBufferLike>;

interface SodiumPoly1305 {
  crypto_onetimeauth(out: Bytes, input: Bytes, key: Bytes): void;
  crypto_onetimeauth_verify(tag: Bytes, input: Bytes, key: Bytes): boolean;
}
const sodium = createRequire(import.meta.url)('sodium-native') as SodiumPoly1305;

export const POLY1305_KEYBYTES = 32;
export const POLY1305_TAGBYTES = 16;

/**
 * For every Ok entry i of the table, with its one-time key at keys + i * keyStride:
 * authenticates packet bytes [dataOffset, length). Without `verify` the tag is written at
 * tagOffset; with it, the tag at tagOffset is checked and a mismatch sets DropAuth.
 */
export function poly1305Batch(
  table: BatchTable,
  keys: number,
  keyStride: number,
  tagOffset: number,
  dataOffset: number,
  verify: boolean,
): void {
  const buffer = table.bytes().buffer;
  for (let i = 0; i < table.count; i++) {
    if (table.statusAt(i) !== PacketStatus.Ok) continue;
    const at = table.offsetAt(i);
    const tag = new Uint8Array(buffer, at + tagOffset, POLY1305_TAGBYTES);
    const data = new Uint8Array(buffer, at + dataOffset, table.lengthAt(i) - dataOffset);
    const key = new Uint8Array(buffer, keys + i * keyStride, POLY1305_KEYBYTES);
    if (!verify) sodium.crypto_onetimeauth(tag, data, key);
    else if (!sodium.crypto_onetimeauth_verify(tag, data, key)) table.setStatus(i, PacketStatus.DropAuth);
  }
}

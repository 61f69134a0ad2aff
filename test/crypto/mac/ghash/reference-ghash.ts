// GHASH straight from NIST SP 800-38D (Algorithm 1, bit by bit on BigInts): slow and
// obviously right, to check the table-driven kernel against.
import { hex, toHex } from '../../../helpers/packet-memory.js';

/** SP 800-38D Algorithm 1 (bitwise), with the length block placed as the kernel is told to. */
export function referenceGhash(h: Uint8Array, message: Uint8Array, lengthInHighHalf: boolean): Uint8Array {
  const toInt = (b: Uint8Array) => BigInt('0x' + (toHex(b) || '0'));
  const R = 0xe1n << 120n;
  const mul = (x: bigint, y: bigint) => {
    let z = 0n;
    let v = y;
    for (let i = 127n; i >= 0n; i--) {
      if ((x >> i) & 1n) z ^= v;
      v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
    }
    return z;
  };
  const H = toInt(h);
  let y = 0n;
  for (let i = 0; i < message.length; i += 16) {
    const block = new Uint8Array(16);
    block.set(message.subarray(i, i + 16));
    y = mul(y ^ toInt(block), H);
  }
  const bits = BigInt(message.length * 8);
  y = mul(y ^ (lengthInHighHalf ? bits << 64n : bits), H);
  return hex(y.toString(16).padStart(32, '0'));
}


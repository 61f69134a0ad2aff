// Little-endian byte strings <-> BigInt, for reference computations in the tests.
import { randomBytes } from 'node:crypto';

export function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

export function fromBigInt(value: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

export function random32(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}


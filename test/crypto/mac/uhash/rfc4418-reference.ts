// RFC 4418 section 5 (UHASH-128, four iterations) transcribed plainly with BigInt, as an
// independent reference for the kernel and for whole umac packets. Takes fastd's key layout:
// L1Key (1072) | L2Key (96) | L3Key1 (256) | L3Key2 (16).
const ITERATIONS = 4;

const P36 = (1n << 36n) - 5n;
const P64 = (1n << 64n) - 59n;
export const M32 = (1n << 32n) - 1n;
export const M64 = (1n << 64n) - 1n;

function be(bytes: Uint8Array, at: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

function le32(bytes: Uint8Array, at: number): bigint {
  return BigInt((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0);
}

export function nh(l1key: Uint8Array, message: Uint8Array, keyAt: number): bigint {
  const padded = new Uint8Array(Math.max(32, Math.ceil(message.length / 32) * 32));
  padded.set(message);
  let y = 0n;
  for (let i = 0; i < padded.length; i += 32) {
    for (let t = 0; t < 4; t++) {
      const a = (le32(padded, i + 4 * t) + be(l1key, keyAt + i + 4 * t, 4)) & M32;
      const b = (le32(padded, i + 16 + 4 * t) + be(l1key, keyAt + i + 16 + 4 * t, 4)) & M32;
      y = (y + a * b) & M64;
    }
  }
  return (y + BigInt(message.length * 8)) & M64;
}

function poly64(k: bigint, words: bigint[]): bigint {
  let y = 1n;
  for (const m of words) {
    if (m >= (1n << 64n) - (1n << 32n)) {
      y = (k * y + (P64 - 1n)) % P64;
      y = (k * y + (m - 59n)) % P64;
    } else {
      y = (k * y + m) % P64;
    }
  }
  return y;
}

/** The L1-HASH outputs of each iteration (RFC 5.2.1). */
function l1(key: Uint8Array, message: Uint8Array): bigint[][] {
  const blocks: bigint[][] = [];
  for (let i = 0; i === 0 || i < message.length; i += 1024) {
    const block = message.subarray(i, i + 1024);
    blocks.push(Array.from({ length: ITERATIONS }, (_, j) => nh(key, block, 16 * j)));
  }
  return blocks;
}

export function referenceUhash(key: Uint8Array, message: Uint8Array): Uint8Array {
  const l2key = key.subarray(1072);
  const l3key1 = key.subarray(1072 + 96);
  const l3key2 = key.subarray(1072 + 96 + 256);
  const blocks = l1(key, message);
  const out = new Uint8Array(16);
  for (let j = 0; j < ITERATIONS; j++) {
    const k64 = be(l2key, 24 * j, 8) & 0x01ffffff01ffffffn;
    const y = blocks.length === 1 ? blocks[0][j] : poly64(k64, blocks.map((b) => b[j]));
    let sum = 0n;
    for (let w = 0; w < 8; w++) {
      const m = w < 4 ? 0n : (y >> BigInt(16 * (7 - w))) & 0xffffn;
      sum += m * (be(l3key1, 64 * j + 8 * w, 8) % P36);
    }
    const word = Number(((sum % P36) & M32) ^ be(l3key2, 4 * j, 4));
    new DataView(out.buffer).setUint32(4 * j, word >>> 0);
  }
  return out;
}


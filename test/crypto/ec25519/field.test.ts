import { describe, expect, it } from 'vitest';
import {
  FIELD_PRIME as P,
  feAdd,
  feEqual,
  feFromBigInt,
  feFromBytes,
  feMul,
  feMulSmall,
  feNegate,
  feNew,
  feParity,
  feSqrtRatio,
  feSub,
  feToBytes,
  type Fe,
} from '../../../src/crypto/ec25519/field.ts';
import { fromBigInt, random32, toBigInt } from './bigint.ts';

function value(a: Fe): bigint {
  const bytes = new Uint8Array(32);
  feToBytes(bytes, 0, a);
  return toBigInt(bytes);
}

function randomElement(): bigint {
  return toBigInt(random32()) % P;
}

const mod = (n: bigint) => ((n % P) + P) % P;

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
}

const isSquare = (n: bigint) => n === 0n || modPow(n, (P - 1n) / 2n) === 1n;

describe('field arithmetic modulo 2^255 - 19', () => {
  const samples = [0n, 1n, 2n, 19n, P - 1n, P - 2n, (1n << 255n) - 20n, ...Array.from({ length: 40 }, randomElement)];

  it('adds, subtracts, multiplies and negates like BigInt arithmetic', () => {
    const out = feNew();
    for (let i = 0; i < samples.length; i++) {
      const a = samples[i];
      const b = samples[(i * 7 + 3) % samples.length];
      feAdd(out, feFromBigInt(a), feFromBigInt(b));
      expect(value(out)).toBe(mod(a + b));
      feSub(out, feFromBigInt(a), feFromBigInt(b));
      expect(value(out)).toBe(mod(a - b));
      feMul(out, feFromBigInt(a), feFromBigInt(b));
      expect(value(out)).toBe(mod(a * b));
      feNegate(out, feFromBigInt(a));
      expect(value(out)).toBe(mod(-a));
    }
  });

  it('multiplies by small integers like BigInt arithmetic, also after a partly reduced product', () => {
    const out = feNew();
    for (const k of [0, 1, 38, 486660, 486664, (1 << 21) - 1]) {
      for (const a of samples) {
        feMulSmall(out, feFromBigInt(a), k);
        expect(value(out)).toBe(mod(a * BigInt(k)));
        const squared = feFromBigInt(a);
        feMul(squared, squared, squared);
        feMulSmall(out, squared, k);
        feMul(out, out, out);
        expect(value(out)).toBe(mod((a * a * BigInt(k)) ** 2n));
      }
    }
  });

  it('keeps exact results through long chains of operations', () => {
    const acc = feFromBigInt(3n);
    let reference = 3n;
    const factor = randomElement();
    for (let i = 0; i < 500; i++) {
      feMul(acc, acc, feFromBigInt(factor));
      feSub(acc, acc, feFromBigInt(P - 1n));
      reference = mod(reference * factor - (P - 1n));
    }
    expect(value(acc)).toBe(reference);
  });

  it('finds square roots of ratios exactly when they exist', () => {
    const root = feNew();
    let squares = 0;
    for (let i = 0; i < 40; i++) {
      const u = randomElement();
      const v = randomElement() || 1n;
      const ratio = mod(u * modPow(v, P - 2n));
      const found = feSqrtRatio(root, feFromBigInt(u), feFromBigInt(v));
      expect(found === 1).toBe(isSquare(ratio));
      if (found) {
        squares++;
        expect(mod(value(root) * value(root))).toBe(ratio);
      }
    }
    expect(squares).toBeGreaterThan(5);
    expect(feSqrtRatio(root, feFromBigInt(0n), feFromBigInt(5n))).toBe(1);
    expect(value(root)).toBe(0n);
  });

  it('takes the root of -1 (the case that needs sqrt(-1))', () => {
    const root = feNew();
    expect(feSqrtRatio(root, feFromBigInt(P - 1n), feFromBigInt(1n))).toBe(1);
    expect(mod(value(root) * value(root))).toBe(P - 1n);
  });

  it('reads 255 bits, accepting values at or above p, and writes the canonical encoding', () => {
    const element = feNew();
    const out = new Uint8Array(32);
    for (const raw of [P, P + 1n, P + 18n, (1n << 255n) - 1n, (1n << 256n) - 1n]) {
      feFromBytes(element, fromBigInt(raw));
      feToBytes(out, 0, element);
      expect(toBigInt(out)).toBe(mod(raw & ((1n << 255n) - 1n)));
    }
  });

  it('compares and takes the parity of canonical values', () => {
    expect(feEqual(feFromBigInt(5n), feFromBigInt(5n))).toBe(1);
    expect(feEqual(feFromBigInt(5n), feFromBigInt(6n))).toBe(0);
    const pPlusFive = feNew();
    feFromBytes(pPlusFive, fromBigInt(P + 5n));
    expect(feEqual(pPlusFive, feFromBigInt(5n))).toBe(1);
    expect(feParity(pPlusFive)).toBe(1);
    expect(feParity(feFromBigInt(P - 1n))).toBe(0);
  });
});

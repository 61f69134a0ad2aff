import { describe, expect, it } from 'vitest';
import {
  FIELD_PRIME as P,
  feFromBigInt,
  feFromBytes,
  feMul,
  feMulSmall,
  feNegate,
  feNew,
  feParity,
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


describe('field arithmetic modulo 2^255 - 19', () => {
  const samples = [0n, 1n, 2n, 19n, P - 1n, P - 2n, (1n << 255n) - 20n, ...Array.from({ length: 40 }, randomElement)];

  it('subtracts, multiplies and negates like BigInt arithmetic', () => {
    const out = feNew();
    for (let i = 0; i < samples.length; i++) {
      const a = samples[i];
      const b = samples[(i * 7 + 3) % samples.length];
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

  it('reads 255 bits, accepting values at or above p, and writes the canonical encoding', () => {
    const element = feNew();
    const out = new Uint8Array(32);
    for (const raw of [P, P + 1n, P + 18n, (1n << 255n) - 1n, (1n << 256n) - 1n]) {
      feFromBytes(element, fromBigInt(raw));
      feToBytes(out, 0, element);
      expect(toBigInt(out)).toBe(mod(raw & ((1n << 255n) - 1n)));
    }
  });

  it('takes the parity of canonical values', () => {
    const pPlusFive = feNew();
    feFromBytes(pPlusFive, fromBigInt(P + 5n));
    expect(feParity(pPlusFive)).toBe(1);
    expect(feParity(feFromBigInt(P - 1n))).toBe(0);
  });
});

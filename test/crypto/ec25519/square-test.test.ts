// The Jacobi-symbol square test against Euler's criterion (a^((p-1)/2) is 1 for squares).
import { describe, expect, it } from 'vitest';
import { FIELD_PRIME as P } from '../../../src/crypto/ec25519/field.ts';
import { isSquare } from '../../../src/crypto/ec25519/square-test.ts';
import { fromBigInt, random32, toBigInt } from './bigint.ts';

function eulerIsSquare(a: bigint): boolean {
  let result = 1n;
  for (let b = a, e = (P - 1n) / 2n; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result !== P - 1n;
}

describe('isSquare', () => {
  it('agrees with Euler on the edges and on random elements', () => {
    // 0 and 1 are squares, -1 is (p = 1 mod 4), 2 is not (p = 5 mod 8); powers of two test the shifts.
    const values = [0n, 1n, 2n, 4n, P - 1n, P - 2n, 1n << 64n, 1n << 254n, 3n << 200n];
    for (let i = 0; i < 500; i++) values.push(toBigInt(random32()) % P);
    for (const value of values) expect(isSquare(fromBigInt(value)), value.toString(16)).toBe(eulerIsSquare(value));
    expect([0n, 1n, P - 1n].map((v) => isSquare(fromBigInt(v)))).toEqual([true, true, true]);
    expect(isSquare(fromBigInt(2n))).toBe(false);
  });

  it('reads 256-bit numbers at or above p modulo p', () => {
    const values = [P, P + 1n, P + 2n, P + 4n, 2n * P, (1n << 256n) - 1n, (1n << 255n) + 5n];
    for (let i = 0; i < 200; i++) values.push(toBigInt(random32()) % P + P);
    for (const value of values) expect(isSquare(fromBigInt(value)), value.toString(16)).toBe(eulerIsSquare(value % P));
  });

  it('knows squares and twice squares (2 is not a square), across limb boundaries', () => {
    const roots = [1n, 2n, (1n << 30n) - 1n, 1n << 30n, (1n << 60n) + 1n, 1n << 127n, P - 1n];
    for (let i = 0; i < 2000; i++) roots.push(toBigInt(random32()) % P);
    for (const root of roots) {
      if (root === 0n) continue;
      const square = (root * root) % P;
      expect(isSquare(fromBigInt(square)), square.toString(16)).toBe(true);
      expect(isSquare(fromBigInt((2n * square) % P)), (2n * square).toString(16)).toBe(false);
    }
  });
});

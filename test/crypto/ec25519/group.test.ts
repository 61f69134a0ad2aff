import { describe, expect, it } from 'vitest';
import { GROUP_ORDER as Q } from '../../../src/crypto/ec25519/curve.ts';
import {
  addPoints,
  type CurvePoint,
  IDENTITY,
  isIdentity,
  multiplyBase,
  multiplyByCofactor,
  multiplyIfSubgroupPoint,
  multiplySubgroupPoint,
} from '../../../src/crypto/ec25519/group.ts';
import { loadPackedLegacy, storePackedLegacy } from '../../../src/crypto/ec25519/legacy-format.ts';
import { multiplyAddScalars } from '../../../src/crypto/ec25519/scalar.ts';
import { requireSystem } from '../../helpers/prereq.ts';
import { fromBigInt, random32 } from './bigint.ts';
import { toHex } from '../../helpers/packet-memory.ts';
import { haveLibuecc, openLibuecc } from './libuecc.ts';

const scalar = (n: bigint) => fromBigInt(((n % (1n << 256n)) + (1n << 256n)) % (1n << 256n));
const G = multiplyBase(scalar(1n));
/** The point of order 2, (0, -1): legacy-packed as 32 zero bytes. */
const ORDER_TWO = loadPackedLegacy(new Uint8Array(32))!;

/** n·point by double-and-add with addPoints alone, small-order components included. */
function timesScalar(n: bigint, point: CurvePoint): CurvePoint {
  let product = IDENTITY as CurvePoint;
  for (let bit = 255n; bit >= 0n; bit--) {
    product = addPoints(product, product);
    if ((n >> bit) & 1n) product = addPoints(product, point);
  }
  return product;
}

/** A curve point that is not in the prime-order subgroup (random x until one loads). */
function pointWithTorsion() {
  for (;;) {
    const point = loadPackedLegacy(random32());
    if (point && !isIdentity(timesScalar(Q, point))) return point;
  }
}

describe('group operations', () => {
  it('gives the generator order q', () => {
    expect(isIdentity(multiplyBase(scalar(Q)))).toBe(true);
    expect(toHex(multiplyBase(scalar(Q + 1n)))).toBe(toHex(G));
    expect(toHex(addPoints(multiplyBase(scalar(Q - 1n)), G))).toBe(toHex(IDENTITY));
    expect(isIdentity(multiplyBase(scalar(0n)))).toBe(true);
  });

  it('is linear: (a + b)·G = a·G + b·G and a·(b·G) = (a·b)·G', () => {
    for (let i = 0; i < 5; i++) {
      const [a, b] = [random32(), random32()];
      const one = scalar(1n);
      const zero = scalar(0n);
      expect(toHex(multiplyBase(multiplyAddScalars(a, one, b)))).toBe(toHex(addPoints(multiplyBase(a), multiplyBase(b))));
      expect(toHex(multiplySubgroupPoint(a, multiplyBase(b)))).toBe(toHex(multiplyBase(multiplyAddScalars(a, b, zero))));
    }
  });

  it('multiplies by the cofactor: 8·P = P+P+P+P+P+P+P+P, and kills small-order points', () => {
    const point = pointWithTorsion();
    let sum = point;
    for (let i = 1; i < 8; i++) sum = addPoints(sum, point);
    expect(toHex(multiplyByCofactor(point))).toBe(toHex(sum));
    expect(isIdentity(multiplyByCofactor(ORDER_TWO))).toBe(true);
    expect(isIdentity(multiplySubgroupPoint(random32(), IDENTITY))).toBe(true);
  });

  it('multiplies a point only when it is in the prime-order subgroup when asked to try', () => {
    const n = random32();
    const point = multiplyBase(random32());
    expect(toHex(multiplyIfSubgroupPoint(n, point)!)).toBe(toHex(multiplySubgroupPoint(n, point)));
    expect(multiplyIfSubgroupPoint(n, addPoints(point, ORDER_TWO))).toBeUndefined();
    expect(multiplyIfSubgroupPoint(n, pointWithTorsion())).toBeUndefined();
    expect(multiplyIfSubgroupPoint(n, ORDER_TWO)).toBeUndefined();
  });
});

describe.runIf(requireSystem('libuecc cross-check', { libuecc: haveLibuecc }))('group operations against libuecc', () => {
  const uecc = haveLibuecc ? openLibuecc() : undefined!;

  /** A random key that loads, in both representations. */
  function randomPoint() {
    for (;;) {
      const key = random32();
      const ours = loadPackedLegacy(key);
      if (ours) return { ours, theirs: uecc.loadPackedLegacy(key)! };
    }
  }

  it('multiplies the base point like ecc_25519_scalarmult_base, for unreduced scalars too', () => {
    for (const n of [scalar(0n), scalar(Q), scalar((1n << 256n) - 1n), ...Array.from({ length: 10 }, random32)])
      expect(toHex(storePackedLegacy(multiplyBase(n)))).toBe(toHex(uecc.storePackedLegacy(uecc.scalarmultBase(n))));
  });

  it('adds and octuples arbitrary points like libuecc', () => {
    for (let i = 0; i < 10; i++) {
      const a = randomPoint();
      const b = randomPoint();
      const sum = uecc.add(a.theirs, b.theirs);
      expect(toHex(storePackedLegacy(addPoints(a.ours, b.ours)))).toBe(toHex(uecc.storePackedLegacy(sum)));
      const octuple = uecc.double(uecc.double(uecc.double(a.theirs)));
      expect(toHex(storePackedLegacy(multiplyByCofactor(a.ours)))).toBe(toHex(uecc.storePackedLegacy(octuple)));
    }
  });
});

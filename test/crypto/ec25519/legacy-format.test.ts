import { describe, expect, it } from 'vitest';
import {
  ED25519_D,
  GENERATOR_ED25519_X,
  GENERATOR_LEGACY_X,
  GENERATOR_Y,
  LEGACY_A,
  LEGACY_D,
  LEGACY_TO_ED25519,
} from '../../../src/crypto/ec25519/curve.ts';
import { FIELD_PRIME as P } from '../../../src/crypto/ec25519/field.ts';
import { isIdentity, multiplyBase } from '../../../src/crypto/ec25519/group.ts';
import { isPackedLegacyPoint, loadPackedLegacy, storePackedLegacy } from '../../../src/crypto/ec25519/legacy-format.ts';
import { requireSystem } from '../../helpers/prereq.ts';
import { fromBigInt, random32, toBigInt } from './bigint.ts';
import { toHex } from '../../helpers/packet-memory.ts';
import { haveLibuecc, openLibuecc } from './libuecc.ts';

const mod = (n: bigint) => ((n % P) + P) % P;
function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
}
const inverse = (n: bigint) => modPow(n, P - 2n);
function sqrt(n: bigint): bigint | undefined {
  // p = 5 mod 8: candidate n^((p+3)/8), possibly times sqrt(-1).
  const candidate = modPow(n, (P + 3n) / 8n);
  if (mod(candidate * candidate - n) === 0n) return candidate;
  const rotated = mod(candidate * modPow(2n, (P - 1n) / 4n));
  return mod(rotated * rotated - n) === 0n ? rotated : undefined;
}

const onLegacyCurve = (x: bigint, y: bigint) =>
  mod(LEGACY_A * x * x + y * y - 1n - LEGACY_D * x * x * y * y) === 0n;
const onEd25519Curve = (x: bigint, y: bigint) => mod(-x * x + y * y - 1n - ED25519_D * x * x * y * y) === 0n;

/** x and y of a legacy-packed key and of its Ed25519 encoding, read back with BigInt. */
function legacyCoordinates(packed: Uint8Array, encoding: Uint8Array): { x: bigint; y: bigint } {
  const y = toBigInt(encoding) & ((1n << 255n) - 1n);
  return { x: mod(toBigInt(packed) & ((1n << 255n) - 1n)), y };
}

/** The legacy packing of (x, y) computed from the definition. */
const pack = (x: bigint, y: bigint) => fromBigInt(mod(x) | ((mod(y) & 1n) << 255n));

describe('curve constants', () => {
  it("put fastd's documented generator on the legacy curve and RFC 8032's base point on Ed25519", () => {
    expect(onLegacyCurve(GENERATOR_LEGACY_X, GENERATOR_Y)).toBe(true);
    expect(onEd25519Curve(GENERATOR_ED25519_X, GENERATOR_Y)).toBe(true);
  });

  it('scale x by a square root of -486664, mapping the legacy curve onto Ed25519', () => {
    expect(mod(LEGACY_TO_ED25519 * LEGACY_TO_ED25519)).toBe(mod(-LEGACY_A));
  });
});

describe('legacy packed format', () => {
  it("packs the generator as fastd's documentation gives it", () => {
    const generator = multiplyBase(fromBigInt(1n));
    expect(toHex(generator)).toBe('58' + '66'.repeat(31)); // RFC 8032's encoding of B
    expect(toHex(storePackedLegacy(generator))).toBe(toHex(pack(GENERATOR_LEGACY_X, GENERATOR_Y)));
    expect(toHex(loadPackedLegacy(pack(GENERATOR_LEGACY_X, GENERATOR_Y))!)).toBe(toHex(generator));
  });

  it('round-trips points and loads only points on the legacy curve', () => {
    for (let i = 0; i < 30; i++) {
      const point = multiplyBase(random32());
      const packed = storePackedLegacy(point);
      const loaded = loadPackedLegacy(packed);
      expect(loaded && toHex(loaded)).toBe(toHex(point));
      const { x, y } = legacyCoordinates(packed, point);
      expect(onLegacyCurve(x, y)).toBe(true);
      expect(Number(toBigInt(packed) >> 255n)).toBe(Number(y & 1n));
    }
  });

  it('loads each x with the y the parity bit asks for, and rejects x without a point', () => {
    let rejected = 0;
    for (let i = 0; i < 40; i++) {
      const packed = random32();
      const x = mod(toBigInt(packed) & ((1n << 255n) - 1n));
      const y = sqrt(mod((1n - LEGACY_A * x * x) * inverse(1n - LEGACY_D * x * x)));
      const point = loadPackedLegacy(packed);
      if (y === undefined) {
        rejected++;
        expect(point).toBeUndefined();
        continue;
      }
      const wanted = (y & 1n) === BigInt(packed[31] >> 7) ? y : mod(-y);
      expect(point).toBeDefined();
      expect(toBigInt(point!) & ((1n << 255n) - 1n)).toBe(wanted);
    }
    expect(rejected).toBeGreaterThan(5);
  });

  it('reads the identity, the point of order 2, and x >= p as libuecc does', () => {
    expect(isIdentity(loadPackedLegacy(fromBigInt(1n << 255n))!)).toBe(true); // x = 0, y = 1
    const orderTwo = loadPackedLegacy(new Uint8Array(32))!; // x = 0, y = -1
    expect(toHex(orderTwo)).toBe(toHex(fromBigInt(P - 1n)));
    expect(toHex(loadPackedLegacy(fromBigInt(P))!)).toBe(toHex(orderTwo));
    expect(toHex(storePackedLegacy(orderTwo))).toBe('00'.repeat(32));
  });

  it('tells keys that unpack to a point other than the identity without unpacking them', () => {
    const keys = [new Uint8Array(32), fromBigInt(1n << 255n), fromBigInt(P), fromBigInt(P | (1n << 255n)), new Uint8Array(32).fill(0xff)];
    for (let i = 0; i < 500; i++) keys.push(random32());
    for (const key of keys) {
      const point = loadPackedLegacy(key);
      expect(isPackedLegacyPoint(key), toHex(key)).toBe(point !== undefined && !isIdentity(point));
    }
    expect(isPackedLegacyPoint(new Uint8Array(40), 9)).toBe(false);
    // The check looks at x only when (1 - a·x^2)(1 - d·x^2) is 1; besides x = 0 that would need x^2 = (a + d) / (a·d), not a square.
    expect(sqrt(mod((LEGACY_A + LEGACY_D) * inverse(LEGACY_A * LEGACY_D)))).toBeUndefined();
  });

  it('refuses input shorter than a key', () => {
    expect(loadPackedLegacy(new Uint8Array(31))).toBeUndefined();
    expect(loadPackedLegacy(new Uint8Array(40), 9)).toBeUndefined();
    expect(loadPackedLegacy(new Uint8Array(40), -1)).toBeUndefined();
    expect(loadPackedLegacy(new Uint8Array(40), 8)).toBeDefined();
  });
});

describe.runIf(requireSystem('libuecc cross-check', { libuecc: haveLibuecc }))('legacy packed format against libuecc', () => {
  const uecc = haveLibuecc ? openLibuecc() : undefined!;

  /** Keys on the edges of the format: small-order points, y^2 tiny, x at or above p. */
  function edgeKeys(): Uint8Array[] {
    const keys = [new Uint8Array(32), fromBigInt(1n << 255n), new Uint8Array(32).fill(0xff)];
    for (const raw of [P, P + 1n, P + 18n, (1n << 255n) - 1n]) keys.push(fromBigInt(raw), fromBigInt(raw | (1n << 255n)));
    for (const ySquared of [0n, 2n, 4n, 9n, 16n, 18n]) {
      const x = sqrt(mod((1n - ySquared) * inverse(LEGACY_A - LEGACY_D * ySquared)));
      if (x === undefined) continue;
      for (const parity of [0n, 1n]) for (const sign of [x, mod(-x)]) keys.push(fromBigInt(sign | (parity << 255n)));
    }
    return keys;
  }

  it('accepts, identifies and re-packs the same keys', () => {
    const keys = [...edgeKeys(), ...Array.from({ length: 300 }, random32)];
    for (const key of keys) {
      const ours = loadPackedLegacy(key);
      const theirs = uecc.loadPackedLegacy(key);
      expect(ours !== undefined, toHex(key)).toBe(theirs !== undefined);
      expect(isPackedLegacyPoint(key), toHex(key)).toBe(theirs !== undefined && !uecc.isIdentity(theirs));
      if (!ours || !theirs) continue;
      expect(isIdentity(ours), toHex(key)).toBe(uecc.isIdentity(theirs));
      expect(toHex(storePackedLegacy(ours)), toHex(key)).toBe(toHex(uecc.storePackedLegacy(theirs)));
    }
  });
});

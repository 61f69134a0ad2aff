import { describe, expect, it } from 'vitest';
import { GROUP_ORDER as Q } from '../../../src/crypto/ec25519/curve.ts';
import {
  divideByCofactor,
  isZeroScalar,
  multiplyAddScalars,
  reduceScalar,
  sanitizeSecret,
  shiftOutCofactor,
} from '../../../src/crypto/ec25519/scalar.ts';
import { requireSystem } from '../../helpers/prereq.ts';
import { fromBigInt, random32, toBigInt } from './bigint.ts';
import { toHex } from '../../helpers/packet-memory.ts';
import { haveLibuecc, openLibuecc } from './libuecc.ts';

const MAX = (1n << 256n) - 1n;
const edgeValues = [0n, 1n, Q - 1n, Q, Q + 1n, 2n * Q, MAX];

describe('scalars modulo the group order', () => {
  it('has the order ecc.h documents', () => {
    expect(Q).toBe(2n ** 252n + 27742317777372353535851937790883648493n);
  });

  it('reduces any 256-bit value', () => {
    for (const n of [...edgeValues, ...Array.from({ length: 20 }, () => toBigInt(random32()))])
      expect(toBigInt(reduceScalar(fromBigInt(n)))).toBe(n % Q);
  });

  it('computes a·b + c mod q for any 256-bit inputs', () => {
    const values = [...edgeValues, ...Array.from({ length: 12 }, () => toBigInt(random32()))];
    for (let i = 0; i < values.length; i++) {
      const [a, b, c] = [values[i], values[(i * 5 + 1) % values.length], values[(i * 3 + 2) % values.length]];
      expect(toBigInt(multiplyAddScalars(fromBigInt(a), fromBigInt(b), fromBigInt(c)))).toBe((a * b + c) % Q);
    }
  });

  it('tells when a value is 0 mod q', () => {
    expect(isZeroScalar(fromBigInt(0n))).toBe(true);
    expect(isZeroScalar(fromBigInt(Q))).toBe(true);
    expect(isZeroScalar(fromBigInt(2n * Q))).toBe(true);
    expect(isZeroScalar(fromBigInt(Q + 1n))).toBe(false);
  });

  it('sanitizes secrets: multiple of 8, bit 254 set, bit 255 clear', () => {
    for (const raw of [new Uint8Array(32), new Uint8Array(32).fill(0xff), random32()]) {
      const secret = toBigInt(sanitizeSecret(raw));
      expect(secret % 8n).toBe(0n);
      expect(secret >> 254n).toBe(1n);
      expect(secret & ~(7n | (3n << 254n))).toBe(toBigInt(raw) & ~(7n | (3n << 254n)));
    }
  });

  it('divides by the cofactor as fastd does, refusing secrets that are not multiples of 8', () => {
    const secret = toBigInt(sanitizeSecret(random32()));
    expect(toBigInt(divideByCofactor(fromBigInt(secret))!)).toBe(secret / 8n);
    expect(toBigInt(divideByCofactor(fromBigInt(MAX - 7n))!)).toBe((MAX - 7n) / 8n);
    for (let low = 1n; low < 8n; low++) expect(divideByCofactor(fromBigInt(secret | low))).toBeUndefined();
    expect(toBigInt(shiftOutCofactor(fromBigInt(MAX)))).toBe(MAX >> 3n);
  });

  it('refuses arrays that are not 32 bytes', () => {
    expect(() => reduceScalar(new Uint8Array(31))).toThrow(RangeError);
    expect(() => multiplyAddScalars(new Uint8Array(32), new Uint8Array(33), new Uint8Array(32))).toThrow(RangeError);
  });
});

describe.runIf(requireSystem('libuecc cross-check', { libuecc: haveLibuecc }))('scalars against libuecc', () => {
  const uecc = haveLibuecc ? openLibuecc() : undefined!;

  it('sanitizes exactly like ecc_25519_gf_sanitize_secret', () => {
    for (let i = 0; i < 20; i++) {
      const raw = random32();
      expect(toHex(sanitizeSecret(raw))).toBe(toHex(uecc.sanitizeSecret(raw)));
    }
  });

  it("agrees with gf_mult then gf_add, the way fastd's handshake combines its secrets", () => {
    for (let i = 0; i < 30; i++) {
      // d: 128 bits with bit 127 set; a and x: sanitized secrets divided by 8.
      const d = new Uint8Array(32);
      d.set(random32().subarray(0, 16));
      d[15] |= 0x80;
      const a = divideByCofactor(sanitizeSecret(random32()))!;
      const x = divideByCofactor(sanitizeSecret(random32()))!;
      const theirs = uecc.gfReduce(uecc.gfAdd(uecc.gfMult(d, a), x));
      expect(toHex(multiplyAddScalars(d, a, x))).toBe(toHex(theirs));
    }
  });
});

// libuecc's packed "legacy" point format, which fastd uses for every key on the wire and in
// configs (ecc_25519_load_packed_legacy / ecc_25519_store_packed_legacy):
//
//   bits 0..254  x on the legacy curve 486664·x^2 + y^2 = 1 + 486660·x^2·y^2, little-endian
//   bit  255     parity of y
//
// Ed25519's encoding is the mirror image (y, parity of x), so converting either way recovers
// the missing coordinate from the curve equation with one square root.
import { addPoints, asCurvePoint, type CurvePoint, isIdentity, POINT_BYTES } from './group.js';
import { FE, LEGACY_A, LEGACY_D } from './curve.js';
import {
  type Fe,
  feFromBytes,
  feMul,
  feMulSmall,
  feNegate,
  feNew,
  feParity,
  feSelect,
  feSquare,
  feSub,
  feToBytes,
} from './field.js';
import { isSquare } from './square-test.js';

export const PACKED_POINT_BYTES = 32;
const PARITY_BYTE = 31;
const PARITY_SHIFT = 7;

const x = feNew();
const y = feNew();
const squared = feNew();
const scaled = feNew();
const numerator = feNew();
const denominator = feNew();
const negated = feNew();

/** Chooses between root and -root so that its parity is wantedParity (a zero root stays zero). */
function fixParity(root: Fe, wantedParity: number): void {
  feNegate(negated, root);
  feSelect(root, root, negated, feParity(root) ^ wantedParity);
}

/** The curve's a and d are small integers: each multiplies as 16 limb products, not 256. */
const SMALL_A = Number(LEGACY_A);
const SMALL_D = Number(LEGACY_D);

/** y^2's numerator and denominator for the packed x (the curve equation solved for y^2). */
function ySquaredRatio(packed: Uint8Array, offset: number): void {
  feFromBytes(x, packed, offset);
  feSquare(squared, x);
  feMulSmall(scaled, squared, SMALL_A);
  feSub(numerator, FE.one, scaled);
  feMulSmall(scaled, squared, SMALL_D);
  feSub(denominator, FE.one, scaled);
}

/**
 * Ed25519's points (±i, 0) of order 4, encoded: y = 0 and the sign of x (i = SQRT_MINUS_ONE is
 * even). Adding (i, 0) turns (x, y) into (i·y, i·x): its encoded y is x_legacy·LEGACY_TO_ROTATED.
 */
const ORDER_FOUR = asCurvePoint(new Uint8Array(POINT_BYTES));
const MINUS_ORDER_FOUR = (() => {
  const encoding = new Uint8Array(POINT_BYTES);
  encoding[PARITY_BYTE] = 1 << PARITY_SHIFT;
  return asCurvePoint(encoding);
})();

const ratioBytes = new Uint8Array(PACKED_POINT_BYTES);

/** Whether (u·v) — y^2 = u/v for the x ySquaredRatio read — is a square: then y exists. */
function hasY(): boolean {
  feMul(scaled, numerator, denominator);
  feToBytes(ratioBytes, 0, scaled);
  return isSquare(ratioBytes);
}

/**
 * Unpacks a legacy-packed point; undefined when no curve point has that x. Like libuecc, an x
 * at or above p is read modulo p, and a parity bit that y = 0 cannot honour is ignored.
 *
 * No square root on the JavaScript field (~100 µs on the loaded machine): x·LEGACY_TO_ROTATED
 * is the y of P' + (i, 0) for P' = (x, ±y), which libsodium decodes (its root in C) and adds
 * -(i, 0) to, giving P' exactly; then y's sign is fixed. Variable time (public keys only).
 */
export function loadPackedLegacy(packed: Uint8Array, offset = 0): CurvePoint | undefined {
  if (offset < 0 || packed.length - offset < PACKED_POINT_BYTES) return undefined;
  // y^2 = (1 - a·x^2) / (1 - d·x^2); the denominator never vanishes as d is not a square.
  ySquaredRatio(packed, offset);
  if (!hasY()) return undefined;
  feMul(scaled, x, FE.legacyToRotated);
  const rotated = new Uint8Array(POINT_BYTES);
  feToBytes(rotated, 0, scaled);
  const point = addPoints(asCurvePoint(rotated), MINUS_ORDER_FOUR);
  feFromBytes(y, point);
  fixParity(y, packed[offset + PARITY_BYTE] >> PARITY_SHIFT);
  const xSign = point[PARITY_BYTE] & (1 << PARITY_SHIFT);
  feToBytes(point, 0, y);
  point[PARITY_BYTE] |= xSign;
  return point;
}

/** Whether canonical little-endian bytes are the element 1. */
function isOne(bytes: Uint8Array): boolean {
  if (bytes[0] !== 1) return false;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Whether `packed` unpacks to a point other than the identity, without the square root: y^2 =
 * u/v has a root exactly when u·v is a square. Variable time (public keys only).
 */
export function isPackedLegacyPoint(packed: Uint8Array, offset = 0): boolean {
  if (offset < 0 || packed.length - offset < PACKED_POINT_BYTES) return false;
  ySquaredRatio(packed, offset);
  if (!hasY()) return false;
  // Only x = 0 packs the identity (with y = 1), and only x = 0 makes the ratio 1 ((a + d) / (a·d)
  // is not a square); unpacking tells (0, 1) from (0, -1).
  if (!isOne(ratioBytes)) return true;
  feToBytes(ratioBytes, 0, x);
  return ratioBytes.some((byte) => byte !== 0) || !isIdentity(loadPackedLegacy(packed, offset)!);
}

/**
 * Packs a point in the legacy format (canonical x, as libuecc writes it). x comes from the y of
 * P + (i, 0), which libsodium computes in constant time: no square root in JavaScript.
 */
export function storePackedLegacy(point: CurvePoint): Uint8Array {
  const rotated = addPoints(point, ORDER_FOUR);
  feFromBytes(x, rotated);
  feMul(x, x, FE.rotatedToLegacy);
  const packed = new Uint8Array(PACKED_POINT_BYTES);
  feToBytes(packed, 0, x);
  // libsodium's encodings are canonical: y's parity is its lowest bit.
  packed[PARITY_BYTE] |= (point[0] & 1) << PARITY_SHIFT;
  return packed;
}

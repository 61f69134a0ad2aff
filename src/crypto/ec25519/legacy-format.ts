// libuecc's packed "legacy" point format, which fastd uses for every key on the wire and in
// configs (ecc_25519_load_packed_legacy / ecc_25519_store_packed_legacy):
//
//   bits 0..254  x on the legacy curve 486664·x^2 + y^2 = 1 + 486660·x^2·y^2, little-endian
//   bit  255     parity of y
//
// Ed25519's encoding is the mirror image (y, parity of x), so converting either way recovers
// the missing coordinate from the curve equation with one square root.
import { asCurvePoint, type CurvePoint, isIdentity, POINT_BYTES } from './group.js';
import { FE, LEGACY_A, LEGACY_D } from './curve.js';
import {
  type Fe,
  feAdd,
  feFromBytes,
  feMul,
  feMulSmall,
  feNegate,
  feNew,
  feParity,
  feSelect,
  feSqrtRatio,
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
 * Unpacks a legacy-packed point; undefined when no curve point has that x. Like libuecc, an x
 * at or above p is read modulo p, and a parity bit that y = 0 cannot honour is ignored.
 */
export function loadPackedLegacy(packed: Uint8Array, offset = 0): CurvePoint | undefined {
  if (offset < 0 || packed.length - offset < PACKED_POINT_BYTES) return undefined;
  // y^2 = (1 - a·x^2) / (1 - d·x^2); the denominator never vanishes as d is not a square.
  ySquaredRatio(packed, offset);
  if (!feSqrtRatio(y, numerator, denominator)) return undefined;
  fixParity(y, packed[offset + PARITY_BYTE] >> PARITY_SHIFT);

  const encoding = new Uint8Array(POINT_BYTES);
  feMul(x, x, FE.legacyToEd25519);
  feToBytes(encoding, 0, y);
  encoding[PARITY_BYTE] |= feParity(x) << PARITY_SHIFT;
  return asCurvePoint(encoding);
}

const ratioBytes = new Uint8Array(PACKED_POINT_BYTES);

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
  feMul(scaled, numerator, denominator);
  feToBytes(ratioBytes, 0, scaled);
  if (!isSquare(ratioBytes)) return false;
  // Only x = 0 packs the identity (with y = 1), and only x = 0 makes the ratio 1 ((a + d) / (a·d)
  // is not a square); unpacking tells (0, 1) from (0, -1).
  if (!isOne(ratioBytes)) return true;
  feToBytes(ratioBytes, 0, x);
  return ratioBytes.some((byte) => byte !== 0) || !isIdentity(loadPackedLegacy(packed, offset)!);
}

/** Packs a point in the legacy format (canonical x, as libuecc writes it). */
export function storePackedLegacy(point: CurvePoint): Uint8Array {
  feFromBytes(y, point);
  // x^2 = (y^2 - 1) / (d·y^2 + 1) on Ed25519; always a square for a point libsodium produced.
  feSquare(squared, y);
  feSub(numerator, squared, FE.one);
  feMul(scaled, FE.ed25519D, squared);
  feAdd(denominator, scaled, FE.one);
  feSqrtRatio(x, numerator, denominator);
  fixParity(x, point[PARITY_BYTE] >> PARITY_SHIFT);

  const packed = new Uint8Array(PACKED_POINT_BYTES);
  feMul(x, x, FE.ed25519ToLegacy);
  feToBytes(packed, 0, x);
  packed[PARITY_BYTE] |= feParity(y) << PARITY_SHIFT;
  return packed;
}

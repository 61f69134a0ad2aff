// The point σ at the heart of fastd's FHMQV-C handshake (doc: crypto/fhmqvc.rst,
// make_shared_handshake_key in protocols/ec25519_fhmqvc/handshake.c):
//
//   σ = s · 8 · (X + h·P)
//
// X is the peer's handshake key, P its long-term key, h the peer's half of SHA256(Y|X|B|A)
// (d or e, 128 bits with bit 127 set), and s = h'·a/8 + x/8 mod q from our own secrets, which
// fastd keeps divided by 8. Multiplying by 8 cancels that division and strips any small-order
// component a peer may have slipped into X or P.
import {
  addPoints,
  type CurvePoint,
  multiplyByCofactor,
  multiplyIfSubgroupPoint,
  multiplySubgroupPoint,
  type SubgroupPoint,
} from './group.js';
import { multiplyAddScalars, SCALAR_BYTES } from './scalar.js';

const ZERO = new Uint8Array(SCALAR_BYTES);
const EIGHT = (() => {
  const scalar = new Uint8Array(SCALAR_BYTES);
  scalar[0] = 8;
  return scalar;
})();

/**
 * σ = s·8·(X + h·P) from X and 8P (fhmqvc.ts's peerPoint); the identity when the peer's points
 * cancel (fastd then rejects the handshake). An honest peer's X lies in the prime-order
 * subgroup, where σ = (8s)·X + (s·h)·8P needs no doublings of X; any other X is octupled first:
 * 8·(X + h·P) = 8X + h·(8P) keeps every multiplication inside the subgroup.
 */
export function fhmqvcSharedPoint(
  s: Uint8Array,
  peerHandshakeKey: CurvePoint,
  peerKeyTimesCofactor: SubgroupPoint,
  h: Uint8Array,
): SubgroupPoint {
  const eightS = multiplyAddScalars(EIGHT, s, ZERO);
  const fromX = multiplyIfSubgroupPoint(eightS, peerHandshakeKey);
  eightS.fill(0);
  if (fromX) {
    const sh = multiplyAddScalars(h, s, ZERO);
    const fromP = multiplySubgroupPoint(sh, peerKeyTimesCofactor);
    sh.fill(0);
    return addPoints(fromX, fromP);
  }
  const sum = addPoints(multiplyByCofactor(peerHandshakeKey), multiplySubgroupPoint(h, peerKeyTimesCofactor));
  return multiplySubgroupPoint(s, sum);
}

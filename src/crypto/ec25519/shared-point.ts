// The point σ at the heart of fastd's FHMQV-C handshake (doc: crypto/fhmqvc.rst,
// make_shared_handshake_key in protocols/ec25519_fhmqvc/handshake.c):
//
//   σ = s · 8 · (X + h·P)
//
// X is the peer's handshake key, P its long-term key, h the peer's half of SHA256(Y|X|B|A)
// (d or e, 128 bits with bit 127 set), and s = h'·a/8 + x/8 mod q from our own secrets, which
// fastd keeps divided by 8. Multiplying by 8 cancels that division and strips any small-order
// component a peer may have slipped into X or P.
import { addPoints, multiplySubgroupPoint, type SubgroupPoint } from './group.js';

/**
 * σ = s·(8X + h·8P), from 8X and 8P (fhmqvc.ts's peerPoint): the
 * identity when the peer's points cancel (fastd then rejects the handshake). 8·(X + h·P) =
 * 8X + h·(8P) keeps every multiplication inside the prime-order subgroup.
 */
export function fhmqvcSharedPoint(
  s: Uint8Array,
  peerHandshakeKeyTimesCofactor: SubgroupPoint,
  peerKeyTimesCofactor: SubgroupPoint,
  h: Uint8Array,
): SubgroupPoint {
  const sum = addPoints(peerHandshakeKeyTimesCofactor, multiplySubgroupPoint(h, peerKeyTimesCofactor));
  return multiplySubgroupPoint(s, sum);
}

// FHMQV-C as fastd computes it (doc: crypto/fhmqvc.rst; make_shared_handshake_key and
// derive_key in protocols/ec25519_fhmqvc/handshake.c). Alice (A, x, X) initiates, Bob
// (B, y, Y) responds; both arrive at the same σ and from it at:
//
//   d|e = SHA256(Y|X|B|A), each half with bit 127 set
//   σ   = (d·a + x)·8·(Y + e·B)   for Alice,   (e·b + y)·8·(X + d·A)   for Bob
//   K1  = HKDF-SHA256(salt 0^32, σ, A|B|X|Y, 32)          the handshake key
//   K2  = HKDF-SHA256(salt K1,  σ, X|Y|A|B|method, n)     the method's session key
//
// K2's info order differs from the document: fastd's establish() hands the keys to
// derive_key in that order, and only the order fastd really uses interoperates. The TLV
// authentication tag is HMAC-SHA256(K1, TLV records with the tag's value zeroed).
import { type CurvePoint, isIdentity, multiplyByCofactor, type SubgroupPoint } from '../crypto/ec25519/group.js';
import { generateSecretKey, derivePublicKey, PUBLIC_KEY_BYTES } from '../crypto/ec25519/keys.js';
import { loadPackedLegacy, storePackedLegacy } from '../crypto/ec25519/legacy-format.js';
import { divideByCofactor, multiplyAddScalars, SCALAR_BYTES } from '../crypto/ec25519/scalar.js';
import { fhmqvcSharedPoint } from '../crypto/ec25519/shared-point.js';
import { hkdfSha256 } from '../crypto/kdf/hkdf-sha256.js';
import { HmacSha256Key } from '../crypto/kdf/hmac-sha256.js';
import { sha256 } from '../crypto/kdf/sha256.js';
import { type HandshakeBody, type ReceivedHandshake, TLV_TAG_BYTES } from './handshake-messages.js';
import { HandshakeHeader } from './wire.js';
import { RecordType, recordBytes } from './tlv.js';

/** d and e are 128-bit halves of the hash with their top bit forced on. */
const HALF_HASH_BYTES = 16;
const HALF_HASH_TOP_BIT = 0x80;
/** K1 is one HMAC-SHA256 block. */
const HANDSHAKE_KEY_BYTES = 32;
const ZERO_SALT = new Uint8Array(HANDSHAKE_KEY_BYTES);

/** A key pair as the handshake uses it: fastd keeps secrets divided by the cofactor 8. */
export interface FhmqvcKeyPair {
  readonly publicKey: Uint8Array;
  readonly dividedSecret: Uint8Array;
}

/** Our long-term key pair from a configured secret; undefined when fastd would reject it. */
export function keyPairFromSecret(secret: Uint8Array): FhmqvcKeyPair | undefined {
  if (secret.length !== SCALAR_BYTES) return undefined;
  const dividedSecret = divideByCofactor(secret);
  return dividedSecret && { publicKey: derivePublicKey(secret), dividedSecret };
}

/** A fresh ephemeral key pair (fastd's new_handshake_key). */
export function generateHandshakeKeyPair(): FhmqvcKeyPair {
  const secret = generateSecretKey();
  const pair = keyPairFromSecret(secret)!;
  secret.fill(0);
  return pair;
}

type FhmqvcRole = 'initiator' | 'responder';

/** What both sides share after the exchange of X and Y. */
export interface FhmqvcShared {
  /** A, B, X, Y: the packed public keys in Alice/Bob order, whoever we are. */
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  /** σ, legacy-packed. */
  readonly sigma: Uint8Array;
  /** K1: keys the TLV authentication tags. */
  readonly handshakeKey: Uint8Array;
  /** K1 ready to sign and check tags (its HMAC pads hashed once). */
  readonly tagKey: HmacSha256Key;
}

/** Half of the hash as a 256-bit scalar with bit 127 set. */
function hashHalf(hash: Uint8Array, start: number): Uint8Array {
  const half = new Uint8Array(SCALAR_BYTES);
  half.set(hash.subarray(start, start + HALF_HASH_BYTES));
  half[HALF_HASH_BYTES - 1]! |= HALF_HASH_TOP_BIT;
  return half;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Unpacks a peer's point as fastd does: it must lie on the curve and not be the identity. */
function unpackPeerPoint(packed: Uint8Array): CurvePoint | undefined {
  if (packed.length !== PUBLIC_KEY_BYTES) return undefined;
  const point = loadPackedLegacy(packed);
  return point && !isIdentity(point) ? point : undefined;
}

/** A peer's long-term key times the cofactor, all the handshake needs of it; undefined where fastd refuses the point. */
export function peerPoint(packed: Uint8Array): SubgroupPoint | undefined {
  const point = unpackPeerPoint(packed);
  return point && multiplyByCofactor(point);
}

/**
 * Computes σ and K1 for our side of a handshake. Undefined where fastd gives up silently:
 * a peer key or handshake key that is not a usable curve point, or σ the identity.
 * `peerKeyPoint`: peerPoint(peerKey) when the caller kept it (three point additions).
 */
export function fhmqvcShared(
  role: FhmqvcRole,
  ours: FhmqvcKeyPair,
  ourHandshake: FhmqvcKeyPair,
  peerKey: Uint8Array,
  peerHandshakeKey: Uint8Array,
  peerKeyPoint: SubgroupPoint | undefined = peerPoint(peerKey),
): FhmqvcShared | undefined {
  const peerHandshakePoint = unpackPeerPoint(peerHandshakeKey);
  if (!peerHandshakePoint || !peerKeyPoint) return undefined;

  const initiator = role === 'initiator';
  const a = initiator ? ours.publicKey : peerKey;
  const b = initiator ? peerKey : ours.publicKey;
  const x = initiator ? ourHandshake.publicKey : peerHandshakeKey;
  const y = initiator ? peerHandshakeKey : ourHandshake.publicKey;

  const hash = sha256(y, x, b, a);
  const d = hashHalf(hash, 0);
  const e = hashHalf(hash, HALF_HASH_BYTES);
  // Our exponent weighs our long-term secret with our half; the peer's long-term key gets theirs.
  const s = multiplyAddScalars(initiator ? d : e, ours.dividedSecret, ourHandshake.dividedSecret);
  const point = fhmqvcSharedPoint(s, peerHandshakePoint, peerKeyPoint, initiator ? e : d);
  s.fill(0);
  if (isIdentity(point)) return undefined;

  const sigma = storePackedLegacy(point);
  const handshakeKey = hkdfSha256(ZERO_SALT, sigma, concat(a, b, x, y), HANDSHAKE_KEY_BYTES);
  return { a, b, x, y, sigma, handshakeKey, tagKey: new HmacSha256Key(handshakeKey) };
}

/** K2: `keyLength` bytes of session key material for the chosen method. */
export function deriveMethodKey(shared: FhmqvcShared, methodName: string, keyLength: number): Uint8Array {
  const name = new TextEncoder().encode(methodName);
  return hkdfSha256(shared.handshakeKey, shared.sigma, concat(shared.x, shared.y, shared.a, shared.b, name), keyLength);
}

/** Fills in the TLV authentication tag of a body built with `withTag` (the tag is written after the body is hashed). */
export function signHandshake(body: HandshakeBody, tagKey: HmacSha256Key): void {
  if (body.tagOffset < 0) throw new RangeError('handshake was built without a TLV authentication tag');
  const tag = body.bytes.subarray(body.tagOffset, body.tagOffset + TLV_TAG_BYTES);
  tag.fill(0);
  tagKey.macInto(tag, body.bytes.subarray(HandshakeHeader.SIZE));
}

/** Checks a received handshake's TLV authentication tag against K1; false when it has none. */
export function verifyHandshakeTag(handshake: ReceivedHandshake, tagKey: HmacSha256Key): boolean {
  const { records } = handshake;
  const tag = recordBytes(records, RecordType.TlvAuthenticationTag, TLV_TAG_BYTES);
  if (!tag) return false;
  const tagOffset = records.offsets[RecordType.TlvAuthenticationTag]!;
  const zeroed = records.bytes.slice();
  zeroed.fill(0, tagOffset, tagOffset + TLV_TAG_BYTES);
  return tagKey.verify(tag, zeroed);
}

// Debian's libuecc (installed with fastd) through koffi: the reference our curve code and the
// FHMQV-C arithmetic must match bit for bit, the latter driven call by call as fastd drives it.
// Tests only; fastd-ts never loads it at runtime.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export const LIBUECC_PATH = '/usr/lib/x86_64-linux-gnu/libuecc.so.0';
export const haveLibuecc = existsSync(LIBUECC_PATH);

/** sizeof(ecc_25519_work_t): four coordinates of 32 uint32 limbs. */
const WORK_BYTES = 4 * 32 * 4;
const INT256_BYTES = 32;

/** An unpacked point in libuecc's own representation. */
export type Work = Uint8Array;

export interface Libuecc {
  loadPackedLegacy(packed: Uint8Array): Work | undefined;
  storePackedLegacy(point: Work): Uint8Array;
  isIdentity(point: Work): boolean;
  add(a: Work, b: Work): Work;
  double(point: Work): Work;
  scalarmult(n: Uint8Array, point: Work): Work;
  scalarmultBits(n: Uint8Array, point: Work, bits: number): Work;
  scalarmultBase(n: Uint8Array): Work;
  gfMult(a: Uint8Array, b: Uint8Array): Uint8Array;
  gfAdd(a: Uint8Array, b: Uint8Array): Uint8Array;
  gfReduce(a: Uint8Array): Uint8Array;
  sanitizeSecret(secret: Uint8Array): Uint8Array;
}

export function openLibuecc(): Libuecc {
  const koffi = createRequire(import.meta.url)('koffi');
  const lib = koffi.load(LIBUECC_PATH);
  const fn = (signature: string) => lib.func(signature);
  const load = fn('int ecc_25519_load_packed_legacy(_Out_ uint8_t *out, const uint8_t *in)');
  const store = fn('void ecc_25519_store_packed_legacy(_Out_ uint8_t *out, const uint8_t *in)');
  const isIdentity = fn('int ecc_25519_is_identity(const uint8_t *in)');
  const add = fn('void ecc_25519_add(_Out_ uint8_t *out, const uint8_t *a, const uint8_t *b)');
  const double = fn('void ecc_25519_double(_Out_ uint8_t *out, const uint8_t *in)');
  const mult = fn('void ecc_25519_scalarmult(_Out_ uint8_t *out, const uint8_t *n, const uint8_t *base)');
  const multBits = fn(
    'void ecc_25519_scalarmult_bits(_Out_ uint8_t *out, const uint8_t *n, const uint8_t *base, unsigned int bits)',
  );
  const multBase = fn('void ecc_25519_scalarmult_base(_Out_ uint8_t *out, const uint8_t *n)');
  const gfMult = fn('void ecc_25519_gf_mult(_Out_ uint8_t *out, const uint8_t *a, const uint8_t *b)');
  const gfAdd = fn('void ecc_25519_gf_add(_Out_ uint8_t *out, const uint8_t *a, const uint8_t *b)');
  const gfReduce = fn('void ecc_25519_gf_reduce(_Out_ uint8_t *out, const uint8_t *in)');
  const sanitize = fn('void ecc_25519_gf_sanitize_secret(_Out_ uint8_t *out, const uint8_t *in)');

  const work = () => new Uint8Array(WORK_BYTES);
  const int256 = () => new Uint8Array(INT256_BYTES);
  return {
    loadPackedLegacy(packed) {
      const out = work();
      return load(out, packed) ? out : undefined;
    },
    storePackedLegacy(point) {
      const out = int256();
      store(out, point);
      return out;
    },
    isIdentity: (point) => isIdentity(point) !== 0,
    add(a, b) {
      const out = work();
      add(out, a, b);
      return out;
    },
    double(point) {
      const out = work();
      double(out, point);
      return out;
    },
    scalarmult(n, point) {
      const out = work();
      mult(out, n, point);
      return out;
    },
    scalarmultBits(n, point, bits) {
      const out = work();
      multBits(out, n, point, bits);
      return out;
    },
    scalarmultBase(n) {
      const out = work();
      multBase(out, n);
      return out;
    },
    gfMult(a, b) {
      const out = int256();
      gfMult(out, a, b);
      return out;
    },
    gfAdd(a, b) {
      const out = int256();
      gfAdd(out, a, b);
      return out;
    },
    gfReduce(a) {
      const out = int256();
      gfReduce(out, a);
      return out;
    },
    sanitizeSecret(secret) {
      const out = int256();
      sanitize(out, secret);
      return out;
    },
  };
}

/** secret / 8, as fastd's divide_key leaves it. */
function divided(secret: Uint8Array): Uint8Array {
  const out = new Uint8Array(INT256_BYTES);
  for (let i = 0; i < INT256_BYTES; i++) out[i] = ((secret[i]! >> 3) | ((secret[i + 1] ?? 0) << 5)) & 0xff;
  return out;
}

/** libuecc's packed public key of a full (undivided) secret. */
export function ueccPublicKey(uecc: Libuecc, secret: Uint8Array): Uint8Array {
  return uecc.storePackedLegacy(uecc.scalarmultBase(secret));
}

/**
 * σ for one side as fastd's make_shared_handshake_key computes it, from full secrets: `h` is
 * our half (d for the initiator, e for the responder), `peerH` the peer's; undefined where
 * fastd gives up.
 */
export function ueccSigma(
  uecc: Libuecc,
  secret: Uint8Array,
  handshakeSecret: Uint8Array,
  h: Uint8Array,
  peerH: Uint8Array,
  peerKey: Uint8Array,
  peerHandshakeKey: Uint8Array,
): Uint8Array | undefined {
  const peerHandshake = uecc.loadPackedLegacy(peerHandshakeKey);
  if (!peerHandshake || uecc.isIdentity(peerHandshake)) return undefined;
  const peer = uecc.loadPackedLegacy(peerKey);
  if (!peer) return undefined;
  const s = uecc.gfAdd(uecc.gfMult(h, divided(secret)), divided(handshakeSecret));
  const point = uecc.add(peerHandshake, uecc.scalarmultBits(peerH, peer, 128));
  const result = uecc.scalarmult(s, uecc.double(uecc.double(uecc.double(point))));
  return uecc.isIdentity(result) ? undefined : uecc.storePackedLegacy(result);
}

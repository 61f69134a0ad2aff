// Debian's libuecc (installed with fastd) through koffi: an independent reference for the
// FHMQV-C arithmetic, calling the same library functions in the same order as fastd's
// make_shared_handshake_key. Test-only; fastd-ts never loads libuecc itself.
import { existsSync } from 'node:fs';
import koffi from 'koffi';

const LIBUECC = '/usr/lib/x86_64-linux-gnu/libuecc.so.0';
export const haveLibuecc = existsSync(LIBUECC);

/** ecc_25519_work_t: four coordinates of 32 uint32 limbs. */
const WORK_BYTES = 4 * 32 * 4;
const INT256_BYTES = 32;

interface Uecc {
  loadPackedLegacy(out: Uint8Array, packed: Uint8Array): number;
  storePackedLegacy(out: Uint8Array, work: Uint8Array): void;
  isIdentity(work: Uint8Array): number;
  add(out: Uint8Array, a: Uint8Array, b: Uint8Array): void;
  double(out: Uint8Array, a: Uint8Array): void;
  scalarmult(out: Uint8Array, n: Uint8Array, base: Uint8Array): void;
  scalarmultBits(out: Uint8Array, n: Uint8Array, base: Uint8Array, bits: number): void;
  scalarmultBase(out: Uint8Array, n: Uint8Array): void;
  gfAdd(out: Uint8Array, a: Uint8Array, b: Uint8Array): void;
  gfMult(out: Uint8Array, a: Uint8Array, b: Uint8Array): void;
}

function bind(): Uecc {
  const lib = koffi.load(LIBUECC);
  const fn = (decl: string) => lib.func(decl);
  return {
    loadPackedLegacy: fn('int ecc_25519_load_packed_legacy(uint8_t *out, const uint8_t *in)'),
    storePackedLegacy: fn('void ecc_25519_store_packed_legacy(uint8_t *out, const uint8_t *in)'),
    isIdentity: fn('int ecc_25519_is_identity(const uint8_t *in)'),
    add: fn('void ecc_25519_add(uint8_t *out, const uint8_t *a, const uint8_t *b)'),
    double: fn('void ecc_25519_double(uint8_t *out, const uint8_t *a)'),
    scalarmult: fn('void ecc_25519_scalarmult(uint8_t *out, const uint8_t *n, const uint8_t *base)'),
    scalarmultBits: fn(
      'void ecc_25519_scalarmult_bits(uint8_t *out, const uint8_t *n, const uint8_t *base, unsigned int bits)',
    ),
    scalarmultBase: fn('void ecc_25519_scalarmult_base(uint8_t *out, const uint8_t *n)'),
    gfAdd: fn('void ecc_25519_gf_add(uint8_t *out, const uint8_t *a, const uint8_t *b)'),
    gfMult: fn('void ecc_25519_gf_mult(uint8_t *out, const uint8_t *a, const uint8_t *b)'),
  } as unknown as Uecc;
}

let uecc: Uecc | undefined;
const lib = (): Uecc => (uecc ??= bind());

const work = () => new Uint8Array(WORK_BYTES);
const int256 = () => new Uint8Array(INT256_BYTES);

/** libuecc's packed public key of a full (undivided) secret. */
export function ueccPublicKey(secret: Uint8Array): Uint8Array {
  const point = work();
  lib().scalarmultBase(point, secret);
  const packed = int256();
  lib().storePackedLegacy(packed, point);
  return packed;
}

/** secret / 8, as fastd's divide_key leaves it. */
function divided(secret: Uint8Array): Uint8Array {
  const out = int256();
  for (let i = 0; i < INT256_BYTES; i++) out[i] = ((secret[i]! >> 3) | ((secret[i + 1] ?? 0) << 5)) & 0xff;
  return out;
}

/**
 * σ for one side, the way fastd computes it: `h` is our half (d for the initiator, e for the
 * responder), `peerH` the peer's; undefined where fastd gives up.
 */
export function ueccSigma(
  secret: Uint8Array,
  handshakeSecret: Uint8Array,
  h: Uint8Array,
  peerH: Uint8Array,
  peerKey: Uint8Array,
  peerHandshakeKey: Uint8Array,
): Uint8Array | undefined {
  const u = lib();
  const peerHandshake = work();
  const peer = work();
  if (!u.loadPackedLegacy(peerHandshake, peerHandshakeKey) || u.isIdentity(peerHandshake)) return undefined;
  if (!u.loadPackedLegacy(peer, peerKey)) return undefined;
  const product = int256();
  const s = int256();
  u.gfMult(product, h, divided(secret));
  u.gfAdd(s, product, divided(handshakeSecret));
  const point = work();
  u.scalarmultBits(point, peerH, peer, 128);
  u.add(point, peerHandshake, point);
  const twice = work();
  u.double(twice, point);
  u.double(twice, twice);
  u.double(point, twice);
  const result = work();
  u.scalarmult(result, s, point);
  if (u.isIdentity(result)) return undefined;
  const sigma = int256();
  u.storePackedLegacy(sigma, result);
  return sigma;
}

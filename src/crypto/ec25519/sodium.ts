// The few libsodium calls the curve code and the handshake's HMAC (crypto/kdf/) use, typed
// here because sodium-native ships no TypeScript declarations. Each throws when libsodium
// returns an error; callers rule those cases out beforehand (see group.ts), so a throw means
// a bug, not bad input.
import { createRequire } from 'node:module';

type Bytes = Uint8Array;

interface SodiumCurveCalls {
  crypto_core_ed25519_add(r: Bytes, p: Bytes, q: Bytes): void;
  crypto_scalarmult_ed25519_noclamp(q: Bytes, n: Bytes, p: Bytes): void;
  crypto_scalarmult_ed25519_base_noclamp(q: Bytes, n: Bytes): void;
  crypto_core_ed25519_scalar_reduce(r: Bytes, s: Bytes): void;
  randombytes_buf(buffer: Bytes): void;
  sodium_memzero(buffer: Bytes): void;
  /** `state`: crypto_hash_sha256_STATEBYTES, a plain struct that may be copied to fork a hash. */
  crypto_hash_sha256_init(state: Bytes): void;
  crypto_hash_sha256_update(state: Bytes, input: Bytes): void;
  crypto_hash_sha256_final(state: Bytes, out: Bytes): void;
  readonly crypto_hash_sha256_STATEBYTES: number;
}

let loaded: SodiumCurveCalls | undefined;

/**
 * libsodium, loaded on its first call: reading the configuration checks keys without it, and
 * loading it (~35 ms) would delay the daemon's bind (see cli/main.ts). A function rather than
 * a Proxy: the Proxy's trap ran for every call, five for each HMAC of a handshake.
 */
export function sodium(): SodiumCurveCalls {
  return (loaded ??= createRequire(import.meta.url)('sodium-native') as SodiumCurveCalls);
}

// Debian's libsodium23 through koffi: the independent Salsa20/12 the kernels and the umac
// reference packets are checked against (sodium-native is built without salsa2012).
import { existsSync } from 'node:fs';
import koffi from 'koffi';

const LIBSODIUM23 = '/usr/lib/x86_64-linux-gnu/libsodium.so.23';
export const haveLibsodium23 = existsSync(LIBSODIUM23);

type Xor = (out: Uint8Array, input: Uint8Array, length: number, iv: Uint8Array, key: Uint8Array) => number;
let xor: Xor | undefined;

/** crypto_stream_salsa2012_xor: out = input XOR the keystream from block 0 (libsodium has no _ic variant). */
export function salsa2012Xor(out: Uint8Array, input: Uint8Array, iv: Uint8Array, key: Uint8Array): void {
  if (!xor) {
    const lib = koffi.load(LIBSODIUM23);
    lib.func('int sodium_init(void)')();
    xor = lib.func(
      'int crypto_stream_salsa2012_xor(_Out_ uint8_t *c, const uint8_t *m, unsigned long long mlen, const uint8_t *n, const uint8_t *k)',
    ) as Xor;
  }
  xor(out, input, input.length, iv, key);
}

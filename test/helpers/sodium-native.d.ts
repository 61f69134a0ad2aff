// The libsodium calls the tests compare against, typed here because sodium-native ships no
// TypeScript declarations (src/crypto/ec25519/sodium.ts types the curve calls the same way).
declare module 'sodium-native' {
  type Bytes = Uint8Array;
  const sodium: {
    crypto_stream_salsa20(out: Bytes, nonce: Bytes, key: Bytes): void;
    crypto_stream_salsa20_xor(out: Bytes, input: Bytes, nonce: Bytes, key: Bytes): void;
    crypto_stream_salsa20_xor_ic(out: Bytes, input: Bytes, nonce: Bytes, counter: number, key: Bytes): void;
    crypto_onetimeauth(out: Bytes, input: Bytes, key: Bytes): void;
    crypto_onetimeauth_verify(tag: Bytes, input: Bytes, key: Bytes): boolean;
    crypto_hash_sha256(out: Bytes, input: Bytes): void;
  };
  export default sodium;
}

// The stream ciphers fastd's methods are built from (src/crypto/cipher/), behind one
// batch-shaped interface: a method provider keys a cipher once per session and then asks it
// to XOR keystream into a region of every packet of a batch, in place, in one call.
//
// Every fastd method derives a packet's IV the same way (fastd_method_expand_nonce): the
// 6-byte nonce of the packet's common header, zero-padded to the cipher's IV length, last
// byte 1. The cipher reads that nonce from the header itself, so the table is all it needs.
import type { BatchTable } from '../batch-table.js';
import type { CipherName } from '../methods/names.js';
import { aes128Ctr } from './aes128-ctr/aes128-ctr.js';
import { nullCipher } from './null/null-cipher.js';
import { salsa2012Cipher, salsa20Cipher } from './salsa20/salsa20.js';

/** `maxLength` for a region that runs to the end of each packet (fits an i32 for the kernels). */
export const TO_PACKET_END = 0x7fff_ffff;

export interface KeyedCipher {
  /**
   * For every table entry whose status is Ok: XORs the keystream of the packet's IV, from
   * keystream byte `keystreamOffset` (a multiple of 16) on, into packet bytes
   * [start, min(length, start + maxLength)) relative to the entry's offset.
   *
   * With `verify`, the first 16 bytes of that region must XOR to all zero (the method folded
   * the expected tag into them); if they do not, the entry's status becomes DropAuth and its
   * bytes stay exactly as they were — a payload is never decrypted before its tag is
   * verified, and a packet that fails can still be tried with another session, as fastd
   * tries the old session and then the new one.
   */
  crypt(table: BatchTable, start: number, maxLength: number, keystreamOffset: number, verify: boolean): void;
  /** Writes out.length keystream bytes for an explicit IV; session setup only (e.g. the GHASH key). */
  keystream(iv: Uint8Array, out: Uint8Array): void;
  /** Zeroes and releases the key schedule. */
  destroy(): void;
}

export interface StreamCipher {
  readonly name: CipherName;
  readonly keyLength: number;
  readonly ivLength: number;
  /** Keys the cipher; its state lives in the state arena of `memory`. */
  createKey(key: Uint8Array, memory: WebAssembly.Memory): KeyedCipher;
}

const CIPHER_IMPLEMENTATIONS: { readonly [name in CipherName]: StreamCipher } = {
  null: nullCipher,
  salsa20: salsa20Cipher,
  salsa2012: salsa2012Cipher,
  'aes128-ctr': aes128Ctr,
};

/** The implementation of a cipher named by parseMethodName (all of fastd's are built in). */
export function getCipher(name: CipherName): StreamCipher {
  return CIPHER_IMPLEMENTATIONS[name];
}

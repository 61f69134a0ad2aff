// `cipher "<name>" use "<impl>"` and `mac "<name>" use "<impl>"`: the implementations a
// Linux/amd64 build of fastd v22 offers (src/crypto/cipher/*/, src/crypto/mac/*/). fastd-ts
// brings its own implementations, so the choice is validated and recorded, not obeyed.

export const CIPHER_IMPLEMENTATIONS: Readonly<Record<string, readonly string[]>> = {
  'aes128-ctr': ['openssl'],
  null: ['memcpy'],
  salsa20: ['xmm', 'nacl'],
  salsa2012: ['xmm', 'nacl'],
};

export const MAC_IMPLEMENTATIONS: Readonly<Record<string, readonly string[]>> = {
  ghash: ['pclmulqdq', 'builtin'],
  uhash: ['builtin'],
};

export function isKnownImplementation(
  table: Readonly<Record<string, readonly string[]>>,
  name: string,
  implementation: string,
): boolean {
  return Object.prototype.hasOwnProperty.call(table, name) && table[name].includes(implementation);
}

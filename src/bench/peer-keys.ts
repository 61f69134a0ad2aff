// Peer directories of thousands of keys, as a community's shared key repository holds them,
// for the scale bench and its test. `fastd --generate-key` takes ~0.5 s a key; these are
// consecutive multiples of the base point from a random start (one point addition each),
// packed as fastd packs public keys. No secrets: these peers never connect. Peers that do
// connect (the supernode bench's hundreds of routers) get whole key pairs, made in-process
// in under 1 ms each.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addPoints, multiplyBase } from '../crypto/ec25519/group.js';
import { derivePublicKey, generateSecretKey, keyToHex } from '../crypto/ec25519/keys.js';
import { storePackedLegacy } from '../crypto/ec25519/legacy-format.js';
import { SCALAR_BYTES } from '../crypto/ec25519/scalar.js';
import type { KeyPair } from './daemon.js';

/** `count` distinct valid public keys, hex. */
export function bulkPublicKeys(count: number): string[] {
  const one = new Uint8Array(SCALAR_BYTES);
  one[0] = 1;
  const base = multiplyBase(one);
  let point = multiplyBase(generateSecretKey());
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    point = addPoints(point, base);
    keys.push(keyToHex(storePackedLegacy(point)));
  }
  return keys;
}

/** One file per key (`key "…";`), named peer<N>: what `include peers from` reads. */
export function writePeerDir(dir: string, keys: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  keys.forEach((key, index) => writeFileSync(join(dir, `peer${index}`), `key "${key}";\n`));
}

/** `count` key pairs as `fastd --generate-key` makes them (the same clamping). */
export function bulkKeyPairs(count: number): KeyPair[] {
  return Array.from({ length: count }, () => {
    const secret = generateSecretKey();
    return { secret: keyToHex(secret), public: keyToHex(derivePublicKey(secret)) };
  });
}

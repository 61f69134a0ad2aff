// FHMQV-C as fastd computes it: both roles agree, σ matches libuecc driven the way fastd
// drives it, and K1/K2 match an independent HKDF (node:crypto) with fastd's info orders.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sanitizeSecret } from '../../src/crypto/ec25519/scalar.js';
import {
  deriveMethodKey,
  fhmqvcShared,
  generateHandshakeKeyPair,
  keyPairFromSecret,
  type FhmqvcKeyPair,
} from '../../src/protocol/fhmqvc.js';
import { requireSystem } from '../helpers/prereq.js';
import { haveLibuecc, openLibuecc, ueccPublicKey, ueccSigma } from '../crypto/ec25519/libuecc.js';

function secret(): Uint8Array {
  return sanitizeSecret(randomBytes(32));
}

function pair(s: Uint8Array): FhmqvcKeyPair {
  return keyPairFromSecret(s)!;
}

function halves(y: Uint8Array, x: Uint8Array, b: Uint8Array, a: Uint8Array): [Uint8Array, Uint8Array] {
  const hash = createHash('sha256').update(y).update(x).update(b).update(a).digest();
  const half = (start: number) => {
    const h = new Uint8Array(32);
    h.set(hash.subarray(start, start + 16));
    h[15]! |= 0x80;
    return h;
  };
  return [half(0), half(16)];
}

const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);

describe('FHMQV-C shared secret', () => {
  it('gives initiator and responder the same σ and K1, and differs between handshakes', () => {
    const alice = pair(secret());
    const bob = pair(secret());
    const x = generateHandshakeKeyPair();
    const y = generateHandshakeKeyPair();
    const ours = fhmqvcShared('initiator', alice, x, bob.publicKey, y.publicKey)!;
    const theirs = fhmqvcShared('responder', bob, y, alice.publicKey, x.publicKey)!;
    expect(ours.sigma).toEqual(theirs.sigma);
    expect(ours.handshakeKey).toEqual(theirs.handshakeKey);
    const again = fhmqvcShared('initiator', alice, generateHandshakeKeyPair(), bob.publicKey, y.publicKey)!;
    expect(again.sigma).not.toEqual(ours.sigma);
  });

  it('fails when a peer key is not on the curve or is the identity, or the wrong key is used', () => {
    const alice = pair(secret());
    const bob = pair(secret());
    const x = generateHandshakeKeyPair();
    const y = generateHandshakeKeyPair();
    const identity = new Uint8Array(32); // legacy packing of (0, 1): x = 0, y parity 1 → bit 255
    identity[31] = 0x80;
    let offCurve: Uint8Array | undefined;
    for (let i = 0; !offCurve; i++) {
      const candidate = new Uint8Array(32);
      candidate[0] = i;
      if (!fhmqvcShared('initiator', alice, x, bob.publicKey, candidate)) offCurve = candidate;
    }
    expect(fhmqvcShared('initiator', alice, x, bob.publicKey, identity)).toBeUndefined();
    expect(fhmqvcShared('initiator', alice, x, identity, y.publicKey)).toBeUndefined();
    expect(fhmqvcShared('initiator', alice, x, bob.publicKey, new Uint8Array(31))).toBeUndefined();
    const mallory = pair(secret());
    const wrong = fhmqvcShared('responder', mallory, y, alice.publicKey, x.publicKey)!;
    expect(wrong.sigma).not.toEqual(fhmqvcShared('initiator', alice, x, bob.publicKey, y.publicKey)!.sigma);
  });
});

const uecc = requireSystem('libuecc cross-check', { libuecc: haveLibuecc });

describe.runIf(uecc)('FHMQV-C against libuecc (as fastd calls it)', () => {
  const lib = uecc ? openLibuecc() : undefined!;
  it('computes the same public keys and σ on both sides for random keys', () => {
    for (let round = 0; round < 4; round++) {
      const [a, b, xs, ys] = [secret(), secret(), secret(), secret()];
      const alice = pair(a);
      const bob = pair(b);
      const x = pair(xs);
      const y = pair(ys);
      expect(alice.publicKey).toEqual(ueccPublicKey(lib, a));
      expect(y.publicKey).toEqual(ueccPublicKey(lib, ys));
      const [d, e] = halves(y.publicKey, x.publicKey, bob.publicKey, alice.publicKey);
      const initiator = fhmqvcShared('initiator', alice, x, bob.publicKey, y.publicKey)!;
      const responder = fhmqvcShared('responder', bob, y, alice.publicKey, x.publicKey)!;
      expect(initiator.sigma).toEqual(ueccSigma(lib, a, xs, d, e, bob.publicKey, y.publicKey));
      expect(responder.sigma).toEqual(ueccSigma(lib, b, ys, e, d, alice.publicKey, x.publicKey));
    }
  });
});

describe('K1 and the method key', () => {
  const alice = pair(secret());
  const bob = pair(secret());
  const x = generateHandshakeKeyPair();
  const y = generateHandshakeKeyPair();
  const shared = fhmqvcShared('initiator', alice, x, bob.publicKey, y.publicKey)!;
  const [A, B, X, Y] = [alice.publicKey, bob.publicKey, x.publicKey, y.publicKey];

  it('derives K1 with a zero salt over A|B|X|Y', () => {
    const expected = hkdfSync('sha256', shared.sigma, new Uint8Array(32), cat(A, B, X, Y), 32);
    expect(shared.handshakeKey).toEqual(new Uint8Array(expected));
  });

  it('derives the method key with salt K1 over X|Y|A|B|method, as many bytes as asked', () => {
    const name = 'salsa2012+umac';
    const info = cat(X, Y, A, B, Buffer.from(name));
    const expected = new Uint8Array(hkdfSync('sha256', shared.sigma, shared.handshakeKey, info, 64));
    expect(deriveMethodKey(shared, name, 64)).toEqual(expected);
    expect(deriveMethodKey(shared, name, 32)).toEqual(expected.subarray(0, 32));
    expect(deriveMethodKey(shared, 'null', 0)).toHaveLength(0);
    const responder = fhmqvcShared('responder', bob, y, A, X)!;
    expect(deriveMethodKey(responder, name, 64)).toEqual(expected);
  });
});

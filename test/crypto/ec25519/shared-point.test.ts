import { describe, expect, it } from 'vitest';
import { GROUP_ORDER as Q } from '../../../src/crypto/ec25519/curve.ts';
import { addPoints, isIdentity, multiplyByCofactor, multiplySubgroupPoint, type SubgroupPoint } from '../../../src/crypto/ec25519/group.ts';
import { derivePublicKey, generateSecretKey } from '../../../src/crypto/ec25519/keys.ts';
import { loadPackedLegacy, storePackedLegacy } from '../../../src/crypto/ec25519/legacy-format.ts';
import { divideByCofactor, multiplyAddScalars } from '../../../src/crypto/ec25519/scalar.ts';
import { fhmqvcSharedPoint } from '../../../src/crypto/ec25519/shared-point.ts';
import { sha256 } from '../../../src/crypto/kdf/sha256.ts';
import { requireSystem } from '../../helpers/prereq.ts';
import { fromBigInt, random32, toBigInt } from './bigint.ts';
import { toHex } from '../../helpers/packet-memory.ts';
import { haveLibuecc, openLibuecc } from './libuecc.ts';

interface Party {
  secret: Uint8Array; // long-term, divided by 8 as fastd keeps it
  public: Uint8Array; // legacy-packed
  handshakeSecret: Uint8Array;
  handshakePublic: Uint8Array;
}

function party(): Party {
  const secret = generateSecretKey();
  const handshake = generateSecretKey();
  return {
    secret: divideByCofactor(secret)!,
    public: derivePublicKey(secret),
    handshakeSecret: divideByCofactor(handshake)!,
    handshakePublic: derivePublicKey(handshake),
  };
}

/** d and e from SHA256(Y|X|B|A), each 128 bits with bit 127 set (fhmqvc.rst, handshake.c). */
function hashHalves(alice: Party, bob: Party): { d: Uint8Array; e: Uint8Array } {
  const hash = sha256(bob.handshakePublic, alice.handshakePublic, bob.public, alice.public);
  const d = new Uint8Array(32);
  const e = new Uint8Array(32);
  d.set(hash.subarray(0, 16));
  e.set(hash.subarray(16, 32));
  d[15] |= 0x80;
  e[15] |= 0x80;
  return { d, e };
}

/** σ as one side computes it: s = own·h_own + handshake secret, against the peer's points and h_peer. */
function sigma(own: Party, peer: Party, ownHalf: Uint8Array, peerHalf: Uint8Array, peerHandshake = peer.handshakePublic) {
  const s = multiplyAddScalars(ownHalf, own.secret, own.handshakeSecret);
  return fhmqvcSharedPoint(s, loadPackedLegacy(peerHandshake)!, multiplyByCofactor(loadPackedLegacy(peer.public)!), peerHalf);
}

describe('FHMQV-C shared point', () => {
  it('is the same for initiator and responder', () => {
    for (let i = 0; i < 5; i++) {
      const [alice, bob] = [party(), party()];
      const { d, e } = hashHalves(alice, bob);
      const initiator = sigma(alice, bob, d, e);
      const responder = sigma(bob, alice, e, d);
      expect(isIdentity(initiator)).toBe(false);
      expect(toHex(storePackedLegacy(initiator))).toBe(toHex(storePackedLegacy(responder)));
    }
  });

  it('differs when a long-term secret is wrong', () => {
    const [alice, bob, mallory] = [party(), party(), party()];
    const { d, e } = hashHalves(alice, bob);
    const impostor = { ...bob, secret: mallory.secret };
    expect(toHex(sigma(alice, bob, d, e))).not.toBe(toHex(sigma(impostor, alice, e, d)));
  });

  it('ignores a small-order component added to the peer handshake key', () => {
    const [alice, bob] = [party(), party()];
    const { d, e } = hashHalves(alice, bob);
    const orderTwo = loadPackedLegacy(new Uint8Array(32))!;
    const tampered = storePackedLegacy(addPoints(loadPackedLegacy(bob.handshakePublic)!, orderTwo));
    expect(toHex(sigma(alice, bob, d, e, tampered))).toBe(toHex(sigma(alice, bob, d, e)));
  });

  it('is the identity when the peer handshake key cancels h·P, with or without a small-order component', () => {
    // a public key is n·G, in the prime-order subgroup; here it stands for 8P
    const peerKey = loadPackedLegacy(party().public)! as SubgroupPoint;
    const h = random32();
    // 8X = -h·8P: X = (-h/8)·8P
    let inverseOfEight = 1n;
    for (let e = Q - 2n, b = 8n; e > 0n; e >>= 1n, b = (b * b) % Q) if (e & 1n) inverseOfEight = (inverseOfEight * b) % Q;
    const cancelling = multiplySubgroupPoint(fromBigInt(((Q - (toBigInt(h) % Q)) * inverseOfEight) % Q), peerKey);
    expect(isIdentity(fhmqvcSharedPoint(random32(), cancelling, peerKey, h))).toBe(true);
    const orderTwo = loadPackedLegacy(new Uint8Array(32))!;
    expect(isIdentity(fhmqvcSharedPoint(random32(), addPoints(cancelling, orderTwo), peerKey, h))).toBe(true);
  });
});

describe.runIf(requireSystem('libuecc cross-check', { libuecc: haveLibuecc }))('FHMQV-C shared point against libuecc', () => {
  const uecc = haveLibuecc ? openLibuecc() : undefined!;

  /** make_shared_handshake_key's arithmetic (handshake.c), call by call, in libuecc. */
  function fastdSigma(own: Party, peer: Party, ownHalf: Uint8Array, peerHalf: Uint8Array, peerHandshake: Uint8Array) {
    const s = uecc.gfAdd(uecc.gfMult(ownHalf, own.secret), own.handshakeSecret);
    let work = uecc.scalarmultBits(peerHalf, uecc.loadPackedLegacy(peer.public)!, 128);
    work = uecc.add(uecc.loadPackedLegacy(peerHandshake)!, work);
    work = uecc.double(uecc.double(uecc.double(work)));
    return uecc.storePackedLegacy(uecc.scalarmult(s, work));
  }

  it("computes fastd's σ byte for byte, tampered peer keys included", () => {
    const orderTwo = loadPackedLegacy(new Uint8Array(32))!;
    for (let i = 0; i < 8; i++) {
      const [alice, bob] = [party(), party()];
      const { d, e } = hashHalves(alice, bob);
      const peerHandshake =
        i % 2 === 0 ? bob.handshakePublic : storePackedLegacy(addPoints(loadPackedLegacy(bob.handshakePublic)!, orderTwo));
      expect(toHex(storePackedLegacy(sigma(alice, bob, d, e, peerHandshake)))).toBe(
        toHex(fastdSigma(alice, bob, d, e, peerHandshake)),
      );
      expect(toHex(storePackedLegacy(sigma(bob, alice, e, d)))).toBe(toHex(fastdSigma(bob, alice, e, d, alice.handshakePublic)));
    }
  });
});

// Hostile input never throws out of the protocol layer and never establishes a session:
// garbage, truncations and single-byte changes to genuine handshakes, deterministically
// generated so a failure can be replayed.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sanitizeSecret } from '../../src/crypto/ec25519/scalar.js';
import {
  Handshake,
  type HandshakeOutcome,
  type HandshakePeer,
  PeerHandshakeState,
} from '../../src/protocol/handshake.js';
import { parseHandshake } from '../../src/protocol/handshake-messages.js';
import { L2tpHeader } from '../../src/protocol/wire.js';

/** xorshift32: reproducible pseudo-random bytes. */
function prng(seed: number): (limit: number) => number {
  let state = seed >>> 0 || 1;
  return (limit) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % limit;
  };
}

const METHODS = [{ name: 'null', keyLength: 0 }];

function endpoint(): Handshake {
  return new Handshake({ secretKey: sanitizeSecret(randomBytes(32)), mode: 'tap', versionName: 'v23' });
}

function peerFor(other: Handshake): HandshakePeer {
  return { key: other.publicKey, mtu: 1400, methods: METHODS, state: new PeerHandshakeState() };
}

/** parse → screen → handle, catching nothing: a throw fails the test. */
function feed(to: Handshake, peer: HandshakePeer, packet: Uint8Array, now: number): HandshakeOutcome | undefined {
  const parsed = parseHandshake(packet);
  if (!parsed.ok) return undefined;
  const screened = to.screen(parsed.handshake);
  if (screened.kind !== 'sender') return screened;
  return to.handle(parsed.handshake, peer, 'mallory:1', now);
}

function packetsOf(outcome: HandshakeOutcome | undefined): readonly Uint8Array[] {
  if (!outcome || outcome.kind === 'drop') throw new Error(`expected packets, got ${JSON.stringify(outcome)}`);
  return outcome.packets;
}

describe('hostile handshakes', () => {
  it('survive random garbage behind both framings', () => {
    const random = prng(0x5eed);
    const alice = endpoint();
    const peer = peerFor(endpoint());
    for (let round = 0; round < 2000; round++) {
      const packet = new Uint8Array(random(200));
      for (let i = 0; i < packet.length; i++) packet[i] = random(256);
      if (round % 2 === 0 && packet.length > 0) packet[0] = 0x01;
      if (round % 4 === 1 && packet.length > 13) packet.set([0xc8, 0x03], 0), (packet[12] = 0x01);
      const outcome = feed(alice, peer, packet, round);
      expect(outcome?.kind).not.toBe('established');
    }
  });

  it('never establish from a genuine response or finish with any byte changed or cut', () => {
    const random = prng(42);
    const alice = endpoint();
    const bob = endpoint();
    const bobAtAlice = peerFor(bob);
    const aliceAtBob = peerFor(alice);
    const init = alice.initiate(bobAtAlice, 0)[1]!;
    const response = packetsOf(feed(bob, aliceAtBob, init, 0))[0]!;
    const authenticatedFrom = L2tpHeader.SIZE + 2; // fastd ignores the L2TP fields and the reserved byte
    const tamper = (packet: Uint8Array, receiver: Handshake, peer: HandshakePeer) => {
      for (let round = 0; round < 150; round++) {
        const copy = packet.slice();
        if (round % 3 === 0) {
          const cut = authenticatedFrom + random(copy.length - authenticatedFrom);
          const outcome = feed(receiver, peer, copy.subarray(0, cut), 0);
          expect(outcome?.kind).not.toBe('established');
          continue;
        }
        const at = authenticatedFrom + random(copy.length - authenticatedFrom);
        copy[at] ^= 1 + random(255);
        expect(feed(receiver, peer, copy, 0)?.kind, `byte ${at}`).not.toBe('established');
      }
    };
    tamper(response, alice, bobAtAlice);
    // The genuine response still works after all that; its finish gets the same treatment.
    const finish = packetsOf(feed(alice, bobAtAlice, response, 0))[0]!;
    tamper(finish, bob, aliceAtBob);
    expect(feed(bob, aliceAtBob, finish, 0)?.kind).toBe('established');
  });
});

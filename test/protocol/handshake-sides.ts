// Two handshake state machines wired to each other, for the tests of the handshake: each
// side holds the other as its peer, and a received packet goes through parse → screen →
// handle as the engine's control plane runs it.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { sanitizeSecret } from '../../src/crypto/ec25519/scalar.js';
import {
  Handshake,
  type HandshakeConfig,
  type HandshakeMethod,
  type HandshakeOutcome,
  type HandshakePeer,
  PeerHandshakeState,
} from '../../src/protocol/handshake.js';
import { parseHandshake } from '../../src/protocol/handshake-messages.js';

export const SALSA: HandshakeMethod = { name: 'salsa2012+umac', keyLength: 64 };
export const NULL: HandshakeMethod = { name: 'null', keyLength: 0 };

export interface Side {
  handshake: Handshake;
  /** The other side as our peer. */
  peer: HandshakePeer;
}

export function side(config: Partial<HandshakeConfig> = {}): Handshake {
  return new Handshake({ secretKey: sanitizeSecret(randomBytes(32)), mode: 'tap', versionName: 'v23', ...config });
}

export function pairUp(
  a: Handshake,
  b: Handshake,
  aPeer: Partial<HandshakePeer> = {},
  bPeer: Partial<HandshakePeer> = {},
): [Side, Side] {
  const peerOf = (other: Handshake, extra: Partial<HandshakePeer>): HandshakePeer => ({
    key: other.publicKey,
    mtu: 1426,
    methods: [SALSA, NULL],
    state: new PeerHandshakeState(),
    ...extra,
  });
  return [
    { handshake: a, peer: peerOf(b, aPeer) },
    { handshake: b, peer: peerOf(a, bPeer) },
  ];
}

/** Runs one received packet through parse → screen → handle, as the engine will. */
export function receive(to: Side, packet: Uint8Array, now: number, source = 'peer:1'): HandshakeOutcome {
  const parsed = parseHandshake(packet);
  if (!parsed.ok) return { kind: 'drop', level: 'debug', reason: parsed.reason };
  const screened = to.handshake.screen(parsed.handshake);
  if (screened.kind !== 'sender') return screened;
  // the engine finds the peer by this key: any other is a stranger's
  if (Buffer.compare(screened.senderKey, to.peer.key) !== 0) return { kind: 'drop', level: 'debug', reason: 'unknown sender key' };
  return to.handshake.handle(parsed.handshake, to.peer, source, now);
}

/** Delivers every packet; returns the outcomes that were not drops of a bare duplicate. */
export function deliver(to: Side, packets: readonly Uint8Array[], now: number): HandshakeOutcome[] {
  return packets
    .map((packet) => receive(to, packet, now))
    .filter((outcome) => !(outcome.kind === 'drop' && outcome.reason.includes('bare copy')));
}

export function only(outcomes: HandshakeOutcome[]): HandshakeOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

export function packetsOf(outcome: HandshakeOutcome): readonly Uint8Array[] {
  expect(outcome.kind === 'reply' || outcome.kind === 'established', JSON.stringify(outcome)).toBe(true);
  return outcome.kind === 'drop' ? [] : outcome.packets;
}

export function fullHandshake(alice: Side, bob: Side, now: number) {
  const init = alice.handshake.initiate(alice.peer, now);
  const response = only(deliver(bob, init, now));
  const finish = only(deliver(alice, packetsOf(response), now));
  const done = only(deliver(bob, packetsOf(finish), now));
  return { init, response, finish, done };
}

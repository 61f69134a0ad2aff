// Property tests of the handshake state machine on what an attacker or a bad network makes of a
// real exchange: each side gets damaged copies of the packet meant for it (bits flipped, cut
// short, extended, or random bytes) before the genuine one. Nothing throws; a damaged copy
// establishes a session only when the records its tag covers are the genuine ones (what lies
// outside them, such as trailing bytes, fastd ignores too); and the genuine packet still
// establishes afterwards unless such a copy already did.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HandshakeOutcome } from '../../src/protocol/handshake.js';
import { parseHandshake } from '../../src/protocol/handshake-messages.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../helpers/fuzz.js';
import { deliver, only, packetsOf, pairUp, receive, side, type Side } from './handshake-sides.js';

type Damage =
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'flip'; position: number; mask: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; junk: Uint8Array };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 400 }) }),
  fc.record({ kind: fc.constant('flip' as const), position: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), junk: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);

function damaged(packet: Uint8Array, what: Damage): Uint8Array {
  switch (what.kind) {
    case 'random':
      return what.bytes;
    case 'flip': {
      const copy = packet.slice();
      copy[what.position % copy.length] ^= what.mask;
      return copy;
    }
    case 'truncate':
      return packet.slice(0, what.keep % packet.length);
    case 'extend':
      return Uint8Array.of(...packet, ...what.junk);
  }
}

/** The TLV records the authentication tag covers, or undefined when the packet does not parse. */
function taggedRecords(packet: Uint8Array): Buffer | undefined {
  const parsed = parseHandshake(packet);
  return parsed.ok ? Buffer.from(parsed.handshake.records.bytes) : undefined;
}

/**
 * Delivers the damaged copies of `genuine` and then `genuine` itself to `to`; checks the
 * property above and returns the outcome that established the session.
 */
function deliverDamaged(to: Side, genuine: Uint8Array, damages: readonly Damage[], now: number) {
  const records = taggedRecords(genuine)!;
  let established: HandshakeOutcome | undefined;
  for (const what of damages) {
    const copy = damaged(genuine, what);
    const outcome = receive(to, copy, now);
    if (outcome.kind !== 'established') continue;
    expect(taggedRecords(copy)?.equals(records), `${what.kind} established with other records`).toBe(true);
    established ??= outcome;
  }
  const outcome = receive(to, genuine, now);
  if (!established) expect(outcome.kind, 'the genuine packet after the damaged ones').toBe('established');
  return established ?? outcome;
}

describe('the handshake on damaged packets', () => {
  it('never throws, and only the records the tag covers establish a session', () => {
    fc.assert(
      fc.property(fc.array(damage, { maxLength: 8 }), fc.array(damage, { maxLength: 8 }), (onResponse, onFinish) => {
        const [alice, bob] = pairUp(side(), side());
        const now = 1_000;
        const response = only(deliver(bob, alice.handshake.initiate(alice.peer, now), now));
        const [responsePacket] = packetsOf(response);
        const finish = deliverDamaged(alice, responsePacket!, onResponse, now);
        const finishPacket = finish.kind === 'established' ? finish.packets[0] : undefined;
        if (finishPacket) deliverDamaged(bob, finishPacket, onFinish, now);
      }),
      { ...FUZZ, numRuns: Math.ceil(FUZZ.numRuns / 3) },
    );
  }, FUZZ_TIMEOUT_MS);
});

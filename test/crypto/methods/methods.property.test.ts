// Property tests of what every authenticating method does with datagrams an attacker or a bad
// network makes of a live session's packets: random bytes, a genuine packet with bits flipped,
// cut short, extended with junk, or replayed. Open never throws, accepts nothing but a genuine
// packet it has not delivered yet, leaves what it refuses byte for byte as received, and a
// refused attempt does not stop the genuine packet from opening afterwards.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketStatus } from '../../../src/crypto/methods/provider.js';
import { createMethodProvider } from '../../../src/crypto/methods/registry.js';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../../helpers/fuzz.js';
import { sharedMemory } from '../../helpers/packet-memory.js';
import { open, seal } from './harness.js';

/** The methods that authenticate their packets (the null and cipher-test ones accept anything by design). */
const AUTHENTICATED = [
  'salsa2012+umac', 'salsa20+umac', 'aes128-ctr+umac',
  'null+salsa2012+umac', 'null+salsa20+umac', 'null+aes128-ctr+umac',
  'salsa2012+gmac', 'salsa20+gmac', 'aes128-gcm',
  'null+salsa2012+gmac', 'null+salsa20+gmac', 'null+aes128-gmac',
  'salsa2012+poly1305', 'salsa20+poly1305', 'aes128-ctr+poly1305',
];
const MAX_PAYLOAD = 1400;

/** What is done to one of the genuine packets (by index, modulo their number). */
type Damage =
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'flip'; packet: number; position: number; mask: number }
  | { kind: 'truncate'; packet: number; keep: number }
  | { kind: 'extend'; packet: number; junk: Uint8Array };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: MAX_PAYLOAD + 64 }) }),
  fc.record({ kind: fc.constant('flip' as const), packet: fc.nat(), position: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), packet: fc.nat(), keep: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), packet: fc.nat(), junk: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

function damaged(frames: readonly Uint8Array[], what: Damage): Uint8Array {
  if (what.kind === 'random') return what.bytes;
  const frame = frames[what.packet % frames.length]!;
  switch (what.kind) {
    case 'flip': {
      const copy = frame.slice();
      copy[what.position % copy.length] ^= what.mask;
      return copy;
    }
    case 'truncate':
      return frame.slice(0, what.keep % frame.length);
    case 'extend':
      return Uint8Array.of(...frame, ...what.junk);
  }
}

const refused = (status: number) => status > PacketStatus.Reordered;

describe.each(AUTHENTICATED)('method %s on damaged and forged packets', (name) => {
  const provider = createMethodProvider(name)!;
  const memory = sharedMemory();
  const secret = randomBytes(provider.keyLength);
  const sender = provider.createSession(secret, { initiator: true, compat: false }, 0, memory);
  const receiver = provider.createSession(secret, { initiator: false, compat: false }, 0, memory);

  it('accepts each genuine packet once and nothing else, and leaves what it refuses intact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: MAX_PAYLOAD }), { minLength: 1, maxLength: 4 }),
        fc.array(damage, { minLength: 1, maxLength: 16 }),
        (lengths, damages) => {
          const payloads = lengths.map((length) => new Uint8Array(randomBytes(length)));
          const { frames } = seal(sender, memory, payloads);
          const forged = damages.map((what) => damaged(frames, what));
          const before = open(receiver, memory, forged);
          before.status.forEach((status, i) => {
            expect(refused(status), `${damages[i]!.kind} refused`).toBe(true);
            expect(Buffer.from(before.after[i]!).equals(forged[i]!), `${damages[i]!.kind} left intact`).toBe(true);
          });
          const genuine = open(receiver, memory, frames);
          expect(genuine.status.every((status) => status === PacketStatus.Ok)).toBe(true);
          genuine.payloads.forEach((payload, i) => expect(Buffer.from(payload!).equals(payloads[i]!)).toBe(true));
          // delivered once: the same packets again, and their damaged copies, are all refused now
          const after = open(receiver, memory, [...frames, ...forged]);
          expect(after.status.every(refused)).toBe(true);
        },
      ),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});

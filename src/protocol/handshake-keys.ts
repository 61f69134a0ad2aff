// The ephemeral handshake key pairs (fastd's protocols/ec25519_fhmqvc/state.c): one key pair
// serves every handshake for a while, the previous one is still honoured for replies in
// flight, and each carries a serial so that no two sessions with one peer rest on the same
// ephemeral key. Time is passed in (milliseconds, monotonic), never read.
import { type FhmqvcKeyPair, generateHandshakeKeyPair } from './fhmqvc.js';

/** fastd's defaults: new handshakes use a key pair for 15 s, replies to it count for 30 s. */
const HANDSHAKE_KEY_PREFERRED_MS = 15_000;
const HANDSHAKE_KEY_VALID_MS = 30_000;

export interface HandshakeKey {
  readonly serial: number;
  readonly pair: FhmqvcKeyPair;
  readonly preferredUntil: number;
  readonly validUntil: number;
}

export class HandshakeKeys {
  private latest: HandshakeKey | undefined;
  private previous: HandshakeKey | undefined;
  private serial = 0;

  constructor(private readonly generate: () => FhmqvcKeyPair = generateHandshakeKeyPair) {}

  /**
   * The key pair for a new handshake. Rotates when the current one is no longer preferred, or
   * when its serial is below `minSerial` — a peer that already established a session on it
   * would reject ours as key reuse; fastd waits for the next rotation instead, we rotate now.
   */
  current(now: number, minSerial = 0): HandshakeKey {
    const latest = this.latest;
    if (latest && now < latest.preferredUntil && latest.serial >= minSerial) return latest;
    this.previous = latest;
    this.serial += 1;
    const key: HandshakeKey = {
      serial: this.serial,
      pair: this.generate(),
      preferredUntil: now + HANDSHAKE_KEY_PREFERRED_MS,
      validUntil: now + HANDSHAKE_KEY_VALID_MS,
    };
    this.latest = key;
    return key;
  }

  /** The still valid key pair whose public key a reply names as its recipient handshake key. */
  find(publicKey: Uint8Array, now: number): HandshakeKey | undefined {
    for (const key of [this.latest, this.previous]) {
      if (key && now < key.validUntil && equalBytes(key.pair.publicKey, publicKey)) return key;
    }
    return undefined;
  }
}

/** Compares without an early exit (fastd's secure_memequal). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

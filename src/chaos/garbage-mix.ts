// The garbage an attacker or a broken network sends at a fastd port, built once before a
// flood so that the sender only cycles through it: random datagrams, truncated ones that
// start like fastd packets, and bit-flipped and replayed copies of real packets of a live
// session (seeds, captured with tcpdump). Copies of real packets are meant to be sent from
// the peer's own address (spoofed): only then do they reach the session's authentication
// and replay checks instead of the unknown-address path.
import { PacketType } from '../protocol/wire.js';

export const GARBAGE_KINDS = ['random', 'truncated', 'bitflip', 'replay'] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

/** Shares of each kind (weights, any scale). */
export type GarbageMix = Readonly<Record<GarbageKind, number>>;

/** Issue 15's flood: random, truncated, bit-flipped and replayed real packets. */
export const DEFAULT_MIX: GarbageMix = { random: 4, truncated: 2, bitflip: 2, replay: 2 };

/** Longest random datagram: a full-size UDP payload on a 1500-byte IPv4 underlay. */
export const MAX_RANDOM = 1472;
/** Truncated packets stop within the smallest method header (type + 24 bytes). */
export const MAX_TRUNCATED = 24;
/** First bytes a truncated packet starts with when no seed is at hand: every framing fastd reads. */
const TRUNCATED_TYPES = [PacketType.Data, PacketType.Handshake, PacketType.DataCompat, PacketType.Control] as const;
/** A bit-flipped copy differs from its seed in 1 to this many bits. */
export const MAX_FLIPPED_BITS = 3;

export interface GarbageDatagram {
  readonly kind: GarbageKind;
  /** The UDP payload. */
  readonly payload: Uint8Array;
  /** Sent from the live peer's address and port rather than the flooder's own. */
  readonly spoofed: boolean;
}

/** Uniform in [0, 1), like Math.random (which it defaults to); tests pass a seeded one. */
export type Random = () => number;

function below(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = below(random, 256);
  return bytes;
}

/**
 * `count` datagrams in the proportions of `mix` (rounded, spread evenly through the list so
 * any stretch of it has the mix), copies made from `seeds`. Throws when the mix asks for
 * copies and there are no seeds.
 */
export function buildGarbage(count: number, mix: GarbageMix, seeds: readonly Uint8Array[], random: Random = Math.random): GarbageDatagram[] {
  const total = GARBAGE_KINDS.reduce((sum, kind) => sum + mix[kind], 0);
  if (!(total > 0)) throw new RangeError('the garbage mix has no share above 0');
  if ((mix.bitflip > 0 || mix.replay > 0) && seeds.length === 0) throw new Error('bit-flipped and replayed garbage need real packets to copy');
  const out: GarbageDatagram[] = [];
  // Bresenham-like: each kind's running share decides which kind is next
  const given = { random: 0, truncated: 0, bitflip: 0, replay: 0 };
  for (let i = 0; i < count; i++) {
    let kind: GarbageKind = 'random';
    let lag = -Infinity;
    for (const candidate of GARBAGE_KINDS) {
      if (mix[candidate] <= 0) continue;
      const behind = ((i + 1) * mix[candidate]) / total - given[candidate];
      if (behind > lag) {
        lag = behind;
        kind = candidate;
      }
    }
    given[kind]++;
    out.push(makeDatagram(kind, seeds, random));
  }
  return out;
}

function makeDatagram(kind: GarbageKind, seeds: readonly Uint8Array[], random: Random): GarbageDatagram {
  const seed = seeds.length > 0 ? seeds[below(random, seeds.length)]! : undefined;
  switch (kind) {
    case 'random':
      return { kind, payload: randomBytes(random, below(random, MAX_RANDOM + 1)), spoofed: false };
    case 'truncated': {
      const length = 1 + below(random, MAX_TRUNCATED);
      const payload = randomBytes(random, length);
      if (seed) payload.set(seed.subarray(0, length));
      else payload[0] = TRUNCATED_TYPES[below(random, TRUNCATED_TYPES.length)]!;
      return { kind, payload, spoofed: false };
    }
    case 'bitflip': {
      const payload = Uint8Array.from(seed!);
      const bits = 1 + below(random, MAX_FLIPPED_BITS);
      // past the type byte, so the copy still reaches the session's authentication
      const flipped = new Set<number>();
      while (flipped.size < Math.min(bits, (payload.length - 1) * 8)) flipped.add(8 + below(random, (payload.length - 1) * 8));
      for (const bit of flipped) payload[bit >> 3]! ^= 1 << (bit & 7);
      return { kind, payload, spoofed: true };
    }
    case 'replay':
      return { kind, payload: Uint8Array.from(seed!), spoofed: true };
  }
}

import { describe, expect, it } from 'vitest';
import { buildGarbage, DEFAULT_MIX, GARBAGE_KINDS, MAX_FLIPPED_BITS, MAX_RANDOM, MAX_TRUNCATED } from '../../src/chaos/garbage-mix.js';

/** A seeded generator (mulberry32), so a failure repeats. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) bits++;
  return bits;
}

const SEEDS = [Uint8Array.from({ length: 130 }, (_, i) => (i === 0 ? 0 : i)), Uint8Array.from({ length: 90 }, (_, i) => (i === 0 ? 0 : 255 - i))];

describe('the garbage mix', () => {
  const garbage = buildGarbage(4000, DEFAULT_MIX, SEEDS, seeded(15));

  it('has each kind in its share, spread through the list', () => {
    const total = GARBAGE_KINDS.reduce((sum, kind) => sum + DEFAULT_MIX[kind], 0);
    for (const kind of GARBAGE_KINDS) {
      expect(garbage.filter((d) => d.kind === kind).length).toBe((4000 * DEFAULT_MIX[kind]) / total);
      // any 100 consecutive datagrams hold the mix within one of each share
      expect(Math.abs(garbage.slice(1000, 1100).filter((d) => d.kind === kind).length - (100 * DEFAULT_MIX[kind]) / total)).toBeLessThanOrEqual(1);
    }
  });

  it('sends random datagrams of any length up to a full-size UDP payload, from our own address', () => {
    const random = garbage.filter((d) => d.kind === 'random');
    expect(random.every((d) => !d.spoofed && d.payload.length <= MAX_RANDOM)).toBe(true);
    expect(Math.min(...random.map((d) => d.payload.length))).toBeLessThan(100);
    expect(Math.max(...random.map((d) => d.payload.length))).toBeGreaterThan(MAX_RANDOM - 100);
  });

  it('cuts truncated datagrams within the method header, starting like a real packet', () => {
    const truncated = garbage.filter((d) => d.kind === 'truncated');
    for (const d of truncated) {
      expect(d.payload.length).toBeGreaterThanOrEqual(1);
      expect(d.payload.length).toBeLessThanOrEqual(MAX_TRUNCATED);
      expect(SEEDS.some((seed) => seed.subarray(0, d.payload.length).every((byte, i) => byte === d.payload[i]))).toBe(true);
      expect(d.spoofed).toBe(false);
    }
  });

  it('flips 1 to 3 bits of a real packet past its type byte, and replays real packets as they were, both from the peer', () => {
    for (const d of garbage.filter((g) => g.kind === 'bitflip')) {
      const seed = SEEDS.find((s) => s.length === d.payload.length)!;
      const bits = bitsDiffering(seed, d.payload);
      expect(bits).toBeGreaterThanOrEqual(1);
      expect(bits).toBeLessThanOrEqual(MAX_FLIPPED_BITS);
      expect(d.payload[0]).toBe(seed[0]);
      expect(d.spoofed).toBe(true);
    }
    for (const d of garbage.filter((g) => g.kind === 'replay')) {
      expect(SEEDS.some((seed) => bitsDiffering(seed, d.payload) === 0 && seed.length === d.payload.length)).toBe(true);
      expect(d.spoofed).toBe(true);
    }
  });

  it('starts truncated datagrams with a fastd packet type without seeds, and refuses copies without them', () => {
    const unseeded = buildGarbage(200, { random: 0, truncated: 1, bitflip: 0, replay: 0 }, [], seeded(1));
    expect(new Set(unseeded.map((d) => d.payload[0]))).toEqual(new Set([0x00, 0x01, 0x02, 0xc8]));
    expect(() => buildGarbage(10, DEFAULT_MIX, [])).toThrow(/real packets/);
  });
});

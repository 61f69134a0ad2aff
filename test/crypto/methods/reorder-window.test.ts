import { describe, expect, it } from 'vitest';
import { PacketStatus } from '../../../src/crypto/methods/provider.js';
import { REORDER_TIME, REORDER_WINDOW, ReorderWindow } from '../../../src/crypto/methods/reorder-window.js';

// The initiator's window receives the responder's nonces: even, starting at 2.
const nth = (k: number) => 2 * k; // the k-th nonce the responder sends (k >= 1)

describe('ReorderWindow (fastd methods/common.c)', () => {
  it('accepts nonces in order and drops every duplicate', () => {
    const w = new ReorderWindow(true);
    for (let k = 1; k <= 200; k++) expect(w.admit(nth(k), 0)).toBe(PacketStatus.Ok);
    for (let k = 137; k <= 200; k++) expect(w.admit(nth(k), 1)).toBe(PacketStatus.DropReplay);
  });

  it('starts the responder on odd nonces and rejects the wrong parity', () => {
    const responder = new ReorderWindow(false);
    expect(responder.admit(2, 0)).toBe(PacketStatus.DropHeader);
    expect(responder.admit(3, 0)).toBe(PacketStatus.Ok);
    const initiator = new ReorderWindow(true);
    expect(initiator.admit(3, 0)).toBe(PacketStatus.DropHeader);
    expect(initiator.hasPeerParity(4)).toBe(true);
  });

  it('accepts each reordered nonce within 64 steps once, and nothing older', () => {
    const w = new ReorderWindow(true);
    expect(w.admit(nth(100), 0)).toBe(PacketStatus.Ok);
    // age 64 is the oldest fastd accepts, age 65 is too old
    expect(w.admit(nth(100 - REORDER_WINDOW), 1)).toBe(PacketStatus.Reordered);
    expect(w.admit(nth(100 - REORDER_WINDOW - 1), 1)).toBe(PacketStatus.DropReplay);
    for (let k = 99; k > 100 - REORDER_WINDOW; k -= 3) {
      expect(w.admit(nth(k), 2)).toBe(PacketStatus.Reordered);
      expect(w.admit(nth(k), 2)).toBe(PacketStatus.DropReplay);
    }
  });

  it('keeps the seen bits across shifts of every size', () => {
    for (let shift = 1; shift <= 70; shift++) {
      const w = new ReorderWindow(true);
      expect(w.admit(nth(10), 0)).toBe(PacketStatus.Ok);
      expect(w.admit(nth(8), 0)).toBe(PacketStatus.Reordered);
      expect(w.admit(nth(10 + shift), 0)).toBe(PacketStatus.Ok);
      // nth(10) is `shift` steps old, nth(8) is shift + 2, nth(9) was never seen
      expect(w.admit(nth(10), 0)).toBe(PacketStatus.DropReplay);
      expect(w.admit(nth(8), 0)).toBe(PacketStatus.DropReplay);
      expect(w.admit(nth(9), 0)).toBe(shift + 1 <= REORDER_WINDOW ? PacketStatus.Reordered : PacketStatus.DropReplay);
    }
  });

  it('stops accepting older packets REORDER_TIME after the newest one', () => {
    const w = new ReorderWindow(true);
    expect(w.admit(nth(5), 1000)).toBe(PacketStatus.Ok);
    expect(w.admit(nth(3), 1000 + REORDER_TIME - 1)).toBe(PacketStatus.Reordered);
    expect(w.admit(nth(2), 1000 + REORDER_TIME)).toBe(PacketStatus.DropReplay);
    expect(w.admit(nth(6), 1000 + REORDER_TIME)).toBe(PacketStatus.Ok);
    expect(w.admit(nth(2), 1000 + REORDER_TIME)).toBe(PacketStatus.Reordered);
  });

  it('accepts a first packet from far ahead (no nonce window before the first packet)', () => {
    const w = new ReorderWindow(true);
    expect(w.admit(2 ** 47, 0)).toBe(PacketStatus.Ok);
    expect(w.admit(2 ** 47 - 2, 0)).toBe(PacketStatus.Reordered);
  });

  it('agrees with a literal 64-bit transcription of fastd on a random packet stream', () => {
    // fastd_method_is_nonce_valid + fastd_method_reorder_check with a uint64_t bitmap (BigInt).
    const model = { newest: 0n, seen: 0n, timeout: -Infinity };
    const mask = (1n << 64n) - 1n;
    const modelAdmit = (nonce: bigint, now: number): number => {
      const age = (model.newest - nonce) >> 1n;
      if (age >= 0n && (model.timeout <= now || age > 64n)) return PacketStatus.DropReplay;
      if (age < 0n) {
        const shift = -age;
        model.seen = shift >= 64n ? 0n : (model.seen << shift) & mask;
        if (shift <= 64n) model.seen |= 1n << (shift - 1n);
        model.newest = nonce;
        model.timeout = now + REORDER_TIME;
        return PacketStatus.Ok;
      }
      if (age === 0n || (model.seen & (1n << (age - 1n))) !== 0n) return PacketStatus.DropReplay;
      model.seen |= 1n << (age - 1n);
      return PacketStatus.Reordered;
    };
    const w = new ReorderWindow(true);
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    let next = 1;
    let now = 0;
    const counts = new Map<number, number>();
    for (let n = 0; n < 20_000; n++) {
      const r = random();
      // mostly forward, some duplicates, some late, a few big jumps and long pauses
      const k = r < 0.6 ? next++ : r < 0.95 ? Math.max(1, next - Math.floor(random() * 80)) : (next += 70);
      if (random() < 0.01) now += REORDER_TIME;
      now += 1;
      const expected = modelAdmit(BigInt(nth(k)), now);
      const actual = w.admit(nth(k), now);
      expect(actual).toBe(expected);
      counts.set(actual, (counts.get(actual) ?? 0) + 1);
    }
    // the stream exercised every outcome
    expect(counts.get(PacketStatus.Ok)).toBeGreaterThan(1000);
    expect(counts.get(PacketStatus.Reordered)).toBeGreaterThan(1000);
    expect(counts.get(PacketStatus.DropReplay)).toBeGreaterThan(1000);
  });
});
